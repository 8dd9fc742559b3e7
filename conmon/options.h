#pragma once
// berth-conmon's command line:
//   berth-conmon --runtime PATH [--runtime-root DIR] --id ID --bundle DIR
//                --pid-file FILE --exit-file FILE [--log-path FILE]
//                [--log-max-line-size BYTES] [--stdin] [--tty] [--sync-fd N]
//                [--runtime-arg ARG]... [--start-socket PATH] [--wait-by-runtime]
//                [--attach-socket PATH]

#include <cstddef>
#include <string>
#include <vector>

namespace berth::conmon {

struct Options {
  std::string runtime;       // OCI runtime binary
  std::string runtime_root;  // its --root ("" = the runtime's default)
  std::string id;
  std::string bundle;
  std::string pid_file;
  std::string exit_file;
  std::string log_path;      // "" = container stdio is /dev/null
  size_t log_max_line = 16 * 1024;
  bool stdin_open = false;   // keep a stdin pipe open instead of /dev/null
  bool tty = false;          // stdio is a pty (runtime --console-socket); output is "stdout"
  int sync_fd = -1;          // where the create result is reported (-1: nowhere)
  std::vector<std::string> runtime_args;  // global flags before every subcommand
  // Sandbox runtimes (runsc) take a container's stdio at `start`, not at
  // `create`: conmon runs `start` itself when berthd asks on this socket.
  std::string start_socket;
  // The container's pid is the sandbox's, no child of conmon: its exit comes
  // from `<runtime> wait <id>`.
  bool wait_by_runtime = false;
  // Where clients attach to the container's stdio (conmon/attach.h); "" = nowhere.
  std::string attach_socket;
};

// Throws std::invalid_argument naming the bad or missing flag.
Options ParseOptions(int argc, char** argv);

}  // namespace berth::conmon
