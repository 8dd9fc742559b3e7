#include "pod/container_spec.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "storage/base/error.h"
#include "pod/capabilities.h"
#include "pod/container_mounts.h"
#include "pod/container_user.h"
#include "pod/oci_defaults.h"
#include "pod/signals.h"

namespace berth::pod {
namespace {

using nlohmann::json;
namespace v1 = runtime::v1;

// CRI command replaces the image Entrypoint and CRI args its Cmd; a CRI
// command without args does not take the image Cmd (Kubernetes semantics).
std::vector<std::string> Args(const v1::ContainerConfig& c, const image::ImageConfig& img) {
  std::vector<std::string> argv;
  if (!c.command().empty()) {
    argv.assign(c.command().begin(), c.command().end());
    argv.insert(argv.end(), c.args().begin(), c.args().end());
  } else {
    argv = img.Entrypoint();
    if (c.args().empty()) {
      const auto cmd = img.Cmd();
      argv.insert(argv.end(), cmd.begin(), cmd.end());
    } else {
      argv.insert(argv.end(), c.args().begin(), c.args().end());
    }
  }
  if (argv.empty()) {
    throw InvalidArgument("no command specified: container \"" + c.metadata().name() +
                          "\" has no command or args and its image no Entrypoint or Cmd");
  }
  return argv;
}

std::string EnvKey(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// "K=V" entries: the image's, each overridden in place by a CRI env of the
// same key, new keys appended; PATH and HOSTNAME when nothing set them.
std::vector<std::string> Env(const v1::ContainerConfig& c, const image::ImageConfig& img, const std::string& hostname) {
  std::vector<std::string> env = img.Env();
  const auto set = [&env](const std::string& key, const std::string& kv) {
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return EnvKey(e) == key; });
    if (it == env.end()) {
      env.push_back(kv);
    } else {
      *it = kv;
    }
  };
  for (const auto& kv : c.envs()) set(kv.key(), kv.key() + "=" + kv.value());
  const auto has = [&env](const std::string& key) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) { return EnvKey(e) == key; });
  };
  if (!has("PATH")) env.push_back(oci::kDefaultPathEnv);
  if (!has("HOSTNAME") && !hostname.empty()) env.push_back("HOSTNAME=" + hostname);
  return env;
}

json Process(const ContainerSpecInput& in, ContainerSpec& out) {
  const auto& c = in.config;
  const auto& sc = c.linux().security_context();
  ContainerUser user = ResolveContainerUser(sc, in.image.User(), in.etc_passwd, in.etc_group);
  // Linux sorts a process's groups (setgroups); gVisor's kernel keeps the
  // order given, so a sandbox runtime gets them sorted to read the same.
  if (in.sandbox.runtime_type == config::RuntimeType::kSandbox) {
    std::sort(user.additional_gids.begin(), user.additional_gids.end());
  }
  std::string cwd = !c.working_dir().empty() ? c.working_dir() : in.image.WorkingDir();
  if (cwd.empty()) cwd = "/";
  if (cwd[0] != '/') throw InvalidArgument("working directory \"" + cwd + "\" is not an absolute path");

  const int64_t requested = c.linux().resources().oom_score_adj();
  if (requested < -1000 || requested > 1000) {
    throw InvalidArgument("oom_score_adj " + std::to_string(requested) + " is outside [-1000, 1000]");
  }
  const int64_t oom = ClampOomScoreAdj(requested, in.own_oom_score_adj);
  if (oom != requested) out.oom_score_adj_requested = requested;

  const std::vector<std::string> all = in.own_capabilities.empty() ? KnownCapabilities() : in.own_capabilities;
  // No rlimits: like containerd and CRI-O, containers inherit berthd's
  // (raising a hard limit above them needs CAP_SYS_RESOURCE).
  return {{"terminal", c.tty()},
          {"user", {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}}},
          {"args", Args(c, in.image)},
          {"env", Env(c, in.image, in.sandbox.hostname)},
          {"cwd", cwd},
          {"capabilities", ContainerCapabilities(sc.capabilities(), sc.privileged(), all)},
          {"noNewPrivileges", sc.no_new_privs()},
          {"oomScoreAdj", oom}};
}

