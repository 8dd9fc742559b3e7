#pragma once
// Runs a short-lived helper (a CNI plugin) with a deadline: stdin from a
// buffer, stdout/stderr captured, no other fd inherited, always reaped.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::network {

struct ProcessResult {
  bool exited = false;    // exited normally (exit_code valid)
  int exit_code = -1;
  int term_signal = 0;    // set when killed by a signal
  bool timed_out = false; // killed by us at the deadline
  std::string out, err;
  std::string Describe() const;  // "exit status 1", "killed by signal 9", ...
};

// Spawns `path` (argv = args, environment = env) in its own process group;
// at the deadline the group is killed. With `on_deadline`, that is called
// first and the process gets kDeadlineGrace to exit by itself (e.g. `runc
// exec` after the hook killed the process it runs: runc then reaps it).
// Throws berth::Error if it cannot be started (e.g. posix_spawn failed).
inline constexpr std::chrono::milliseconds kDeadlineGrace{2000};
ProcessResult RunProcess(const std::string& path, const std::vector<std::string>& args,
                         const std::vector<std::string>& env, std::string_view input,
                         std::chrono::milliseconds timeout, const std::function<void()>& on_deadline = {});

}  // namespace berth::network
