#include "pod/sandbox_manager.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "network/netns.h"
#include "pod/pause_rootfs.h"
#include "pod/pod_files.h"
#include "pod/sandbox_cri.h"
#include "pod/sandbox_spec.h"
#include "storage/base/clock.h"
#include "storage/base/error.h"
#include "storage/fs.h"
#include "storage/idmap.h"
#include "storage/mount.h"
#include "storage/rootfs_file.h"

namespace berth::pod {

namespace {

std::string NodeHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) throw SysError("gethostname");
  return buf;
}

}  // namespace

namespace {

// runc sets up a user namespace pod's rootfs from inside the namespace, as
// the mapped root: every dir above the pod's and its containers' run dirs
// must let others search it.
void RequireSearchable(const std::string& dir) {
  for (std::filesystem::path p(dir); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) throw SysError("stat " + p.string());
    if (!(st.st_mode & S_IXOTH)) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%03o", st.st_mode & 0777);
      throw FailedPrecondition("RunPodSandbox: a pod with a user namespace needs " + p.string() +
                               " to be searchable by others (its mode is " + mode +
                               "): chmod o+x it, or set run_root elsewhere");
    }
  }
}

// A sandbox runtime's own kernel decides who may bind ports below 1024.
// Through the host's stack (runsc --network=host) the host kernel sees only
// the sandbox process, which has no CAP_NET_BIND_SERVICE: it must not refuse
// what the sandbox already allowed, so the pod's netns lets anyone bind them
// (containerd does this for every pod). A pod's own sysctl wins.
void AllowLowPortsToTheSandbox(const Sandbox& sb) {
  constexpr const char* kName = "net.ipv4.ip_unprivileged_port_start";
  if (sb.sysctls.contains(kName) || sb.sysctls.contains("net/ipv4/ip_unprivileged_port_start")) return;
  network::PinnedNetns::SetSysctl(sb.netns_path, kName, "0");
}

}  // namespace

SandboxManager::SandboxManager(const config::Config& cfg, network::Cni& cni, PauseImageFn pause_image)
    : cfg_(cfg), layout_(cfg), cni_(cni), pause_image_(std::move(pause_image)), store_(layout_.SandboxRecords()) {}

oci::Container SandboxManager::PauseOf(const Sandbox& sb) const {
  oci::Runtime rt = sb.runtime_path.empty() ? oci::Runtime::ForHandler(cfg_, sb.runtime_handler)
                                            : oci::Runtime(sb.runtime_handler, sb.runtime_path, sb.runtime_root,
                                                                           sb.runtime_type, sb.runtime_args);
  rt.set_timeout(cfg_.runtime.timeout);
  return oci::Container(std::move(rt), sb.id, RunDir(sb.id), "pause.pid");
}

network::Attachment SandboxManager::AttachmentOf(const Sandbox& sb) const {
  network::Attachment a;
  a.container_id = sb.id;
  a.netns_path = sb.netns_path;
  a.pod_name = sb.name;
  a.pod_namespace = sb.pod_namespace;
  a.pod_uid = sb.uid;
  a.port_mappings = sb.port_mappings;
  return a;
}

void SandboxManager::ReserveName(const std::string& key) {
  std::lock_guard lock(mu_);
  if (reserved_names_.contains(key)) {
    throw AlreadyExists("RunPodSandbox: a sandbox for pod " + key + " (name_namespace_uid_attempt) is being created");
  }
  if (auto existing = store_.FindByNameKey(key)) {
    throw AlreadyExists("RunPodSandbox: pod " + key + " (name_namespace_uid_attempt) already has sandbox " +
                        existing->id);
  }
  reserved_names_.insert(key);
}

void SandboxManager::ReleaseName(const std::string& key) {
  std::lock_guard lock(mu_);
  reserved_names_.erase(key);
}

