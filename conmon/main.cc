// berth-conmon: the per-container monitor (see supervisor.h). berthd starts
// it detached (own session, reparented away from berthd) so it outlives
// berthd; it is the container's subreaper and reports on a sync pipe.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "config/build_info.h"
#include "conmon/options.h"
#include "conmon/report.h"
#include "conmon/supervisor.h"

namespace {

using berth::conmon::Options;

// berthd's descriptors are none of conmon's business: keep 0-2 (opened on
// /dev/null if closed) and the sync pipe, moved to fd 3; close the rest.
int IsolateFds(int sync_fd) {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      int null = ::open("/dev/null", O_RDWR);
      if (null >= 0 && null != fd) {
        ::dup2(null, fd);
        ::close(null);
      }
    }
  }
  if (sync_fd >= 0 && sync_fd != 3) {
    if (::dup2(sync_fd, 3) < 0) throw std::system_error(errno, std::generic_category(), "dup2 sync fd");
    ::close(sync_fd);
    sync_fd = 3;
  }
  if (sync_fd >= 0) ::fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
  const unsigned first = sync_fd >= 0 ? 4 : 3;
  if (::close_range(first, ~0U, 0) != 0) {
    std::vector<int> open;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      int fd = std::stoi(e.path().filename().string());
      if (fd >= static_cast<int>(first)) open.push_back(fd);
    }
    for (int fd : open) ::close(fd);  // includes the iterator's own fd, already closed: harmless
  }
  return sync_fd;
}

// berthd names its sealed copy of the runtime (pod/oci/sealed_binary.h) as
// /proc/<berthd>/fd/N, valid only while berthd holds it. Opened here (close-
// on-exec, which an ELF binary's execve allows), it is conmon's own for the
// container's life, past a restart of berthd: the runtime's delete at the
// end runs the same binary as the create.
void HoldRuntimeBinary(Options& o) {
  if (o.runtime.rfind("/proc/", 0) != 0) return;
  const int fd = ::open(o.runtime.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open the runtime " + o.runtime);
  o.runtime = "/proc/self/fd/" + std::to_string(fd);  // never closed: conmon runs the runtime until it ends
}

// Dispositions berthd ignored survive exec; conmon wants the defaults, but
// ignores SIGPIPE so a vanished berthd cannot kill it mid-report.
void ResetSignals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::printf("berth-conmon %s\n", berth::kVersion);
    return 0;
  }
  // Set by berthd for conmon's own allocator (pod/oci/monitor.cc), read at
  // start; not the runtime's business.
  ::unsetenv("GLIBC_TUNABLES");
  Options opts;
  int sync_fd = -1;
  try {
    opts = berth::conmon::ParseOptions(argc, argv);
    sync_fd = IsolateFds(opts.sync_fd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth-conmon: %s\n", e.what());
    return 2;
  }
  ResetSignals();
  ::setsid();  // fails only if already a session leader (berthd made it one)
  berth::conmon::SyncPipe sync(sync_fd);
  sync.SendMonitorPid(::getpid());
  try {
    // Orphans below conmon (the container init once `runtime create` exits) become its children.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
      throw std::system_error(errno, std::generic_category(), "prctl PR_SET_CHILD_SUBREAPER");
    }
    HoldRuntimeBinary(opts);
    berth::conmon::Supervisor supervisor(std::move(opts), sync);
    return supervisor.Run();
  } catch (const std::exception& e) {
    sync.SendError(std::string("berth-conmon: ") + e.what());
    std::fprintf(stderr, "berth-conmon: %s\n", e.what());
    return 1;
  }
}
