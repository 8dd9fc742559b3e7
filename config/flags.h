#pragma once
// berthd's command line: a subcommand, where the config comes from, and
// overrides that win over every config file.

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"

namespace berth::config {

enum class Command { kServe, kPrintConfig, kVersion, kHelp };

struct CommandLine {
  Command command = Command::kServe;
  Sources sources;
  std::vector<std::function<void(Config&)>> overrides;  // applied after the files, in order

  // Loads the files, applies the flags and validates the result.
  Config Resolve() const;
};

// Throws ConfigError naming the flag on an unknown flag or a missing value.
CommandLine ParseCommandLine(const std::vector<std::string>& args);

const char* Usage();

}  // namespace berth::config
