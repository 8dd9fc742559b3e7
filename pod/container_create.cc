// CreateContainer: the overlay rootfs, the OCI spec and the runtime's create
// (oci::Container); any failure undoes every step.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "pod/capabilities.h"
#include "pod/container_cri.h"
#include "pod/container_manager.h"
#include "pod/container_mounts.h"
#include "pod/container_spec.h"
#include "pod/mount_propagation.h"
#include "pod/pod_files.h"
#include "pod/request_checks.h"
#include "pod/request_limits.h"
#include "pod/sandbox_cri.h"
#include "pod/sandbox_spec.h"
#include "storage/base/clock.h"
#include "storage/base/error.h"
#include "storage/beneath.h"
#include "storage/fs.h"
#include "storage/idmap.h"
#include "storage/mount.h"
#include "storage/rootfs_file.h"

namespace berth::pod {
namespace fs = std::filesystem;

namespace {

std::optional<DeviceInfo> StatDevice(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) return std::nullopt;
  DeviceInfo d;
  d.type = S_ISCHR(st.st_mode) ? 'c' : 'b';
  d.major = major(st.st_rdev);
  d.minor = minor(st.st_rdev);
  d.file_mode = st.st_mode & 07777;
  d.uid = st.st_uid;
  d.gid = st.st_gid;
  return d;
}

// A host path the CRI asks to mount but that does not exist becomes a
// directory, as containerd and CRI-O do (pods rely on it) - but only along
// real directories: through a symlink it could land anywhere.
void EnsureHostPaths(const runtime::v1::ContainerConfig& config) {
  for (const auto& m : config.mounts()) {
    std::error_code ec;
    if (m.host_path().empty() || fs::exists(m.host_path(), ec)) continue;
    try {
      storage::MakeDirsNoSymlinks(m.host_path(), "CreateContainer: config.mounts.host_path", 0755);
    } catch (const Error& e) {
      // A file where a directory must be: the request's path, not berth's fault.
      const int err = e.sys_errno();
      if (e.code() != Code::kInternal || (err != ENOTDIR && err != EEXIST && err != ELOOP && err != ENAMETOOLONG)) throw;
      throw InvalidArgument("CreateContainer: config.mounts.host_path " + Quoted(m.host_path()) +
                            " does not exist and cannot be made a directory: " + e.what());
    }
  }
}

// In a pod with a user namespace, each CRI bind mount's source becomes an
// id-mapped clone under <run dir>/idmap/<n>, so the pod's root sees the
// host's root-owned files as its own. A file system that cannot be id-mapped
// keeps the plain bind (its files then show as nobody), and says so.
void IdmapVolumes(const runtime::v1::ContainerConfig& config, const Sandbox& sb, const std::string& run_dir,
                  nlohmann::json& spec, Rollback& rb) {
  rb.Add("id-mapped volumes", [dir = run_dir + "/idmap"] { storage::UnmountEntries(dir, "id-mapped volume"); });
  for (int i = 0; i < config.mounts_size(); ++i) {
    const auto& m = config.mounts(i);
    const std::string dest = CleanPath(m.container_path()), clone = run_dir + "/idmap/" + std::to_string(i);
    try {
      storage::IdmapBind(m.host_path(), clone, sb.userns_path);
    } catch (const Error& e) {
      if (e.code() != Code::kFailedPrecondition) throw;
      spdlog::warn("container in sandbox {}: mount {} stays unmapped: {}", sb.id, m.host_path(), e.what());
      continue;
    }
    for (auto& mount : spec["mounts"]) {
      if (mount["destination"] == dest && mount["source"] == m.host_path()) mount["source"] = clone;
    }
  }
}

// A pod made before every sandbox got a PID namespace has its pause in the
// host's: "the pod's PID namespace" would then be the host's.
void RefuseHostPidThroughPause(const Sandbox& sb) {
  static const fs::path own_ns = [] {  // berthd's never changes
    std::error_code ec;
    return fs::read_symlink("/proc/self/ns/pid", ec);
  }();
  std::error_code ec;
  const auto pause_ns = fs::read_symlink("/proc/" + std::to_string(sb.pause_pid) + "/ns/pid", ec);
  if (!ec && !own_ns.empty() && pause_ns == own_ns) {
    throw FailedPrecondition("CreateContainer: sandbox " + sb.id +
                             " has no PID namespace of its own (made by an older berthd); PID mode POD would be "
                             "the host's: recreate the pod");
  }
}

// What ALL and privileged mean on this handler: berthd's own set, cut at the
// handler's max_capability.
std::vector<std::string> HandlerCapabilities(const config::Config& cfg, const std::string& handler) {
  std::vector<std::string> caps = OwnCapabilities();
  const auto it = cfg.runtime.handlers.find(handler);
  if (it == cfg.runtime.handlers.end() || it->second.max_capability.empty()) return caps;
  const auto& known = KnownCapabilities();
  const auto last = std::find(known.begin(), known.end(), CapabilityName(it->second.max_capability));
  std::erase_if(caps, [&](const std::string& c) { return std::find(known.begin(), last + 1, c) == last + 1; });
  return caps;
}

void ValidateRequest(const runtime::v1::CreateContainerRequest& req) {
  if (req.pod_sandbox_id().empty()) throw InvalidArgument("CreateContainer: pod_sandbox_id is required");
  if (!req.has_config()) throw InvalidArgument("CreateContainer: config is required");
  const auto& c = req.config();
  if (!c.has_metadata() || c.metadata().name().empty()) {
    throw InvalidArgument("CreateContainer: config.metadata.name is required");
  }
  if (c.image().image().empty()) throw InvalidArgument("CreateContainer: config.image.image is required");
  CheckEnv(c, "CreateContainer: config.envs");
  CheckContainerSizes(c, "CreateContainer: config");
  CheckResources(c.linux().resources(), NodeCount("/sys/devices/system/cpu/online"),
                 NodeCount("/sys/devices/system/node/online"), "CreateContainer: config.linux.resources");
  CheckPathString(c.log_path(), "CreateContainer: config.log_path");
  for (const auto& m : c.mounts()) {
    CheckPathString(m.host_path(), "CreateContainer: config.mounts.host_path");
    CheckPathString(m.container_path(), "CreateContainer: config.mounts.container_path");
  }
  for (const auto& d : c.devices()) CheckPathString(d.host_path(), "CreateContainer: config.devices.host_path");
}

}  // namespace