std::string NsPath(pid_t pid, const char* ns, const Sandbox& sb) {
  if (pid <= 0) throw FailedPrecondition("sandbox " + sb.id + " has no running pause process to join");
  return "/proc/" + std::to_string(pid) + "/ns/" + ns;
}

// In a sandbox runtime (gVisor) the pause's namespaces live in the
// sandbox's own kernel, where /proc paths of the host mean nothing: a
// container leaves out what it shares with the pod (network, IPC, UTS and,
// in mode POD, PID: the sandbox's root ones), and asks for new ones without
// a path.
json SandboxRuntimeNamespaces(const ContainerSpecInput& in) {
  json ns = json::array();
  const auto& opts = in.config.linux().security_context().namespace_options();
  if (opts.pid() == v1::TARGET) {
    throw Unimplemented("CreateContainer: runtime handler " + Quoted(in.sandbox.runtime_handler) +
                        " (type sandbox) cannot put a container into another container's PID namespace (mode "
                        "TARGET)");
  }
  if (opts.pid() == v1::CONTAINER) ns.push_back({{"type", "pid"}});
  ns.push_back({{"type", "mount"}});
  return ns;
}

// The pod's network, IPC and UTS namespaces (none of the host's), the PID
// namespace the CRI asks for and a mount namespace of its own.
json Namespaces(const ContainerSpecInput& in) {
  const Sandbox& sb = in.sandbox;
  if (sb.runtime_type == config::RuntimeType::kSandbox) return SandboxRuntimeNamespaces(in);
  json ns = json::array();
  if (sb.userns) ns.push_back({{"type", "user"}, {"path", sb.userns_path}});
  if (!sb.host_network()) {
    if (sb.netns_path.empty()) throw FailedPrecondition("sandbox " + sb.id + " has no network namespace");
    ns.push_back({{"type", "network"}, {"path", sb.netns_path}});
  }
  if (!sb.host_ipc()) ns.push_back({{"type", "ipc"}, {"path", NsPath(in.pause_pid, "ipc", sb)}});
  if (!sb.host_network()) ns.push_back({{"type", "uts"}, {"path", NsPath(in.pause_pid, "uts", sb)}});
  const auto& opts = in.config.linux().security_context().namespace_options();
  switch (opts.pid()) {
    case v1::POD:
      // The pod's PID namespace: the host's for a host-PID pod, else the
      // pause's (every other sandbox has one of its own).
      if (sb.ns.pid != NsMode::kNode) ns.push_back({{"type", "pid"}, {"path", NsPath(in.pause_pid, "pid", sb)}});
      break;
    case v1::TARGET:
      if (in.target_pid <= 0) {
        throw InvalidArgument("PID namespace target \"" + opts.target_id() + "\" has no running process");
      }
      ns.push_back({{"type", "pid"}, {"path", "/proc/" + std::to_string(in.target_pid) + "/ns/pid"}});
      break;
    case v1::NODE:
      break;
    default:
      ns.push_back({{"type", "pid"}});
  }
  ns.push_back({{"type", "mount"}});
  return ns;
}

std::string CheckPermissions(const std::string& perms, const std::string& what) {
  if (perms.empty()) return "rwm";
  if (perms.find_first_not_of("rwm") != std::string::npos) {
    throw InvalidArgument(what + ": permissions \"" + perms + "\" are not a subset of \"rwm\"");
  }
  return perms;
}

