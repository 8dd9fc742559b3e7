// Cni: ADD, DEL and CHECK of a pod's network through the default network's
// plugin chain, with the per-pod cache that makes DEL/CHECK repeatable, and
// the exec of each plugin in it.
#include "network/cni.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/base/error.h"
#include "storage/base/metrics.h"
#include "network/cni_cache.h"
#include "network/cni_result.h"
#include "network/netns.h"
#include "storage/base/process.h"

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


PluginInvocation Invocation(const std::string& command, const Attachment& a, const std::vector<std::string>& bin_dirs,
                            std::chrono::milliseconds timeout) {
  PluginInvocation inv;
  inv.command = command;
  inv.container_id = a.container_id;
  inv.netns = a.netns_path;
  inv.ifname = a.ifname;
  inv.cni_args = CniArgs(a);
  inv.bin_dirs = bin_dirs;
  inv.timeout = timeout;
  return inv;
}

std::string Version(const json& conflist) { return conflist.value("cniVersion", ""); }
std::string NetName(const json& conflist) { return conflist.value("name", ""); }

// Per the spec, prevResult is passed to DEL and CHECK from version 0.4.0 on.
json PrevForDelOrCheck(const json& conflist, const json& result) {
  return CniVersionAtLeast(Version(conflist), "0.4.0") ? result : json();
}

}  // namespace

