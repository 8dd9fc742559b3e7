/* berth-pause: the process that holds a pod sandbox's namespaces.
 * It sleeps until SIGTERM or SIGINT (then exits 0) and reaps any child
 * re-parented to it, since it is PID 1 of the pod when the pod shares a PID
 * namespace. Built static so the sandbox rootfs needs nothing but this file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap_children(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("berth-pause");
    return 0;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  /* Handled synchronously below; blocked so none is lost or acted on by default. */
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    perror("berth-pause: sigprocmask");
    return 1;
  }
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig < 0) {
      if (errno == EINTR) continue;
      perror("berth-pause: sigwaitinfo");
      return 1;
    }
    if (sig == SIGCHLD) {
      reap_children();
      continue;
    }
    return 0; /* SIGTERM or SIGINT */
  }
}