// CRI devices: nodes in linux.devices and allow rules after the deny-all
// rule (privileged containers may use every device).
void AddDevices(const ContainerSpecInput& in, bool privileged, json& linux_) {
  json rules = json::array({{{"allow", false}, {"access", "rwm"}}});
  if (privileged) rules.push_back({{"allow", true}, {"access", "rwm"}});
  json nodes = json::array();
  for (const auto& d : in.config.devices()) {
    const std::string what = "config.devices: device " + Quoted(d.host_path());
    if (d.container_path().empty() || d.container_path()[0] != '/') {
      throw InvalidArgument(what + ": container_path \"" + d.container_path() + "\" must be an absolute path");
    }
    const std::string access = CheckPermissions(d.permissions(), what);
    if (!in.stat_device) throw Internal(what + ": no device lookup given");
    const auto info = in.stat_device(d.host_path());
    if (!info) throw InvalidArgument(what + " does not exist or is not a device node");
    const std::string type(1, info->type);
    nodes.push_back({{"path", CleanPath(d.container_path())}, {"type", type}, {"major", info->major},
                     {"minor", info->minor}, {"fileMode", info->file_mode}, {"uid", info->uid}, {"gid", info->gid}});
    rules.push_back({{"allow", true}, {"type", type}, {"major", info->major}, {"minor", info->minor}, {"access", access}});
  }
  if (!nodes.empty()) linux_["devices"] = std::move(nodes);
  linux_["resources"]["devices"] = std::move(rules);
}

json Annotations(const ContainerSpecInput& in) {
  json a = json::object();
  for (const auto& [k, v] : in.config.annotations()) a[k] = v;
  const Sandbox& sb = in.sandbox;
  a["io.kubernetes.cri.container-type"] = "container";
  a["io.kubernetes.cri.container-name"] = in.config.metadata().name();
  a["io.kubernetes.cri.image-name"] = in.config.image().image();
  a["io.kubernetes.cri.sandbox-id"] = sb.id;
  a["io.kubernetes.cri.sandbox-name"] = sb.name;
  a["io.kubernetes.cri.sandbox-namespace"] = sb.pod_namespace;
  a["io.kubernetes.cri.sandbox-uid"] = sb.uid;
  return a;
}

}  // namespace

int64_t ClampOomScoreAdj(int64_t requested, int own) {
  if (requested >= own) return requested;
  static std::once_flag logged;
  std::call_once(logged, [requested, own] {
    spdlog::info("containers asking for oom_score_adj below {} (berthd's own) get {} (first asked {}): lowering "
                 "it needs CAP_SYS_RESOURCE",
                 own, own, requested);
  });
  return own;
}

namespace {

// Keeps a limit when the node has its controller, else records why it went.
class ResourceFilter {
 public:
  ResourceFilter(const CgroupSupport& cg, std::vector<DroppedLimit>* dropped) : cg_(cg), dropped_(dropped) {}

  bool Keep(const std::string& resource, const std::string& controller, const std::string& value, bool zero) {
    if (cg_.Has(controller)) return true;
    Drop(resource, controller, value, zero,
         std::string("the node has no ") + controller + " cgroup controller (" + (cg_.unified ? "v2" : "v1") + ")");
    return false;
  }
  bool KeepHugepage(const std::string& size, uint64_t limit) {
    const std::string resource = "hugepage_limits[" + size + "]";
    if (!Keep(resource, "hugetlb", std::to_string(limit), limit == 0)) return false;
    if (cg_.HasHugepageSize(size)) return true;
    Drop(resource, "hugetlb", std::to_string(limit), limit == 0, "the kernel has no " + size + " huge pages");
    return false;
  }
  bool KeepUnified(const std::string& key, const std::string& value) {
    const std::string resource = "unified[" + key + "]";
    if (!cg_.unified && cg_.detected) {
      Drop(resource, "cgroup2", value, false, "unified (cgroup v2) limits need a cgroup v2 node; this one runs v1");
      return false;
    }
    const std::string controller = key.substr(0, key.find('.'));
    return controller == "cgroup" || Keep(resource, controller, value, false);
  }

