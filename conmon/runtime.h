#pragma once
// Running the OCI runtime from berth-conmon: its command lines, spawning it
// with the container's stdio, and turning its JSON log into an error text.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "conmon/options.h"

namespace berth::conmon {

struct ChildStdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

// `<runtime> [--root R] --log LOG --log-format json create --bundle B --pid-file P
//  [--console-socket S] <id>` (the socket only if `console_socket` is not empty)
std::vector<std::string> CreateArgs(const Options& o, const std::string& runtime_log,
                                    const std::string& console_socket = "");
// `<runtime> [--root R] --log LOG --log-format json start <id>`
std::vector<std::string> StartArgs(const Options& o, const std::string& runtime_log);
// `<runtime> [--root R] wait <id>`: blocks until the container exits and
// prints {"id": ..., "exitStatus": N} (N is 128+S when killed by signal S).
std::vector<std::string> WaitArgs(const Options& o);
// N from wait's output; nullopt when it is not that.
std::optional<int> ParseWaitOutput(const std::string& out);

// `<runtime> [--root R] delete --force <id>`
std::vector<std::string> DeleteArgs(const Options& o);

// Forks and execs argv[0] with `stdio` as fds 0-2, an empty signal mask and
// default dispositions; `keep_fd` (if >= 0) stays open across the exec.
// Throws std::system_error if fork fails.
pid_t Spawn(const std::vector<std::string>& argv, ChildStdio stdio, int keep_fd = -1);

// "exited with status N" / "killed by signal N (NAME)".
std::string DescribeWaitStatus(int status);

// The messages of the error/fatal entries of a runtime's JSON log (one JSON
// object a line, as runc and crun write with --log-format json), joined by
// "; ". Falls back to the log's raw tail when nothing parses.
std::string RuntimeErrorText(const std::string& log);

}  // namespace berth::conmon
