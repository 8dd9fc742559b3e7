#pragma once
// berth-conmon's work for one container: run `runtime create` with the
// container's stdio (pipes, or with --tty the pty the runtime sends), report
// the result on the sync pipe, copy the container's output into the CRI log, reap the container (conmon is its
// subreaper) and record how it ended in the exit file. With --attach-socket
// it also serves clients attached to the container's stdio (conmon/attach.h).

#include <sys/types.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>

#include "conmon/attach.h"
#include "conmon/fd.h"
#include "conmon/log_writer.h"
#include "conmon/oom.h"
#include "conmon/options.h"
#include "conmon/report.h"
#include "conmon/runtime.h"
#include "conmon/start_socket.h"

namespace berth::conmon {

class Supervisor {
 public:
  Supervisor(Options o, SyncPipe& sync);
  // Returns conmon's exit code: 0 once the exit file is written, 1 if the
  // container could not be created (the error went to the sync pipe).
  // Throws std::exception on a failed syscall.
  int Run();

 private:
  struct Exit {
    int status = 0;
    int64_t at_ns = 0;
  };

  void SetupStdio();
  // Listens on the attach socket; clients' stdin goes to the stdin pipe.
  void OpenAttach();
  // The output has ended: attached clients get what is queued, then EOF.
  void EndAttach();
  // Where the runtime logs (opened by it as /proc/self/fd/N).
  static Fd RuntimeLog();
  // What the runtime hands the container as stdio: its pipes, or /dev/null.
  ChildStdio ContainerStdio() const;
  bool CreateContainer();
  // Start-socket mode: serves requests until one starts the container (true)
  // or abandons it (false: deleted, never to run).
  bool AwaitStart(const StartSocket& socket);
  // Runs `runtime start` with the container's stdio; false with `error` set.
  bool RunStart(std::string& error);
  // Waits through `runtime wait` and records the exit it reports.
  void WaitByRuntime();
  // SIGKILL to every child (they are all the runtime's helpers).
  static void KillChildren();
  // Reaps children until none is left, for at most `limit`.
  void ReapAllChildren(std::chrono::milliseconds limit);
  void TakeConsole(Fd master);
  bool Fail(const std::string& text);  // report, clean up the runtime's state, false
  pid_t ReadPidFile() const;
  void RunToCompletion(const std::vector<std::string>& argv);
  // Serves signals and the output pipes until done() holds; `on_extra` runs
  // when `extra_fd` (if >= 0) is readable.
  void Pump(const std::function<bool()>& done, int extra_fd = -1, const std::function<void()>& on_extra = {});
  void DropStdio();  // the container holds its ends now
  void HandleSignals();
  void Reap();
  // One read from output pipe `i`; false once it is at EOF or would block.
  bool ReadPipe(size_t i);
  void DrainPipes();

  Options o_;
  SyncPipe& sync_;
  Fd signals_;
  Fd null_;
  Fd stdin_read_, stdin_write_;  // only with --stdin: conmon holds the write end open
                                 // (in attach_, with an attach socket)
  Fd out_read_[2], out_write_[2];  // container stdout, stderr (with a log or an attach socket); with --tty,
                                   // out_read_[0] is a dup of console_ (closed at EIO)
  Fd console_;  // --tty: the pty master, open until conmon exits (closing it would hang up the tty)
  std::optional<AttachServer> attach_;  // with --attach-socket
  std::optional<LogWriter> log_;
  std::map<pid_t, Exit> exited_;  // reaped children not yet looked at
  pid_t container_ = 0;
  OomWatch oom_;
};

}  // namespace berth::conmon