void ContainerManager::ReserveName(const std::string& key, const std::string& image_id) {
  std::lock_guard lock(mu_);
  if (reserved_names_.contains(key)) {
    throw AlreadyExists("CreateContainer: container " + key + " (pod/name_attempt) is being created");
  }
  if (auto taken = store_.FindIf([&](const Container& c) { return c.NameKey() == key; })) {
    throw AlreadyExists("CreateContainer: the name " + key + " (pod/name_attempt) is taken by container " + taken->id);
  }
  reserved_names_.insert(key);
  creating_images_.insert(image_id);
}

void ContainerManager::ReleaseName(const std::string& key, const std::string& image_id) {
  std::lock_guard lock(mu_);
  reserved_names_.erase(key);
  if (auto it = creating_images_.find(image_id); it != creating_images_.end()) creating_images_.erase(it);
}

std::string ContainerManager::Create(const runtime::v1::CreateContainerRequest& req) {
  ValidateRequest(req);
  const auto& config = req.config();
  auto sb = sandboxes_.Find(req.pod_sandbox_id(), "CreateContainer: pod_sandbox_id");
  if (!sb) throw NotFound("CreateContainer: sandbox " + Quoted(req.pod_sandbox_id()) + " not found");
  if (sb->state != SandboxState::kReady) {
    throw FailedPrecondition("CreateContainer: sandbox " + sb->id + " is not ready");
  }
  CheckContainerUserns(config.linux().security_context().namespace_options(), sb->userns,
                       "CreateContainer: config.linux.security_context.namespace_options.userns_options");
  const std::string log_path = ContainerLogPath(sb->log_directory, config.log_path(), "CreateContainer: config.log_path");
  const ProcessSecurity security = ContainerSecurity(config.linux().security_context(), cfg_, sandboxes_.security(),
                                                     "CreateContainer: config.linux.security_context");
  CheckMountPropagation(config, "CreateContainer: config");
  const ContainerImage img = resolve_image_(config.image());

  Container c;
  c.sandbox_id = sb->id;
  c.name = config.metadata().name();
  c.attempt = config.metadata().attempt();
  const std::string key = c.NameKey();
  ReserveName(key, img.record.id);
  ScopeExit reservation([this, key, image = img.record.id] { ReleaseName(key, image); });

  c.id = NewId();
  c.created_at = NowNs();
  c.image = img.name;
  c.image_id = img.record.id;
  c.image_ref = img.record.repo_digests.empty() ? img.record.id : img.record.repo_digests.front();
  c.labels.insert(config.labels().begin(), config.labels().end());
  c.annotations.insert(config.annotations().begin(), config.annotations().end());
  c.config_json = ToJson(config);
  c.runtime_handler = sb->runtime_handler;
  c.runtime_path = sb->runtime_path;
  c.runtime_root = sb->runtime_root;
  c.runtime_type = sb->runtime_type;
  c.runtime_args = sb->runtime_args;
  c.cgroups_path = SandboxCgroupsPath(cfg_.runtime.cgroup_manager, sb->cgroup_parent, c.id);
  c.log_path = log_path;

  auto lock = LockContainer(c.id);
  StepLog steps("CreateContainer", "container " + c.id);
  Rollback rb("CreateContainer " + key + " (container " + c.id + ")");
  BuildBundle(c, *sb, img, config, security, rb, steps);
  c.state = ContainerState::kCreated;
  rb.Add("record", [this, id = c.id] { store_.Remove(id); });
  store_.Save(c);
  rb.Commit();
  steps.Step("record");
  spdlog::info("container {} ({} in sandbox {}) created from {}", c.id, key, sb->id, c.image_ref);
  if (events_) events_(runtime::v1::CONTAINER_CREATED_EVENT, c);
  return c.id;
}

