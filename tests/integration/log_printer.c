/* berth-test-printer: a static container process for the monitor tests.
 * Writes known lines to stdout and stderr (one longer than conmon's 16 KiB
 * line limit, one without a final newline); with "wait-term" it then prints
 * "ready", waits for SIGTERM and prints "after term"; with "oom" it uses
 * memory until the kernel kills it; with "tty" it reports whether its stdout
 * is a terminal and prints one line to stderr. Exits with argv[1]. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(int fd, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

int main(int argc, char **argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  if (argc > 2 && strcmp(argv[2], "wait-term") == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL); /* pid 1 of its namespace: no default action */
    put(1, "ready\n");
    int sig = 0;
    sigwait(&set, &sig);
    put(1, "after term\n");
    return code;
  }
  if (argc > 2 && strcmp(argv[2], "tty") == 0) {
    put(1, isatty(1) ? "isatty(1) yes\n" : "isatty(1) no\n");
    put(2, "err via tty\n");
    return code;
  }
  if (argc > 2 && strcmp(argv[2], "oom") == 0) {
    for (;;) {
      char *p = malloc(1 << 20);
      if (p) memset(p, 1, 1 << 20);
    }
  }
  static char long_line[20002];
  memset(long_line, 'x', 20000);
  long_line[20000] = '\n';
  put(1, "out line 1\n");
  put(2, "err line 1\n");
  put(1, long_line);
  put(1, "out line 2\n");
  put(1, "no newline");
  return code;
}
