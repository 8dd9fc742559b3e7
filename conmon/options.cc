#include "conmon/options.h"

#include <stdexcept>
#include <string_view>

namespace berth::conmon {
namespace {

long ParseNumber(std::string_view flag, const std::string& value, long min) {
  size_t used = 0;
  long n = -1;
  try {
    n = std::stol(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || n < min) {
    throw std::invalid_argument(std::string(flag) + ": '" + value + "' is not a number >= " + std::to_string(min));
  }
  return n;
}

}  // namespace

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--stdin") {
      o.stdin_open = true;
      continue;
    }
    if (flag == "--tty") {
      o.tty = true;
      continue;
    }
    if (flag == "--wait-by-runtime") {
      o.wait_by_runtime = true;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + ": missing value");
    std::string value = argv[++i];
    if (flag == "--runtime") o.runtime = value;
    else if (flag == "--runtime-root") o.runtime_root = value;
    else if (flag == "--id") o.id = value;
    else if (flag == "--bundle") o.bundle = value;
    else if (flag == "--pid-file") o.pid_file = value;
    else if (flag == "--exit-file") o.exit_file = value;
    else if (flag == "--log-path") o.log_path = value;
    else if (flag == "--log-max-line-size") o.log_max_line = static_cast<size_t>(ParseNumber(flag, value, 1));
    else if (flag == "--runtime-arg") o.runtime_args.push_back(value);
    else if (flag == "--start-socket") o.start_socket = value;
    else if (flag == "--attach-socket") o.attach_socket = value;
    else if (flag == "--sync-fd") o.sync_fd = static_cast<int>(ParseNumber(flag, value, 3));
    else throw std::invalid_argument("unknown flag " + std::string(flag));
  }
  const std::pair<const char*, const std::string*> required[] = {
      {"--runtime", &o.runtime}, {"--id", &o.id},               {"--bundle", &o.bundle},
      {"--pid-file", &o.pid_file}, {"--exit-file", &o.exit_file}};
  for (const auto& [name, value] : required) {
    if (value->empty()) throw std::invalid_argument(std::string(name) + " is required");
  }
  return o;
}

}  // namespace berth::conmon