std::string SandboxManager::Run(const runtime::v1::RunPodSandboxRequest& req) {
  Sandbox sb = SandboxFromRequest(req, cfg_);
  const ProcessSecurity pause_security = SandboxSecurity(req.config().linux().security_context(), cfg_, security_,
                                                         "RunPodSandbox: config.linux.security_context");
  const std::string key = sb.NameKey();
  ReserveName(key);
  ScopeExit reservation([this, key] { ReleaseName(key); });

  sb.id = NewId();
  sb.created_at = NowNs();
  sb.cgroups_path = SandboxCgroupsPath(cfg_.runtime.cgroup_manager, sb.cgroup_parent, sb.id);
  if (sb.hostname.empty()) sb.hostname = NodeHostname();
  const oci::Runtime rt = oci::Runtime::ForHandler(cfg_, sb.runtime_handler);
  sb.runtime_path = rt.path();
  sb.runtime_root = rt.root();
  sb.runtime_type = rt.type();
  sb.runtime_args = rt.args();
  auto lock = LockSandbox(sb.id);
  StepLog steps("RunPodSandbox", "sandbox " + sb.id);
  // Before anything is made: a pause image that cannot be had fails the pod at once.
  std::optional<PauseImage> image;
  if (pause_image_) {
    image::RunnableImage found = pause_image_();
    image = PauseImage{cfg_.pause.image, found.record.id, std::move(found.layer_dirs), found.record.config_json};
  } else {
    EnsurePauseRootfs(layout_, cfg_.pause.binary);
  }

  // Declared before the rollback, so the pin goes last (after CNI DEL ran in it).
  std::optional<network::PinnedNetns> netns;
  Rollback rb("RunPodSandbox " + key + " (sandbox " + sb.id + ")");
  const std::string run_dir = RunDir(sb.id);
  storage::MakeDirs(run_dir, 0711);
  rb.Add("run dir " + run_dir, [run_dir] { storage::RemoveAll(run_dir); });
  const PauseProcess process = PrepareRootfs(sb, image, rb);
  steps.Step("prepare");

  if (!sb.host_network()) {
    storage::MakeDirs(layout_.NetnsDir(), 0755);
    if (sb.userns) {
      for (const auto& dir : {layout_.SandboxRunDirs(), layout_.ContainerRunDirs()}) RequireSearchable(dir);
      // The netns must belong to the pod's user namespace: runc joins that
      // first, and from inside it could join no netns of the host's.
      sb.userns_path = run_dir + "/userns";
      CreateUsernsWithNetns(*sb.userns, sb.userns_path, [&](const std::string& ns_file) {
        netns.emplace(network::PinnedNetns::Adopt(layout_.NetnsDir(), sb.id, ns_file));
      });
      rb.Add("user namespace pin", [path = sb.userns_path] { network::PinnedNetns::Remove(path); });
    } else {
      netns.emplace(network::PinnedNetns::Create(layout_.NetnsDir(), sb.id));
    }
    sb.netns_path = netns->path();
    if (sb.runtime_type == config::RuntimeType::kSandbox) AllowLowPortsToTheSandbox(sb);
    steps.Step("netns");
    // Registered before the ADD starts: DEL is harmless after a failed or
    // unfinished ADD, and the rollback runs only once the ADD is joined.
    rb.Add("CNI attachment", [this, a = AttachmentOf(sb)] { cni_.Teardown(a); });
  }
  // The CNI ADD runs beside the pause's create: the netns is there, and the
  // pause needs no network to start. A sandbox runtime (gVisor) copies the
  // netns's interfaces when its sandbox starts, so there the network comes first.
  // Declared after the rollback: joined before the rollback runs.
  network::PodNetwork net;
  std::optional<BackgroundCall> add;
  if (!sb.host_network()) add.emplace([this, &net, a = AttachmentOf(sb)] { net = cni_.Setup(a); });
  if (add && sb.runtime_type == config::RuntimeType::kSandbox) TakeNetwork(sb, *add, net, steps);
  if (!sb.host_ipc()) {
    sb.shm_path = ShmMount::Create(PodFilesIn(run_dir).shm).Release();
    rb.Add("shm mount", [path = sb.shm_path] { ShmMount::Remove(path); });
  }
  StartPause(sb, process, pause_security, rb, steps);
  if (add) TakeNetwork(sb, *add, net, steps);
  WritePodFiles(run_dir, sb);  // /etc/hosts names the pod's IPs
  steps.Step("pod-files");

  sb.state = SandboxState::kReady;
  rb.Add("record", [this, id = sb.id] { store_.Remove(id); });
  store_.Save(sb);
  rb.Commit();
  steps.Step("record");
  if (netns) netns->Release();
  std::string ips;
  for (const auto& ip : sb.ips) ips += (ips.empty() ? "" : ", ") + ip;
  spdlog::info("sandbox {} ({}) ready: pause pid {}, ips [{}]", sb.id, key, sb.pause_pid, ips);
  return sb.id;
}

void SandboxManager::TakeNetwork(Sandbox& sb, BackgroundCall& add, const network::PodNetwork& net,
                                 StepLog& steps) {
  if (!add.Wait()) return;
  sb.ips = net.ips;
  sb.network_name = net.network_name;
  steps.Step("cni-add-wait");
}

PauseProcess SandboxManager::PrepareRootfs(Sandbox& sb, const std::optional<PauseImage>& image, Rollback& rb) {
  if (!image) return BuiltinPauseProcess(sb);
  const std::string rootfs = ImageRootfs(sb.id);
  MountPauseImageRootfs(layout_, *image, rootfs);
  rb.Add("pause image rootfs " + rootfs, [this, id = sb.id] { UnmountImageRootfs(id); });
  sb.pause_image = image->id;
  return ImagePauseProcess(sb, *image, storage::ReadInRoot(rootfs, "etc/passwd"),
                           storage::ReadInRoot(rootfs, "etc/group"));
}

