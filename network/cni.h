#pragma once
// Pod networking through CNI plugins, per the CNI spec (results 0.4.0 and
// 1.0.0): ADD on sandbox run, DEL on stop (from the cached config and
// result, so it works after a restart or after the conf dir changed), CHECK;
// and the exec of one plugin, which they all come down to.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "network/cni_config.h"

namespace berth::network {

struct PortMapping {
  std::string protocol = "tcp";  // tcp, udp, sctp
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string host_ip;
};

struct Bandwidth {  // bits per second / bits, as the bandwidth plugin takes them
  int64_t ingress_rate = 0, ingress_burst = 0, egress_rate = 0, egress_burst = 0;
};

// What CNI needs to attach one pod.
struct Attachment {
  std::string container_id;  // the sandbox id
  std::string netns_path;
  std::string ifname = "eth0";
  std::string pod_name, pod_namespace, pod_uid;
  std::vector<PortMapping> port_mappings;
  std::optional<Bandwidth> bandwidth;
};

struct PodNetwork {
  std::vector<std::string> ips;  // pod IPs from the result, primary first (v4 before v6)
  nlohmann::json result;         // the final plugin's result
  std::string network_name;
};

// One plugin call per the CNI spec's exec protocol: parameters in CNI_*
// environment variables, the network config on stdin, the result or error
// on stdout.
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

class Cni {
 public:
  Cni(std::string conf_dir, std::vector<std::string> bin_dirs, std::string cache_dir);

  // The current default network (re-read when the conf dir changed).
  CniDiscovery Discover();

  // Runs ADD through the default network's chain. On a plugin error, runs DEL
  // for what was added and throws berth::Error carrying the plugin's message;
  // FAILED_PRECONDITION when there is no network config.
  PodNetwork Setup(const Attachment& a);
  // DEL with the cached config and result; succeeds when the netns or the cache
  // is already gone; idempotent. Throws berth::Error on a plugin error.
  void Teardown(const Attachment& a);
  // CHECK against the cached config and result.
  void Check(const Attachment& a);

  std::optional<PodNetwork> Cached(const std::string& container_id) const;
  std::vector<std::string> CachedContainerIds() const;  // for orphan cleanup at start

  // How long one plugin call may run before it is killed (default 60 s).
  void set_plugin_timeout(std::chrono::milliseconds t) { plugin_timeout_ = t; }

 private:
  // What Discover() last read was based on: the conf dir's and its config files' mtimes.
  struct FileStamp {
    std::string path;
    int64_t mtime_ns = -1, size = -1;
    bool operator==(const FileStamp&) const = default;
  };
  std::vector<FileStamp> ConfDirStamp() const;
  // DEL through plugins [0, count) in reverse; best_effort logs errors instead of throwing.
  void RunDel(const nlohmann::json& conflist, size_t count, const nlohmann::json& prev_result,
              const Attachment& a, bool best_effort) const;

  std::string conf_dir_;
  std::vector<std::string> bin_dirs_;
  std::string cache_dir_;
  std::chrono::milliseconds plugin_timeout_{60000};
  mutable std::mutex mu_;  // guards the discovery cache below
  std::vector<FileStamp> stamp_;
  std::optional<CniDiscovery> discovered_;
};

}  // namespace berth::network