std::string FindPlugin(const std::string& type, const std::vector<std::string>& bin_dirs) {
  if (type.empty() || type.find('/') != std::string::npos)
    throw FailedPrecondition("CNI plugin type '" + type + "' is not a plain name");
  for (const auto& dir : bin_dirs) {
    std::string path = dir + "/" + type;
    // A regular file, as libcni takes: root passes access(X_OK) for a directory too.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0) return path;
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

Cni::Cni(std::string conf_dir, std::vector<std::string> bin_dirs, std::string cache_dir)
    : conf_dir_(std::move(conf_dir)), bin_dirs_(std::move(bin_dirs)), cache_dir_(std::move(cache_dir)) {}

void Cni::RunDel(const json& conflist, size_t count, const json& prev_result, const Attachment& a,
                 bool best_effort) const {
  auto inv = Invocation("DEL", a, bin_dirs_, plugin_timeout_);
  // A netns that is gone is passed as "", which the spec lets DEL treat as
  // "clean up what you can" (IPAM release etc.).
  if (!PinnedNetns::IsPinned(inv.netns)) inv.netns.clear();
  for (size_t i = count; i-- > 0;) {
    try {
      ExecPlugin(inv, PluginStdin(conflist, i, prev_result, a));
    } catch (const Error& e) {
      if (!best_effort) throw Error(e.code(), "CNI network " + NetName(conflist) + " DEL for " + a.container_id + ": " + e.what());
      spdlog::warn("CNI network {} DEL for {} (best effort): {}", NetName(conflist), a.container_id, e.what());
    }
  }
}

namespace {

// CNI ADD and DEL: most of a pod's start on a real node.
metrics::HistogramFamily& CniLatency() {
  static auto& h = metrics::Registry::Global().Histogram(
      "berth_cni_operation_duration_seconds", "Time of a pod's CNI ADD or DEL (the whole plugin chain).",
      {"operation", "result"}, metrics::LatencyBuckets());
  return h;
}

}  // namespace

PodNetwork Cni::Setup(const Attachment& a) {
  metrics::CallTimer timer(CniLatency(), {"ADD"});
  const CniCache cache(cache_dir_);
  cache.PathFor(a.container_id);  // validates the id before anything is created
  if (a.netns_path.empty()) throw InvalidArgument("CNI setup of " + a.container_id + ": no netns path");
  const CniDiscovery d = Discover();
  if (!d.network) throw FailedPrecondition(d.NotReadyMessage(conf_dir_));
  const json& list = d.network->conflist;
  const std::string where = "CNI network " + d.network->name + " ADD for " + a.container_id;

  const auto inv = Invocation("ADD", a, bin_dirs_, plugin_timeout_);
  json result;
  size_t ran = 0;
  // Undoes what the chain added so far, so a failed Setup leaks no IP, veth or rule.
  auto rollback = [&] {
    RunDel(list, ran, PrevForDelOrCheck(list, result), a, /*best_effort=*/true);
    try {
      cache.Remove(a.container_id);
    } catch (const Error& e) {
      spdlog::warn("{}: removing CNI cache: {}", where, e.what());
    }
  };
  // The intent, before the first plugin runs: a berthd killed during ADD
  // leaves this entry (no result yet), and recovery's DEL with exactly this
  // config and attachment frees what the plugins had reserved (the IP).
  cache.Write(a.container_id, CniCacheEntry{list, json(), a});
  try {
    for (; ran < list["plugins"].size();) {
      json conf = PluginStdin(list, ran, result, a);
      ++ran;  // a plugin that failed may have half-added: it gets a DEL too
      json out = ExecPlugin(inv, conf);
      if (!out.is_null()) result = std::move(out);  // the next plugin's prevResult
    }
    if (result.is_null()) throw Internal("the plugin chain returned no result");
    PodNetwork pn{PodIps(result), result, d.network->name};
    cache.Write(a.container_id, CniCacheEntry{list, result, a});  // before Setup returns: DEL must find it
    timer.Ok();
    return pn;
  } catch (const Error& e) {
    rollback();
    throw Error(e.code(), where + ": " + e.what());
  } catch (const std::exception& e) {  // a malformed result (PodIps) or config
    rollback();
    throw Internal(where + ": " + e.what());
  }
}

void Cni::Teardown(const Attachment& a) {
  metrics::CallTimer timer(CniLatency(), {"DEL"});
  const CniCache cache(cache_dir_);
  std::optional<CniCacheEntry> cached;
  try {
    cached = cache.Read(a.container_id);
  } catch (const Error& e) {
    if (e.code() == Code::kInvalidArgument) throw;
    spdlog::warn("CNI teardown of {}: {}; using the current network config", a.container_id, e.what());
  }
  if (!cached) {
    // Nothing recorded (never set up, already torn down, or the cache is lost):
    // DEL with today's config in case something was added, and succeed.
    const CniDiscovery d = Discover();
    if (d.network) RunDel(d.network->conflist, d.network->conflist["plugins"].size(), json(), a, /*best_effort=*/true);
    cache.Remove(a.container_id);
    timer.Ok();
    return;
  }
  Attachment att = cached->attachment;  // the pod parameters ADD used
  if (!a.netns_path.empty()) att.netns_path = a.netns_path;
  const json& list = cached->conflist;
  // An ADD that never finished (the intent alone): each plugin may have
  // added part or nothing, so each DEL is tried and none is fatal.
  const bool interrupted = cached->result.is_null();
  RunDel(list, list.at("plugins").size(), PrevForDelOrCheck(list, cached->result), att, /*best_effort=*/interrupted);
  cache.Remove(a.container_id);
  timer.Ok();
}

void Cni::Check(const Attachment& a) {
  const CniCache cache(cache_dir_);
  const auto cached = cache.Read(a.container_id);
  if (!cached || cached->result.is_null())
    throw FailedPrecondition("CNI check of " + a.container_id + ": its network was not set up (no cached result)");
  const json& list = cached->conflist;
  // CHECK exists from spec 0.4.0 on; a list may also opt out with disableCheck.
  if (!CniVersionAtLeast(Version(list), "0.4.0") || list.value("disableCheck", false)) return;
  Attachment att = cached->attachment;
  if (!a.netns_path.empty()) att.netns_path = a.netns_path;
  const auto inv = Invocation("CHECK", att, bin_dirs_, plugin_timeout_);
  for (size_t i = 0; i < list.at("plugins").size(); ++i) {
    try {
      ExecPlugin(inv, PluginStdin(list, i, cached->result, att));
    } catch (const Error& e) {
      throw Error(e.code(), "CNI network " + NetName(list) + " CHECK for " + a.container_id + ": " + e.what());
    }
  }
}

std::optional<PodNetwork> Cni::Cached(const std::string& container_id) const {
  const auto cached = CniCache(cache_dir_).Read(container_id);
  if (!cached || cached->result.is_null()) return std::nullopt;  // an ADD that never finished
  try {
    return PodNetwork{PodIps(cached->result), cached->result, NetName(cached->conflist)};
  } catch (const std::exception& e) {
    throw Internal("CNI cache of " + container_id + ": " + e.what());
  }
}

std::vector<std::string> Cni::CachedContainerIds() const { return CniCache(cache_dir_).Ids(); }

}  // namespace berth::network