void SandboxManager::UnmountImageRootfs(const std::string& id) const {
  storage::UnmountAll(ImageRootfs(id), "sandbox " + id + " pause image rootfs");
}

void SandboxManager::StartPause(Sandbox& sb, const PauseProcess& process, const ProcessSecurity& security,
                                Rollback& rb, StepLog& steps) {
  const std::string rootfs = sb.pause_image.empty() && !sb.userns ? layout_.PauseRootfs() : ImageRootfs(sb.id);
  if (sb.userns) {
    // The pod's root must own the pause's rootfs as runc sees it.
    if (sb.pause_image.empty()) {
      storage::IdmapBind(layout_.PauseRootfs(), rootfs, sb.userns_path);
      rb.Add("id-mapped pause rootfs " + rootfs, [this, id = sb.id] { UnmountImageRootfs(id); });
    } else {
      throw FailedPrecondition("RunPodSandbox: pods with a user namespace run berth's built-in pause, not "
                               "pause.image " + Quoted(cfg_.pause.image) + " (not supported yet)");
    }
  }
  const SandboxSpecInput in{sb, rootfs, process, PauseOomScoreAdj(OwnOomScoreAdj()), &security, &security_.seccomp};
  const oci::Container pause = PauseOf(sb);
  oci::CreateOptions options;  // the pause logs nothing and reads no stdin
  options.conmon = cfg_.runtime.conmon;
  const nlohmann::json spec = BuildSandboxSpec(in);
  steps.Step("spec");
  oci::Started started;
  try {
    started = pause.Create(spec, options, rb);
  } catch (const Error& e) {
    // The runtime's own refusal of berth's plain pause container: the
    // handler cannot run pods on this node (e.g. crun on hybrid cgroups).
    if (e.code() != Code::kInternal) throw;
    throw FailedPrecondition("RunPodSandbox: runtime handler " + Quoted(sb.runtime_handler) + " (" +
                             pause.runtime().path() + ") cannot run this pod's pause container on this node: " +
                             e.what());
  }
  sb.pause_pid = started.container_pid;
  sb.monitor_pid = started.monitor_pid;
  steps.Step("runtime-create");
  pause.Start();
  steps.Step("runtime-start");
}

bool SandboxManager::PauseAlive(const Sandbox& sb) const {
  if (sb.state != SandboxState::kReady) return false;
  try {
    return !PauseOf(sb).Exit().has_value();
  } catch (const std::exception& e) {
    spdlog::warn("sandbox {}: exit file unreadable ({}); taking the pause process as exited", sb.id, e.what());
    return false;
  }
}

Sandbox SandboxManager::Effective(Sandbox sb) const {
  if (!PauseAlive(sb)) sb.state = SandboxState::kNotReady;
  return sb;
}

std::optional<Sandbox> SandboxManager::Get(const std::string& id) {
  auto sb = store_.Get(id);
  if (!sb) return std::nullopt;
  return Effective(std::move(*sb));
}

std::optional<Sandbox> SandboxManager::Find(const std::string& id_or_prefix, const std::string& field) {
  const auto id = store_.Resolve(id_or_prefix, field);
  if (!id) return std::nullopt;
  return Get(*id);
}

runtime::v1::PodSandboxStatusResponse SandboxManager::Status(const std::string& raw_id, bool verbose) {
  auto sb = Find(raw_id, "PodSandboxStatus: pod_sandbox_id");
  if (!sb) throw NotFound("PodSandboxStatus: sandbox " + Quoted(raw_id) + " not found");
  const std::string& id = sb->id;
  runtime::v1::PodSandboxStatusResponse resp;
  FillStatus(*sb, resp.mutable_status());
  resp.set_timestamp(NowNs());
  if (verbose) {
    nlohmann::json info = PauseOf(*sb).Info();
    info.update({{"pid", sb->pause_pid},
                 {"monitorPid", sb->monitor_pid},
                 {"netns", sb->netns_path},
                 {"cgroupsPath", sb->cgroups_path},
                 {"hostname", sb->hostname},
                 {"pauseImage", sb->pause_image.empty() ? "builtin" : sb->pause_image}});
    if (auto cached = cni_.Cached(id)) info["cniResult"] = cached->result;
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

// As ListContainers: records shared, a copy only for a pod found not ready.
std::vector<runtime::v1::PodSandbox> SandboxManager::List(const runtime::v1::PodSandboxFilter& filter) {
  SharedSandboxes all = store_.Snapshot();
  for (auto& sb : all) {
    if (sb->state == SandboxState::kReady && !PauseAlive(*sb)) {
      Sandbox not_ready = *sb;
      not_ready.state = SandboxState::kNotReady;
      sb = std::make_shared<const Sandbox>(std::move(not_ready));
    }
  }
  std::vector<runtime::v1::PodSandbox> out;
  for (const auto& sb : FilterSandboxes(std::move(all), filter)) FillListItem(*sb, &out.emplace_back());
  return out;
}

}  // namespace berth::pod