 private:
  void Drop(const std::string& resource, const std::string& controller, const std::string& value, bool zero,
            std::string reason) {
    if (dropped_) dropped_->push_back({resource, controller, value, zero, std::move(reason)});
  }
  const CgroupSupport& cg_;
  std::vector<DroppedLimit>* dropped_;
};

// The OCI memory limits. swap is memory plus swap (v1 memsw; runc writes
// swap.max = swap - limit on v2). A memory limit without a swap limit gets
// swap = limit, so the limit means what it says (no swap beyond it), as
// CRI-O and containerd do; kubelet without NodeSwap sends no swap limit.
json MemoryResources(const v1::LinuxContainerResources& r, const CgroupSupport& cg, ResourceFilter& keep) {
  const int64_t limit = r.memory_limit_in_bytes();
  int64_t swap = r.memory_swap_limit_in_bytes();
  if (limit < 0) throw InvalidArgument("memory_limit_in_bytes " + std::to_string(limit) + " is negative");
  if (swap < -1) throw InvalidArgument("memory_swap_limit_in_bytes " + std::to_string(swap) + " is below -1");
  if (swap > 0 && limit > 0 && swap < limit) {
    throw InvalidArgument("memory_swap_limit_in_bytes " + std::to_string(swap) +
                          " is below memory_limit_in_bytes " + std::to_string(limit) +
                          " (it counts memory plus swap)");
  }
  json mem = json::object();
  const bool limited = limit != 0 && keep.Keep("memory_limit_in_bytes", "memory", std::to_string(limit), false);
  if (limited) mem["limit"] = limit;
  if (swap == 0 && !limited) return mem;
  if (!cg.HasSwap()) {
    // Unlimited swap (-1) or none asked for is what such a node gives anyway.
    if (swap > 0) {
      throw InvalidArgument("memory_swap_limit_in_bytes " + std::to_string(swap) +
                            ": this node cannot limit swap (no swap accounting in its memory cgroup)");
    }
    return mem;
  }
  if (swap == 0) swap = limit;
  if (keep.Keep("memory_swap_limit_in_bytes", "memory", std::to_string(swap), false)) mem["swap"] = swap;
  return mem;
}

}  // namespace

nlohmann::json OciResources(const v1::LinuxContainerResources& r, const CgroupSupport& cg,
                            std::vector<DroppedLimit>* dropped) {
  if (r.cpu_shares() < 0) throw InvalidArgument("cpu_shares " + std::to_string(r.cpu_shares()) + " is negative");
  if (r.cpu_period() < 0) throw InvalidArgument("cpu_period " + std::to_string(r.cpu_period()) + " is negative");
  ResourceFilter keep(cg, dropped);
  json res = json::object();
  json cpu = json::object();
  if (r.cpu_shares() != 0 && keep.Keep("cpu_shares", "cpu", std::to_string(r.cpu_shares()), false)) {
    cpu["shares"] = static_cast<uint64_t>(r.cpu_shares());
  }
  if (r.cpu_quota() != 0 && keep.Keep("cpu_quota", "cpu", std::to_string(r.cpu_quota()), false)) {
    cpu["quota"] = r.cpu_quota();
  }
  if (r.cpu_period() != 0 && keep.Keep("cpu_period", "cpu", std::to_string(r.cpu_period()), false)) {
    cpu["period"] = static_cast<uint64_t>(r.cpu_period());
  }
  if (!r.cpuset_cpus().empty() && keep.Keep("cpuset_cpus", "cpuset", r.cpuset_cpus(), false)) {
    cpu["cpus"] = r.cpuset_cpus();
  }
  if (!r.cpuset_mems().empty() && keep.Keep("cpuset_mems", "cpuset", r.cpuset_mems(), false)) {
    cpu["mems"] = r.cpuset_mems();
  }
  if (!cpu.empty()) res["cpu"] = std::move(cpu);
  json mem = MemoryResources(r, cg, keep);
  if (!mem.empty()) res["memory"] = std::move(mem);
  // The CRI (v1) carries no pids limit: kubelet sets it on the pod cgroup.
  json pages = json::array();
  for (const auto& h : r.hugepage_limits()) {
    if (keep.KeepHugepage(h.page_size(), h.limit())) pages.push_back({{"pageSize", h.page_size()}, {"limit", h.limit()}});
  }
  if (!pages.empty()) res["hugepageLimits"] = std::move(pages);
  json u = json::object();
  for (const auto& [k, v] : r.unified()) {
    if (keep.KeepUnified(k, v)) u[k] = v;
  }
  if (!u.empty()) res["unified"] = std::move(u);
  return res;
}

