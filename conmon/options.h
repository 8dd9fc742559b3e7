#pragma once
// berth-conmon's command line:
//   berth-conmon --runtime PATH [--runtime-root DIR] --id ID --bundle DIR
//                --pid-file FILE --exit-file FILE [--log-path FILE]
//                [--log-max-line-size BYTES] [--stdin] [--tty] [--sync-fd N]

#include <cstddef>
#include <string>

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
};

// Throws std::invalid_argument naming the bad or missing flag.
Options ParseOptions(int argc, char** argv);

}  // namespace berth::conmon