void ContainerManager::BuildBundle(Container& c, const Sandbox& sb, const ContainerImage& img,
                                   const runtime::v1::ContainerConfig& config, const ProcessSecurity& security,
                                   Rollback& rb, StepLog& steps) {
  const std::string root_dir = RootDir(c.id), run_dir = RunDir(c.id), rootfs = RootfsDir(c.id);
  storage::MakeDirs(root_dir, 0700);
  rb.Add("root dir " + root_dir, [root_dir] { storage::RemoveAll(root_dir); });
  storage::MakeDirs(run_dir, 0711);
  rb.Add("run dir " + run_dir, [run_dir] { storage::RemoveAll(run_dir); });

  std::vector<std::string> lowers(img.layer_dirs.rbegin(), img.layer_dirs.rend());  // overlay wants top first
  if (sb.userns) {
    // runc 1.1 makes no id-mapped mounts: in a pod with a user namespace the
    // image's layers are seen through the pod's mapping, so its root owns
    // what the image's root owns.
    storage::MountOverlayIdmappedLowers(lowers, root_dir + "/upper", root_dir + "/work", rootfs, sb.userns_path,
                                        run_dir + "/layers", sb.userns->HostRootUid(), sb.userns->HostRootGid());
  } else {
    storage::MountOverlay(lowers, root_dir + "/upper", root_dir + "/work", rootfs);
  }
  rb.Add("rootfs mount " + rootfs, [rootfs] { storage::UnmountAll(rootfs, "container rootfs"); });
  steps.Step("rootfs");

  const image::ImageConfig image_config = image::ImageConfig::Parse(img.record.config_json, img.record.id);
  const PodFilePaths pod_files = PodFilesIn(layout_.SandboxRunDir(sb.id));
  pid_t target_pid = 0;
  const auto& nso = config.linux().security_context().namespace_options();
  const bool sandboxed = sb.runtime_type == config::RuntimeType::kSandbox;
  if (nso.pid() == runtime::v1::POD && sb.ns.pid != NsMode::kNode && !sandboxed) RefuseHostPidThroughPause(sb);
  if (nso.pid() == runtime::v1::TARGET) {
    const std::string field = "CreateContainer: config.linux.security_context.namespace_options.target_id";
    if (nso.target_id().empty()) throw InvalidArgument(field + " is required with PID namespace mode TARGET");
    const auto target_id = store_.Resolve(nso.target_id(), field);
    auto target = target_id ? store_.Get(*target_id) : std::nullopt;
    if (!target || target->sandbox_id != sb.id) {
      throw NotFound("CreateContainer: target container " + Quoted(nso.target_id()) +
                     " of the PID namespace is not in sandbox " + sb.id);
    }
    target_pid = target->pid;
  }
  const ContainerSpecInput in{.config = config,
                              .image = image_config,
                              .sandbox = sb,
                              .container_id = c.id,
                              .rootfs = rootfs,
                              .cgroups_path = c.cgroups_path,
                              .pause_pid = sb.pause_pid,
                              .target_pid = target_pid,
                              .hosts_path = pod_files.hosts,
                              .resolv_conf_path = pod_files.resolv_conf,
                              .hostname_path = pod_files.hostname,
                              .volumes_dir = root_dir + "/volumes",
                              .etc_passwd = storage::ReadInRoot(rootfs, "etc/passwd"),
                              .etc_group = storage::ReadInRoot(rootfs, "etc/group"),
                              .own_oom_score_adj = OwnOomScoreAdj(),
                              .stat_device = StatDevice,
                              .own_capabilities = HandlerCapabilities(cfg_, sb.runtime_handler),
                              .cgroups = cgroups(),
                              .security = &security,
                              .seccomp_node = &sandboxes_.security().seccomp};
  ContainerSpec spec = BuildContainerSpec(in);
  c.resources_json = ToJson(AppliedResources(config.linux().resources(), spec.spec["linux"]["resources"]));
  c.oom_score_adj_requested = spec.oom_score_adj_requested;
  c.dropped_limits = spec.dropped_limits;
  LogDroppedLimits(c.id, c.dropped_limits);
  c.stop_signal = spec.stop_signal;
  for (const auto& dir : spec.volume_dirs) {
    storage::MakeDirs(dir, 0755);
    if (sb.userns && ::chown(dir.c_str(), sb.userns->HostRootUid(), sb.userns->HostRootGid()) != 0) {
      throw SysError("chown image volume " + dir + " to the pod's root");
    }
  }
  EnsureHostPaths(config);
  if (sb.userns) IdmapVolumes(config, sb, run_dir, spec.spec, rb);
  if (!c.log_path.empty()) {
    // The log dir is kubelet's (owner and mode of an existing one left alone);
    // nothing on the way below it may be a symlink.
    storage::PrepareFileBeneath(sb.log_directory, fs::path(c.log_path).lexically_relative(sb.log_directory).string(),
                                "CreateContainer: config.log_path");
  }

  steps.Step("spec");
  const oci::CreateOptions options{
      .conmon = cfg_.runtime.conmon, .log_path = c.log_path, .stdin_open = config.stdin(), .tty = config.tty()};
  const oci::Started started = OciOf(c).Create(spec.spec, options, rb);
  steps.Step("runtime-create");
  c.pid = started.container_pid;
  c.monitor_pid = started.monitor_pid;
}

}  // namespace berth::pod
