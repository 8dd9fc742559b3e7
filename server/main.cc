// berthd: the berth CRI daemon.
#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "config/build_info.h"
#include "config/flags.h"
#include "server/daemon.h"

int main(int argc, char** argv) {
  using namespace berth;
  // gRPC's threads would each get a malloc arena of their own, every one
  // holding freed memory; two serve berthd's load (pod/pods.cc trims them).
  ::mallopt(M_ARENA_MAX, 2);
  server::BlockShutdownSignals();
  config::CommandLine cl;
  config::Config cfg;
  try {
    cl = config::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
    if (cl.command == config::Command::kHelp) {
      std::cout << config::Usage();
      return 0;
    }
    if (cl.command == config::Command::kVersion) {
      std::cout << "berthd " << kVersion << " (CRI runtime.v1)\n";
      return 0;
    }
    cfg = cl.Resolve();
  } catch (const config::ConfigError& e) {
    std::cerr << "berthd: " << e.what() << "\n";
    return 2;
  }
  if (cl.command == config::Command::kPrintConfig) {
    std::cout << config::ToYaml(cfg);
    return 0;
  }

  auto logger = spdlog::stderr_color_mt("berthd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  return server::Serve(cfg);
}
