// Fuzzes the OCI spec of a container (pod::BuildContainerSpec and the pure
// checks CreateContainer makes before it): a CRI ContainerConfig, parsed from
// the input as protobuf, is refused with a berth::Error of a client code or
// gives a config.json with what the OCI spec and runc require, in each of a
// few fixed pods (plain, privileged on the host, user namespace, gVisor).
// Left out, because they read the host: the mount propagation check
// (/proc/self/mountinfo) and the host-PID check of the pause.

#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>
#include <nlohmann/json.hpp>

#include "cri/cri.h"
#include "pod/container_spec.h"
#include "pod/request_checks.h"
#include "pod/security.h"
#include "pod/signals.h"
#include "pod/userns.h"
#include "tests/fuzz/fuzz_check.h"

namespace berth::fuzz {
namespace {

using nlohmann::json;
using namespace berth::pod;
namespace v1 = runtime::v1;

const std::string kId(64, 'c');
const std::string kRootfs = "/var/lib/berth/containers/" + kId + "/rootfs";
const std::string kPasswd = "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n";
const std::string kGroup = "root:x:0:\nwww:x:33:\naudio:x:29:www,bob\nvideo:x:44:bob\n";
constexpr pid_t kTargetPid = 4343;

// One pod the container is created in, and the node around it.
struct Pod {
  std::string name;
  Sandbox sandbox;
  image::ImageConfig image;
  config::Config cfg;  // security.*: what ContainerSecurity reads
  NodeSecurity node;
  std::vector<std::string> own_caps;
  CgroupSupport cgroups;
  int own_oom = 0;
};

image::ImageConfig Image(json config) {
  json body = {{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  body["config"] = std::move(config);
  return image::ImageConfig::Parse(body.dump(), "fuzz image");
}

// Localhost seccomp profiles the input may name ("docker.json", ...), in a temp dir.
std::string ProfileRoot() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-spec-fuzz.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) Finding("mkdtemp failed", dir);
  const json docker = {{"defaultAction", "SCMP_ACT_ERRNO"},
                       {"archMap", {{{"architecture", "SCMP_ARCH_X86_64"}, {"subArchitectures", {"SCMP_ARCH_X86"}}}}},
                       {"syscalls",
                        {{{"names", {"read", "write", "exit_group"}}, {"action", "SCMP_ACT_ALLOW"}},
                         {{"names", {"mount"}}, {"action", "SCMP_ACT_ALLOW"}, {"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}},
                         {{"name", "personality"},
                          {"action", "SCMP_ACT_ALLOW"},
                          {"args", {{{"index", 0}, {"value", 8}, {"op", "SCMP_CMP_EQ"}}}}}}}};
  const json oci = {{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"architectures", {"SCMP_ARCH_X86_64"}},
                    {"syscalls", {{{"names", {"ptrace"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  for (const auto& [name, text] : {std::pair{"docker.json", docker.dump()}, std::pair{"oci.json", oci.dump()},
                                   std::pair{"broken.json", std::string("{\"defaultAction\": ")}}) {
    std::ofstream(dir + "/" + name) << text;
  }
  return dir;
}

Sandbox BaseSandbox() {
  Sandbox sb;
  sb.id = std::string(64, 'a');
  sb.name = "web";
  sb.pod_namespace = "default";
  sb.uid = "uid-1";
  sb.state = SandboxState::kReady;
  sb.hostname = "web-0";
  sb.runtime_handler = sb.requested_handler = "runc";
  sb.netns_path = "/run/berth/netns/" + sb.id;
  sb.shm_path = "/run/berth/sandboxes/" + sb.id + "/shm";
  sb.cgroups_path = "/kubepods/besteffort/poduid-1/" + sb.id;
  sb.log_directory = "/var/log/pods/default_web_uid-1";
  sb.ns = {NsMode::kPod, NsMode::kContainer, NsMode::kPod, ""};
  sb.pause_pid = 4242;
  return sb;
}

Pod Base(std::string name, const std::string& profile_root) {
  Pod p{.name = std::move(name), .sandbox = BaseSandbox(), .image = {}, .cfg = config::Config::Defaults(),
        .node = {}, .own_caps = {}, .cgroups = {}, .own_oom = 0};
  p.cfg.security.seccomp_profile_root = profile_root;
  p.node.seccomp = {.supported = true, .architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"},
                    .kernel_major = 6, .kernel_minor = 1, .known_syscalls = {}};
  return p;
}

// Pod network, IPC and per-container PID; an image with everything set.
Pod PlainPod(const std::string& root) {
  Pod p = Base("plain", root);
  p.image = Image({{"Entrypoint", {"/entry"}}, {"Cmd", {"-v", "run"}}, {"Env", {"PATH=/opt/bin:/bin", "A=image"}},
                   {"WorkingDir", "/srv"}, {"User", "www"}, {"Volumes", {{"/data", json::object()}, {"cache/", json::object()}}},
                   {"StopSignal", "SIGQUIT"}});
  return p;
}

// Privileged, host network, IPC and PID; cgroup v1 without hugetlb or swap; an image with no command.
Pod HostPod(const std::string& root) {
  Pod p = Base("host", root);
  p.sandbox.privileged = true;
  p.sandbox.ns = {NsMode::kNode, NsMode::kNode, NsMode::kNode, ""};
  p.sandbox.netns_path.clear();
  p.sandbox.shm_path.clear();
  p.sandbox.runtime_handler = "crun";
  p.image = Image(json::object());
  p.cgroups = {.detected = true, .unified = false, .controllers = {"cpu", "cpuset", "memory", "pids"},
               .hugepage_sizes = {}, .swap = false, .v1_mounts = {}};
  p.own_caps = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID"};
  p.own_oom = -500;
  p.node.mac = {.apparmor = true, .apparmor_loaded = {"berth-default", "custom"}, .selinux = false};
  return p;
}

// A user namespace and a shared PID namespace; cgroup v2; RuntimeDefault seccomp by config.
Pod UsernsPod(const std::string& root) {
  Pod p = Base("userns", root);
  p.sandbox.userns = UsernsMappings{{{0, 100000, 65536}}, {{0, 100000, 65536}}};
  p.sandbox.userns_path = "/run/berth/sandboxes/" + p.sandbox.id + "/userns";
  p.sandbox.ns.pid = NsMode::kPod;
  p.image = Image({{"Cmd", {"/bin/sh"}}, {"User", "33:audio"}});
  p.cfg.security.seccomp_default = "runtime/default";
  p.cgroups = {.detected = true, .unified = true, .controllers = {"cpu", "cpuset", "io", "memory", "pids", "hugetlb"},
               .hugepage_sizes = {"2MB"}, .swap = true, .v1_mounts = {}};
  p.node.mac = {.apparmor = false, .apparmor_loaded = {}, .selinux = true};
  return p;
}

// gVisor: a sandbox runtime, privileged pod.
Pod GvisorPod(const std::string& root) {
  Pod p = Base("gvisor", root);
  p.sandbox.runtime_type = config::RuntimeType::kSandbox;
  p.sandbox.runtime_handler = "runsc";
  p.sandbox.privileged = true;
  p.image = Image({{"Cmd", {"/pause"}}, {"User", "1000"}, {"StopSignal", "RTMIN+3"}});
  p.cfg.security.seccomp_default = "runtime/default";
  return p;
}

const std::vector<Pod>& Pods() {
  static const std::vector<Pod> pods = [] {
    const std::string root = ProfileRoot();
    return std::vector<Pod>{PlainPod(root), HostPod(root), UsernsPod(root), GvisorPod(root)};
  }();
  return pods;
}

std::optional<DeviceInfo> FakeDevice(const std::string& host_path) {
  if (host_path == "/dev/fuse") return DeviceInfo{'c', 10, 229, 0666, 0, 0};
  if (host_path == "/dev/loop0") return DeviceInfo{'b', 7, 0, 0660, 0, 6};
  return std::nullopt;
}

// CreateContainer's checks of the request alone (ValidateRequest in pod/container_create.cc).
void CheckRequest(const v1::ContainerConfig& c) {
  if (c.metadata().name().empty()) throw InvalidArgument("config.metadata.name is required");
  if (c.image().image().empty()) throw InvalidArgument("config.image.image is required");
  CheckEnv(c, "config.envs");
  CheckPathString(c.log_path(), "config.log_path");
  for (const auto& m : c.mounts()) {
    CheckPathString(m.host_path(), "config.mounts.host_path");
    CheckPathString(m.container_path(), "config.mounts.container_path");
  }
  for (const auto& d : c.devices()) CheckPathString(d.host_path(), "config.devices.host_path");
}

// --- properties of the spec ----------------------------------------------------------------

// j[key], which must be there.
const json& Field(const json& j, const std::string& key, const std::string& shown) {
  Require(j.is_object() && j.contains(key), "the spec has no " + key, shown);
  return j.at(key);
}

void RequireStrings(const json& j, const std::string& what, const std::string& shown) {
  Require(j.is_array(), what + " is not an array", shown);
  for (const auto& s : j) Require(s.is_string(), what + " holds a non-string", shown);
}

bool IsAbsolute(const json& j) { return j.is_string() && j.get<std::string>().starts_with('/'); }

void CheckUser(const json& user, const std::string& shown) {
  Require(Field(user, "uid", shown).is_number_unsigned() && Field(user, "gid", shown).is_number_unsigned(),
          "process.user ids are not unsigned", shown);
  const json& gids = Field(user, "additionalGids", shown);
  Require(gids.is_array(), "process.user.additionalGids is not an array", shown);
  for (const auto& g : gids) Require(g.is_number_unsigned(), "additionalGids holds a non-id", shown);
}

void CheckProcess(const json& p, const Pod& pod, const std::string& shown) {
  const json& args = Field(p, "args", shown);
  RequireStrings(args, "process.args", shown);
  Require(!args.empty(), "process.args is empty", shown);
  Require(IsAbsolute(Field(p, "cwd", shown)), "process.cwd is not absolute", shown);
  const json& env = Field(p, "env", shown);
  RequireStrings(env, "process.env", shown);
  for (const auto& e : env) {
    const size_t eq = e.get<std::string>().find('=');
    Require(eq != std::string::npos && eq > 0, "process.env entry is not KEY=VALUE", shown);
  }
  CheckUser(Field(p, "user", shown), shown);
  const json& oom = Field(p, "oomScoreAdj", shown);
  Require(oom.is_number_integer() && oom.get<int64_t>() >= pod.own_oom && oom.get<int64_t>() <= 1000,
          "process.oomScoreAdj out of range", shown);
  const json& caps = Field(p, "capabilities", shown);
  Require(caps.is_object(), "process.capabilities is not an object", shown);
  for (const auto& [set, names] : caps.items()) RequireStrings(names, "process.capabilities." + set, shown);
}

void CheckMounts(const json& mounts, const std::string& shown) {
  Require(mounts.is_array(), "spec.mounts is not an array", shown);
  for (const auto& m : mounts) {
    Require(IsAbsolute(Field(m, "destination", shown)), "mount destination is not absolute", shown);
    Require(Field(m, "type", shown).is_string() && Field(m, "source", shown).is_string(), "mount type or source", shown);
    RequireStrings(Field(m, "options", shown), "mount options", shown);
  }
}

void CheckNamespaces(const json& namespaces, const std::string& shown) {
  static const std::set<std::string> kTypes = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"};
  std::set<std::string> seen;
  Require(namespaces.is_array(), "linux.namespaces is not an array", shown);
  for (const auto& ns : namespaces) {
    const json& type = Field(ns, "type", shown);
    Require(type.is_string() && kTypes.contains(type.get<std::string>()), "unknown namespace type", shown);
    Require(seen.insert(type.get<std::string>()).second, "namespace type twice (runc refuses it)", shown);
    Require(!ns.contains("path") || IsAbsolute(ns.at("path")), "namespace path is not absolute", shown);
  }
  Require(seen.contains("mount"), "no mount namespace of its own", shown);
}

void CheckLinux(const json& l, const Pod& pod, const std::string& shown) {
  CheckNamespaces(Field(l, "namespaces", shown), shown);
  Require(Field(l, "resources", shown).is_object(), "linux.resources is not an object", shown);
  Require(l.contains("uidMappings") == pod.sandbox.userns.has_value(), "uidMappings iff a pod user namespace", shown);
  RequireStrings(Field(l, "maskedPaths", shown), "linux.maskedPaths", shown);
  RequireStrings(Field(l, "readonlyPaths", shown), "linux.readonlyPaths", shown);
}

void CheckSpec(const ContainerSpec& out, const Pod& pod) {
  const json& s = out.spec;
  std::string text;
  try {
    text = s.dump();  // what config.json gets
  } catch (const std::exception& e) {
    Finding("the spec cannot be written as JSON (" + CurrentExceptionType() + ")", e.what());
  }
  const std::string shown = pod.name + ": " + text;
  Require(json::parse(text, nullptr, false) == s, "the spec's JSON reads back differently", shown);
  const json& version = Field(s, "ociVersion", shown);
  Require(version.is_string() && !version.get<std::string>().empty(), "ociVersion is not a version", shown);
  const json& root = Field(s, "root", shown);
  Require(Field(root, "path", shown) == kRootfs, "root.path is not the rootfs", shown);
  Require(Field(root, "readonly", shown).is_boolean(), "root.readonly is not a boolean", shown);
  CheckProcess(Field(s, "process", shown), pod, shown);
  CheckMounts(Field(s, "mounts", shown), shown);
  CheckLinux(Field(s, "linux", shown), pod, shown);
  const json& annotations = Field(s, "annotations", shown);
  Require(annotations.is_object(), "annotations is not an object", shown);
  for (const auto& [k, v] : annotations.items()) Require(v.is_string(), "annotation " + k + " is not a string", shown);
  if (Refusal("SignalNumber", [&] { SignalNumber(out.stop_signal); })) {
    Finding("the stop signal has no number", pod.name + ": " + out.stop_signal);
  }
}

// --- one container in one pod --------------------------------------------------------------

ContainerSpecInput Input(const v1::ContainerConfig& c, const Pod& p, const ProcessSecurity& sec, pid_t target_pid) {
  const std::string run = "/run/berth/sandboxes/" + p.sandbox.id;
  return {.config = c, .image = p.image, .sandbox = p.sandbox, .container_id = kId, .rootfs = kRootfs,
          .cgroups_path = "/kubepods/besteffort/poduid-1/" + kId, .pause_pid = p.sandbox.pause_pid,
          .target_pid = target_pid, .hosts_path = run + "/hosts", .resolv_conf_path = run + "/resolv.conf",
          .hostname_path = run + "/hostname", .volumes_dir = "/var/lib/berth/containers/" + kId + "/volumes",
          .etc_passwd = kPasswd, .etc_group = kGroup, .own_oom_score_adj = p.own_oom, .stat_device = FakeDevice,
          .own_capabilities = p.own_caps, .cgroups = p.cgroups, .security = &sec, .seccomp_node = &p.node.seccomp};
}

void CreateIn(const Pod& p, const v1::ContainerConfig& c) {
  const auto& nso = c.linux().security_context().namespace_options();
  ProcessSecurity sec;
  const auto checks = [&] {
    CheckContainerUserns(nso, p.sandbox.userns, "config.linux.security_context.namespace_options.userns_options");
    ContainerLogPath(p.sandbox.log_directory, c.log_path(), "config.log_path");
    sec = ContainerSecurity(c.linux().security_context(), p.cfg, p.node, "config.linux.security_context");
  };
  if (Refusal(p.name + ": CreateContainer checks", checks)) return;
  // A TARGET needs a target id; the fuzz pretends every id names a running container of the pod.
  if (nso.pid() == v1::TARGET && nso.target_id().empty()) return;
  ContainerSpec spec;
  const pid_t target = nso.pid() == v1::TARGET ? kTargetPid : 0;
  if (Refusal(p.name + ": BuildContainerSpec", [&] { spec = BuildContainerSpec(Input(c, p, sec, target)); })) return;
  CheckSpec(spec, p);
  const auto applied = [&] { AppliedResources(c.linux().resources(), spec.spec["linux"]["resources"]); };
  if (Refusal(p.name + ": AppliedResources", applied)) Finding("AppliedResources refused a built spec's resources");
}


void IgnoreProtobufLog(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // "String field ... contains invalid UTF-8": a parse failure the fuzz expects, not news.
  google::protobuf::SetLogHandler(&berth::fuzz::IgnoreProtobufLog);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::fuzz;
  runtime::v1::ContainerConfig c;
  // As gRPC hands it to berthd: bytes that are no ContainerConfig never reach it.
  if (!c.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (Refusal("CreateContainer request checks", [&] { CheckRequest(c); })) return 0;
  for (const Pod& p : Pods()) CreateIn(p, c);
  return 0;
}
