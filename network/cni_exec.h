#pragma once
// Executes one CNI plugin per the CNI spec's protocol: parameters in CNI_*
// environment variables, network config on stdin, result or error on stdout.

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace berth::network {

struct PluginInvocation {
  std::string command;  // ADD, DEL, CHECK
  std::string container_id, netns, ifname, cni_args;
  std::vector<std::string> bin_dirs;  // searched in order; also CNI_PATH
  std::chrono::milliseconds timeout{60000};
};

// The first executable bin_dirs/<type>; throws berth::Error FAILED_PRECONDITION if none.
std::string FindPlugin(const std::string& type, const std::vector<std::string>& bin_dirs);

// Runs the plugin named by config["type"] and returns its stdout as JSON
// (null when it printed nothing, as DEL and CHECK do). Throws berth::Error:
// INTERNAL with the plugin's own CNI error (msg, details, code) or its
// output, DEADLINE_EXCEEDED on timeout, FAILED_PRECONDITION if not found.
nlohmann::json ExecPlugin(const PluginInvocation& inv, const nlohmann::json& config);

}  // namespace berth::network
