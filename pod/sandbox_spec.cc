#include "pod/sandbox_spec.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <mutex>

#include "storage/base/error.h"
#include "pod/oci_defaults.h"

namespace berth::pod {
namespace {

using nlohmann::json;

constexpr int kWantedPauseOomScoreAdj = -998;

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }
bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsIpcSysctl(const std::string& n) {
  return StartsWith(n, "kernel.shm") || StartsWith(n, "kernel.msg") || n == "kernel.sem" || StartsWith(n, "fs.mqueue.");
}

// net.ipv4.conf.<dev>.*, net.ipv6.conf.<dev>.* and net.ipv4.neigh.<dev>.*
// name a device of the pod's namespace, which berthd's may not have.
bool PerDeviceSysctl(const std::string& n) {
  for (const char* p : {"net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh."}) {
    if (!StartsWith(n, p)) continue;
    const std::string dev = n.substr(std::string_view(p).size(), n.find('.', std::string_view(p).size()) -
                                                                      std::string_view(p).size());
    return dev != "all" && dev != "default";
  }
  return false;
}

json DefaultMounts(const Sandbox& sb) {
  // The pod's own tmpfs for /dev/shm, or the host's with host IPC.
  return oci::BaseMounts(sb.shm_path.empty() ? "/dev/shm" : sb.shm_path, false);
}

json Namespaces(const Sandbox& sb) {
  json ns = json::array();
  if (sb.userns) ns.push_back({{"type", "user"}, {"path", sb.userns_path}});
  if (!sb.host_network()) ns.push_back({{"type", "network"}, {"path", sb.netns_path}});
  if (!sb.host_ipc()) ns.push_back({{"type", "ipc"}});
  if (!sb.host_network()) ns.push_back({{"type", "uts"}});
  // Every pod but a host-PID one has a PID namespace of its own, held by
  // the pause (its PID 1): containers in mode POD join it, whatever mode the
  // pod itself asked for, as containerd does.
  if (sb.ns.pid != NsMode::kNode) ns.push_back({{"type", "pid"}});
  ns.push_back({{"type", "mount"}});
  return ns;
}

json Process(const PauseProcess& p, int oom_score_adj) {
  return {{"terminal", false},
          {"user", {{"uid", p.user.uid}, {"gid", p.user.gid}, {"additionalGids", p.user.additional_gids}}},
          {"args", p.args},
          {"env", p.env},
          {"cwd", p.cwd},
          // pause needs no privilege at all.
          {"capabilities", {{"bounding", json::array()}, {"effective", json::array()}, {"permitted", json::array()}}},
          {"noNewPrivileges", true},
          {"oomScoreAdj", oom_score_adj}};
}

}  // namespace

void ValidateSysctls(const std::map<std::string, std::string>& sysctls, const NamespaceOptions& ns,
                     const SysctlExistsFn& exists) {
  for (const auto& [raw, value] : sysctls) {
    std::string name = raw;
    std::replace(name.begin(), name.end(), '/', '.');
    const bool name_ok = !name.empty() && name.size() <= 256 && name.front() != '.' && name.back() != '.' &&
                         name.find("..") == std::string::npos &&
                         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == std::string::npos;
    if (!name_ok) throw InvalidArgument("sysctl " + Quoted(raw) + " is not a sysctl name");
    if (value.empty() || value.size() > 4096 ||
        std::any_of(value.begin(), value.end(), [](char c) { return c == '\n' || c == '\r' || c == '\0'; })) {
      throw InvalidArgument("sysctl " + Quoted(raw) + ": value " + Quoted(value) +
                            " is empty, too long or holds a newline or NUL");
    }
    if (IsIpcSysctl(name)) {
      if (ns.ipc == NsMode::kNode) {
        throw InvalidArgument("sysctl " + Quoted(raw) + " is not allowed: the pod uses the host's IPC namespace");
      }
    } else if (StartsWith(name, "net.")) {
      if (ns.network == NsMode::kNode) {
        throw InvalidArgument("sysctl " + Quoted(raw) + " is not allowed: the pod uses the host's network namespace");
      }
    } else {
      throw InvalidArgument("sysctl " + Quoted(raw) +
                            " is not allowed: only namespaced sysctls (kernel.shm*, kernel.msg*, kernel.sem, "
                            "fs.mqueue.*, net.*) can be set for a pod");
    }
    if (exists && !PerDeviceSysctl(name) && !exists(name)) {
      throw InvalidArgument("sysctl " + Quoted(raw) + " does not exist on this node");
    }
  }
}