v1::LinuxContainerResources AppliedResources(v1::LinuxContainerResources r, const json& oci) {
  if (!oci.is_object() || !oci.contains("memory")) return r;
  const json& mem = oci.at("memory");
  if (mem.contains("swap")) r.set_memory_swap_limit_in_bytes(mem.at("swap").get<int64_t>());
  return r;
}

ContainerSpec BuildContainerSpec(const ContainerSpecInput& in) {
  const auto& c = in.config;
  const auto& sc = c.linux().security_context();
  if (sc.privileged() && in.sandbox.userns) {
    throw InvalidArgument("container \"" + c.metadata().name() + "\" is privileged, but its pod has a user namespace");
  }
  if (sc.privileged() && !in.sandbox.privileged) {
    throw InvalidArgument("container \"" + c.metadata().name() + "\" is privileged but its sandbox " + in.sandbox.id +
                          " is not");
  }
  ContainerSpec out;
  out.stop_signal = StopSignal(c.stop_signal(), in.image.StopSignal());
  ContainerMounts mounts = BuildContainerMounts(in);
  out.volume_dirs = std::move(mounts.volume_dirs);

  json linux_ = {{"namespaces", Namespaces(in)}, {"cgroupsPath", in.cgroups_path},
                 {"resources", OciResources(c.linux().resources(), in.cgroups, &out.dropped_limits)}};
  AddDevices(in, sc.privileged(), linux_);
  if (in.sandbox.userns) {
    linux_["uidMappings"] = OciIdMappings(in.sandbox.userns->uids);
    linux_["gidMappings"] = OciIdMappings(in.sandbox.userns->gids);
  }
  if (mounts.rootfs_propagation == "rshared" && in.sandbox.runtime_type == config::RuntimeType::kSandbox) {
    // gVisor's mounts live in its own kernel: none can be shared back to the host.
    throw InvalidArgument("CreateContainer: runtime handler " + Quoted(in.sandbox.runtime_handler) +
                          " (type sandbox) cannot propagate mounts back to the host: a mount has propagation "
                          "PROPAGATION_BIDIRECTIONAL");
  }
  if (!mounts.rootfs_propagation.empty()) linux_["rootfsPropagation"] = mounts.rootfs_propagation;
  // Privileged containers see all of /proc and /sys; the CRI's lists (kubelet's procMount) replace the defaults.
  const auto paths = [&](const auto& cri, std::vector<std::string> defaults) {
    if (sc.privileged()) return std::vector<std::string>{};
    return cri.empty() ? defaults : std::vector<std::string>(cri.begin(), cri.end());
  };
  linux_["maskedPaths"] = paths(sc.masked_paths(), oci::MaskedPaths());
  linux_["readonlyPaths"] = paths(sc.readonly_paths(), oci::ReadonlyPaths());

  // No hostname: the container joins the pod's UTS namespace, which has it.
  out.spec = {{"ociVersion", "1.0.2"},
              {"process", Process(in, out)},
              {"root", {{"path", in.rootfs}, {"readonly", sc.readonly_rootfs()}}},
              {"mounts", std::move(mounts.mounts)},
              {"annotations", Annotations(in)},
              {"linux", std::move(linux_)}};
  if (in.security && in.seccomp_node) ApplyProcessSecurity(out.spec, *in.security, *in.seccomp_node, sc.privileged());
  return out;
}

}  // namespace berth::pod
