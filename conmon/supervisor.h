#pragma once
// berth-conmon's work for one container: run `runtime create` with the
// container's stdio (pipes, or with --tty the pty the runtime sends), report
// the result on the sync pipe, copy the container's output into the CRI log, reap the container (conmon is its
// subreaper) and record how it ended in the exit file.

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>

#include "conmon/fd.h"
#include "conmon/log_writer.h"
#include "conmon/oom.h"
#include "conmon/options.h"
#include "conmon/report.h"

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
  bool CreateContainer();
  void TakeConsole(Fd master);
  bool Fail(const std::string& text);  // report, clean up the runtime's state, false
  pid_t ReadPidFile() const;
  void RunToCompletion(const std::vector<std::string>& argv);
  // Serves signals and the output pipes until done() holds.
  void Pump(const std::function<bool()>& done);
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
  Fd out_read_[2], out_write_[2];  // container stdout, stderr (only with a log); with --tty,
                                   // out_read_[0] is a dup of console_ (closed at EIO)
  Fd console_;  // --tty: the pty master, open until conmon exits (closing it would hang up the tty)
  std::optional<LogWriter> log_;
  std::map<pid_t, Exit> exited_;  // reaped children not yet looked at
  pid_t container_ = 0;
  OomWatch oom_;
};

}  // namespace berth::conmon
