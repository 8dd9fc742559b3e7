#pragma once
// A pod sandbox's record: everything berthd must remember about a pod across
// restarts, persisted as <root>/sandboxes/<id>/sandbox.json.

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "network/cni.h"
#include "pod/record_store.h"
#include "pod/userns.h"

namespace berth::pod {

enum class SandboxState { kReady, kNotReady };

// CRI NamespaceMode, same numbering as runtime.v1.NamespaceMode.
enum class NsMode { kPod = 0, kContainer = 1, kNode = 2, kTarget = 3 };

struct NamespaceOptions {
  NsMode network = NsMode::kPod;
  NsMode pid = NsMode::kContainer;
  NsMode ipc = NsMode::kPod;
  std::string target_id;
  bool operator==(const NamespaceOptions&) const = default;
};

struct DnsConfig {
  std::vector<std::string> servers, searches, options;
  bool empty() const { return servers.empty() && searches.empty() && options.empty(); }
  bool operator==(const DnsConfig&) const = default;
};

struct Sandbox {
  std::string id;  // 64 hex digits
  // CRI metadata
  std::string name, pod_namespace, uid;
  uint32_t attempt = 0;

  SandboxState state = SandboxState::kNotReady;
  int64_t created_at = 0;  // unix ns
  std::map<std::string, std::string> labels, annotations;
  std::string runtime_handler;    // the handler the pod runs on (the default for "")
  std::string requested_handler;  // as the request named it: what the CRI reports back
  std::string runtime_path, runtime_root;  // the handler's binary and --root when the pod ran
  config::RuntimeType runtime_type = config::RuntimeType::kProcess;  // and its type and flags
  std::vector<std::string> runtime_args;

  NamespaceOptions ns;
  std::string hostname;
  DnsConfig dns;
  std::vector<network::PortMapping> port_mappings;
  std::string cgroup_parent;
  std::string cgroups_path;  // what the OCI spec says (runtime form)
  std::string log_directory;
  std::map<std::string, std::string> sysctls;
  bool privileged = false;
  std::optional<int64_t> run_as_user, run_as_group;
  bool readonly_rootfs = false;
  std::vector<int64_t> supplemental_groups;

  std::string netns_path;     // empty for host network
  std::vector<std::string> ips;  // primary first
  std::string network_name;   // the CNI network it was attached to
  std::string shm_path;       // empty when the pod uses the host's IPC
  // A user namespace of the pod's own (mode POD): its mappings and its pin
  // (<run dir>/userns), which the pause and the containers join.
  std::optional<UsernsMappings> userns;
  std::string userns_path;
  pid_t pause_pid = 0;
  pid_t monitor_pid = 0;
  std::string pause_image;  // the pause image's id; empty: the built-in pause rootfs
  // A stop finished: the pause is gone and deleted from the runtime, the CNI
  // DEL ran, the shm and rootfs mounts are off. Remove then has only pins,
  // dirs and the record left to do.
  bool torn_down = false;

  bool host_network() const { return ns.network == NsMode::kNode; }
  bool host_ipc() const { return ns.ipc == NsMode::kNode; }
  // name_namespace_uid_attempt: two sandboxes may not share it.
  std::string NameKey() const;
};

void to_json(nlohmann::json& j, const Sandbox& s);
void from_json(const nlohmann::json& j, Sandbox& s);

// Sandbox records at <root>/sandboxes/<id>/sandbox.json.
class SandboxStore : public RecordStore<Sandbox> {
 public:
  explicit SandboxStore(const std::string& dir) : RecordStore(dir, "sandbox.json") {}  // Layout::SandboxRecords
  std::optional<Sandbox> FindByNameKey(const std::string& key) const {
    return FindIf([&](const Sandbox& s) { return s.NameKey() == key; });
  }
};

}  // namespace berth::pod
