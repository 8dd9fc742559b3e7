#include "network/cni_exec.h"

#include <unistd.h>

#include "cri/error.h"
#include "network/cni_result.h"
#include "network/process.h"

extern char** environ;

namespace berth::network {
using nlohmann::json;
namespace {

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// berthd's environment (plugins need PATH, e.g. portmap runs iptables) minus
// any CNI_* it inherited, plus this call's CNI_* parameters.
std::vector<std::string> PluginEnv(const PluginInvocation& inv) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("CNI_")) env.emplace_back(kv);
  }
  env.push_back("CNI_COMMAND=" + inv.command);
  env.push_back("CNI_CONTAINERID=" + inv.container_id);
  env.push_back("CNI_NETNS=" + inv.netns);
  env.push_back("CNI_IFNAME=" + inv.ifname);
  env.push_back("CNI_ARGS=" + inv.cni_args);
  env.push_back("CNI_PATH=" + Join(inv.bin_dirs, ":"));
  return env;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  constexpr size_t kMax = 4096;
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return s;
}

}  // namespace

std::string FindPlugin(const std::string& type, const std::vector<std::string>& bin_dirs) {
  if (type.empty() || type.find('/') != std::string::npos)
    throw FailedPrecondition("CNI plugin type '" + type + "' is not a plain name");
  for (const auto& dir : bin_dirs) {
    std::string path = dir + "/" + type;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  throw FailedPrecondition("CNI plugin '" + type + "' not found in [" + Join(bin_dirs, ", ") + "]");
}

json ExecPlugin(const PluginInvocation& inv, const json& config) {
  const std::string type = config.value("type", "");
  const std::string path = FindPlugin(type, inv.bin_dirs);
  const std::string what = "CNI plugin " + type + " " + inv.command;
  ProcessResult r = RunProcess(path, {path}, PluginEnv(inv), config.dump(), inv.timeout);
  if (r.timed_out)
    throw DeadlineExceeded(what + " did not finish within " + std::to_string(inv.timeout.count()) + " ms");
  json out = Trim(r.out).empty() ? json() : json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (!r.exited || r.exit_code != 0) {
    std::string msg = CniErrorMessage(out);
    if (msg.empty()) msg = Trim(r.out.empty() ? r.err : r.out);
    if (msg.empty()) msg = "no output";
    throw Internal(what + " failed (" + r.Describe() + "): " + msg);
  }
  if (out.is_discarded()) throw Internal(what + " printed output that is not JSON: " + Trim(r.out));
  return out;
}

}  // namespace berth::network
