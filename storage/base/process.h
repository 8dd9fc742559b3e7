#pragma once
// The one way berthd starts a child: posix_spawn (vfork-like, safe in a
// multi-threaded daemon), nothing but the fds asked for inherited, signal
// mask and dispositions reset, in a process group (or session) of its own.
// A Child owns the process: destroying it kills the group and reaps it,
// unless it was detached (berth-conmon, which must outlive berthd).

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/base/unique_fd.h"

namespace berth {

struct ProcessResult {
  bool exited = false;     // exited normally (exit_code valid)
  int exit_code = -1;
  int term_signal = 0;     // set when killed by a signal
  bool timed_out = false;  // killed by us at the deadline
  std::string out, err;
  std::string Describe() const;  // "exit status 1", "killed by signal 9", ...
  // The shell's convention: the exit code, or 128+N when killed by signal N.
  int Status() const { return exited ? exit_code : 128 + term_signal; }
};

struct SpawnOptions {
  std::string path;               // the program; empty: argv[0]
  std::vector<std::string> argv;
  // The environment; nullopt inherits berthd's.
  std::optional<std::vector<std::string>> env;
  // Captured: stdin holds `input` (an in-memory file, so a child that never
  // reads it cannot block us), stdout/stderr go to pipes Wait() drains.
  // Otherwise all three are /dev/null.
  bool capture = true;
  std::string_view input;
  // More fds for the child: {child's fd number, our fd}.
  std::vector<std::pair<int, int>> extra_fds;
  bool new_session = false;  // setsid (no controlling terminal, no SIGHUP), else a new process group
};

class Child {
 public:
  Child() = default;
  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  // Waits for the exit, draining captured output. At the deadline the group
  // is killed; with `on_deadline`, that is called first and the child gets
  // kDeadlineGrace to exit by itself (e.g. `runc exec` after the hook killed
  // the process it runs: runc then reaps it).
  ProcessResult Wait(std::chrono::milliseconds timeout, const std::function<void()>& on_deadline = {});
  // Leaves the process running and no longer ours: not killed, not waited for.
  pid_t Detach();

  static constexpr std::chrono::milliseconds kDeadlineGrace{2000};

 private:
  friend Child Spawn(const SpawnOptions& opts);
  pid_t pid_ = -1;
  UniqueFd out_, err_;
};

// Throws berth::Error if it cannot be started (posix_spawn failed, e.g. ENOENT).
Child Spawn(const SpawnOptions& opts);

// berthd is a child subreaper (its monitors outlive it), so processes that
// the runtimes it runs leave behind (runsc's helpers) become its children
// when their parents exit. Reaps those that have exited and that neither a
// Child nor `owned_elsewhere` claims; returns how many.
int ReapOrphans(const std::function<bool(pid_t)>& owned_elsewhere);

// A process that re-parents to berthd (the subreaper) when the child that
// started it exits, e.g. what `runc exec --detach` leaves running, and that
// berthd then waits for itself. Hold an AdoptionWindow from before that
// child starts until Adopt() has claimed the process: while any window is
// open, ReapOrphans reaps nothing, so the exit status cannot be taken first.
class AdoptionWindow {
 public:
  AdoptionWindow();
  ~AdoptionWindow();
  AdoptionWindow(const AdoptionWindow&) = delete;
  AdoptionWindow& operator=(const AdoptionWindow&) = delete;
};
// Claims `pid` for WaitAdopted (ReapOrphans leaves it alone).
void Adopt(pid_t pid);
// Blocks until the adopted `pid` exits and reaps it. A pid that is not
// berthd's child (no subreaper) is watched through a pidfd; its status is
// then unknown (exited false, no signal).
ProcessResult WaitAdopted(pid_t pid);

// Spawn (`path` with argv `args`) with captured output, then Wait.
ProcessResult RunProcess(const std::string& path, const std::vector<std::string>& args,
                         const std::vector<std::string>& env, std::string_view input,
                         std::chrono::milliseconds timeout, const std::function<void()>& on_deadline = {});

}  // namespace berth
