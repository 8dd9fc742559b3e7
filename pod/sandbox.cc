#include "pod/sandbox.h"

#include <spdlog/spdlog.h>
#include <sys/random.h>

#include <array>
#include <filesystem>

#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::pod {
namespace fs = std::filesystem;

NLOHMANN_JSON_SERIALIZE_ENUM(SandboxState, {{SandboxState::kReady, "ready"}, {SandboxState::kNotReady, "notready"}})
NLOHMANN_JSON_SERIALIZE_ENUM(NsMode, {{NsMode::kPod, "pod"},
                                      {NsMode::kContainer, "container"},
                                      {NsMode::kNode, "node"},
                                      {NsMode::kTarget, "target"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NamespaceOptions, network, pid, ipc, target_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DnsConfig, servers, searches, options)

namespace {
// network::PortMapping belongs to the network library; its JSON form here is
// local to the record (no ADL hooks that could clash with another one).
nlohmann::json PortsToJson(const std::vector<network::PortMapping>& ports) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : ports) {
    a.push_back({{"protocol", p.protocol}, {"container_port", p.container_port}, {"host_port", p.host_port},
                 {"host_ip", p.host_ip}});
  }
  return a;
}

std::vector<network::PortMapping> PortsFromJson(const nlohmann::json& a) {
  std::vector<network::PortMapping> out;
  for (const auto& j : a) {
    network::PortMapping p;
    j.at("protocol").get_to(p.protocol);
    j.at("container_port").get_to(p.container_port);
    j.at("host_port").get_to(p.host_port);
    j.at("host_ip").get_to(p.host_ip);
    out.push_back(std::move(p));
  }
  return out;
}
}  // namespace

std::string Sandbox::NameKey() const {
  return name + "_" + pod_namespace + "_" + uid + "_" + std::to_string(attempt);
}

void to_json(nlohmann::json& j, const Sandbox& s) {
  j = nlohmann::json{{"id", s.id},
                     {"metadata", {{"name", s.name}, {"namespace", s.pod_namespace}, {"uid", s.uid}, {"attempt", s.attempt}}},
                     {"state", s.state},
                     {"created_at", s.created_at},
                     {"labels", s.labels},
                     {"annotations", s.annotations},
                     {"runtime_handler", s.runtime_handler},
                     {"requested_handler", s.requested_handler},
                     {"runtime_path", s.runtime_path},
                     {"runtime_root", s.runtime_root},
                     {"runtime_type", config::RuntimeTypeName(s.runtime_type)},
                     {"runtime_args", s.runtime_args},
                     {"namespace_options", s.ns},
                     {"hostname", s.hostname},
                     {"dns", s.dns},
                     {"port_mappings", PortsToJson(s.port_mappings)},
                     {"cgroup_parent", s.cgroup_parent},
                     {"cgroups_path", s.cgroups_path},
                     {"log_directory", s.log_directory},
                     {"sysctls", s.sysctls},
                     {"privileged", s.privileged},
                     {"readonly_rootfs", s.readonly_rootfs},
                     {"supplemental_groups", s.supplemental_groups},
                     {"netns_path", s.netns_path},
                     {"ips", s.ips},
                     {"network_name", s.network_name},
                     {"shm_path", s.shm_path},
                     {"pause_pid", s.pause_pid},
                     {"monitor_pid", s.monitor_pid}};
  if (s.run_as_user) j["run_as_user"] = *s.run_as_user;
  if (s.run_as_group) j["run_as_group"] = *s.run_as_group;
  if (!s.pause_image.empty()) j["pause_image"] = s.pause_image;
  if (s.torn_down) j["torn_down"] = true;
  if (s.userns) {
    j["userns"] = UsernsToJson(*s.userns);
    j["userns_path"] = s.userns_path;
  }
}

void from_json(const nlohmann::json& j, Sandbox& s) {
  j.at("id").get_to(s.id);
  const auto& m = j.at("metadata");
  m.at("name").get_to(s.name);
  m.at("namespace").get_to(s.pod_namespace);
  m.at("uid").get_to(s.uid);
  m.at("attempt").get_to(s.attempt);
  j.at("state").get_to(s.state);
  j.at("created_at").get_to(s.created_at);
  j.at("labels").get_to(s.labels);
  j.at("annotations").get_to(s.annotations);
  j.at("runtime_handler").get_to(s.runtime_handler);
  s.requested_handler = j.value("requested_handler", s.runtime_handler);  // records before it was kept
  j.at("runtime_path").get_to(s.runtime_path);
  j.at("runtime_root").get_to(s.runtime_root);
  // Records from before handler types ran on process runtimes.
  s.runtime_type = j.value("runtime_type", "process") == "sandbox" ? config::RuntimeType::kSandbox
                                                                     : config::RuntimeType::kProcess;
  s.runtime_args = j.value("runtime_args", std::vector<std::string>{});
  j.at("namespace_options").get_to(s.ns);
  j.at("hostname").get_to(s.hostname);
  j.at("dns").get_to(s.dns);
  s.port_mappings = PortsFromJson(j.at("port_mappings"));
  j.at("cgroup_parent").get_to(s.cgroup_parent);
  j.at("cgroups_path").get_to(s.cgroups_path);
  j.at("log_directory").get_to(s.log_directory);
  j.at("sysctls").get_to(s.sysctls);
  j.at("privileged").get_to(s.privileged);
  j.at("readonly_rootfs").get_to(s.readonly_rootfs);
  j.at("supplemental_groups").get_to(s.supplemental_groups);
  j.at("netns_path").get_to(s.netns_path);
  j.at("ips").get_to(s.ips);
  j.at("network_name").get_to(s.network_name);
  j.at("shm_path").get_to(s.shm_path);
  j.at("pause_pid").get_to(s.pause_pid);
  j.at("monitor_pid").get_to(s.monitor_pid);
  if (j.contains("run_as_user")) s.run_as_user = j["run_as_user"].get<int64_t>();
  if (j.contains("run_as_group")) s.run_as_group = j["run_as_group"].get<int64_t>();
  s.pause_image = j.value("pause_image", "");
  s.torn_down = j.value("torn_down", false);
  if (j.contains("userns")) {
    s.userns = UsernsFromJson(j["userns"]);
    j.at("userns_path").get_to(s.userns_path);
  }
}

std::string NewId() {
  std::array<unsigned char, 32> bytes{};
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("getrandom");
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

}  // namespace berth::pod