bool SysctlExists(const std::string& name) {
  std::string path = "/proc/sys/" + name;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string SandboxCgroupsPath(config::CgroupManager manager, const std::string& parent, const std::string& id) {
  const bool slice = EndsWith(parent, ".slice");
  if (manager == config::CgroupManager::kSystemd) {
    if (parent.empty()) return "system.slice:berth:" + id;
    if (!slice || parent.find('/') != std::string::npos) {
      throw InvalidArgument("cgroup_parent \"" + parent +
                            "\" is not a systemd slice name (e.g. kubepods-burstable-pod1234.slice), but "
                            "runtime.cgroup_manager is systemd");
    }
    return parent + ":berth:" + id;
  }
  if (slice) {
    throw InvalidArgument("cgroup_parent \"" + parent +
                          "\" is a systemd slice, but runtime.cgroup_manager is cgroupfs (kubelet's "
                          "--cgroup-driver must match)");
  }
  if (parent.empty()) return "/berth/" + id;
  std::string p = parent;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.front() != '/') p = "/" + p;
  return (p == "/" ? "" : p) + "/" + id;
}

int PauseOomScoreAdj(int own) {
  if (own <= kWantedPauseOomScoreAdj) return kWantedPauseOomScoreAdj;
  static std::once_flag logged;
  std::call_once(logged, [own] {
    spdlog::info("pause processes get oom_score_adj {} (berthd's own) instead of {}: lowering it needs "
                 "CAP_SYS_RESOURCE",
                 own, kWantedPauseOomScoreAdj);
  });
  return own;
}

int OwnOomScoreAdj() {
  std::ifstream in("/proc/self/oom_score_adj");
  int v = 0;
  if (!(in >> v)) return 0;
  return v;
}

nlohmann::json BuildSandboxSpec(const SandboxSpecInput& in) {
  const Sandbox& sb = in.sandbox;
  json linux_ = {
      {"namespaces", Namespaces(sb)},
      {"cgroupsPath", sb.cgroups_path},
      {"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
      {"maskedPaths", oci::MaskedPaths()},
      {"readonlyPaths", oci::ReadonlyPaths()},
  };
  if (!sb.sysctls.empty()) linux_["sysctl"] = sb.sysctls;
  if (sb.userns) {
    linux_["uidMappings"] = OciIdMappings(sb.userns->uids);
    linux_["gidMappings"] = OciIdMappings(sb.userns->gids);
  }

  json spec = {{"ociVersion", "1.0.2"},
               {"process", Process(in.process, in.oom_score_adj)},
               {"root", {{"path", in.rootfs}, {"readonly", true}}},
               {"mounts", DefaultMounts(sb)},
               {"annotations", {{"io.kubernetes.cri.container-type", "sandbox"},
                                {"io.kubernetes.cri.sandbox-id", sb.id},
                                {"io.kubernetes.cri.sandbox-name", sb.name},
                                {"io.kubernetes.cri.sandbox-namespace", sb.pod_namespace},
                                {"io.kubernetes.cri.sandbox-uid", sb.uid}}},
               {"linux", std::move(linux_)}};
  // A hostname needs a UTS namespace of its own; with host network the pod has the host's.
  if (!sb.host_network()) spec["hostname"] = sb.hostname;
  if (in.security && in.seccomp_node) ApplyProcessSecurity(spec, *in.security, *in.seccomp_node, sb.privileged);
  return spec;
}

}  // namespace berth::pod
