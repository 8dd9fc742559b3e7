#pragma once
// What berth-conmon tells berthd: the sync pipe messages (one JSON object a
// line: {"monitor_pid":N} at start, then {"container_pid":N} or
// {"error":"..."}) and the exit file written when the container is gone.

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "conmon/fd.h"

namespace berth::conmon {

class SyncPipe {
 public:
  explicit SyncPipe(int fd) : fd_(fd) {}
  void SendMonitorPid(pid_t pid);
  void SendContainerPid(pid_t pid);
  void SendError(const std::string& text);
  // berthd learns the result once; later messages go nowhere.
  void Close() { fd_.reset(); }

 private:
  void Send(const std::string& json_line);
  Fd fd_;
};

// {"exit_code":N,"finished_at_ns":T,"oom_killed":B}, replaced atomically
// (temp file, fsync, rename, fsync dir). Throws std::system_error.
void WriteExitFile(const std::string& path, int exit_code, int64_t finished_at_ns, bool oom_killed);

// 128+N for a signal N, the exit status otherwise (wait(2) status in).
int ExitCode(int wait_status);

}  // namespace berth::conmon
