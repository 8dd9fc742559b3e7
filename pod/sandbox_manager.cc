#include "pod/sandbox_manager.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "cri/error.h"
#include "pod/now.h"
#include "network/netns.h"
#include "pod/monitor.h"
#include "pod/pause_rootfs.h"
#include "pod/pod_files.h"
#include "pod/rollback.h"
#include "pod/sandbox_cri.h"
#include "pod/sandbox_spec.h"
#include "storage/fs.h"
#include "storage/mount.h"
#include "storage/rootfs_file.h"

namespace berth::pod {
namespace fs = std::filesystem;

namespace {

std::string NodeHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) throw SysError("gethostname");
  return buf;
}

}  // namespace

SandboxManager::SandboxManager(const config::Config& cfg, network::Cni& cni, PauseImageFn pause_image)
    : cfg_(cfg), cni_(cni), pause_image_(std::move(pause_image)), store_(cfg.root) {}

OciRuntime SandboxManager::RuntimeOf(const Sandbox& sb) const {
  // The runtime the pod was started with, even if the config changed since.
  if (!sb.runtime_path.empty()) return OciRuntime(sb.runtime_handler, sb.runtime_path, sb.runtime_root);
  return OciRuntime::ForHandler(cfg_, sb.runtime_handler);
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
  const std::string key = sb.NameKey();
  ReserveName(key);
  ScopeExit reservation([this, key] { ReleaseName(key); });

  sb.id = NewId();
  sb.created_at = NowNs();
  sb.cgroups_path = SandboxCgroupsPath(cfg_.runtime.cgroup_manager, sb.cgroup_parent, sb.id);
  if (sb.hostname.empty()) sb.hostname = NodeHostname();
  const OciRuntime rt = OciRuntime::ForHandler(cfg_, sb.runtime_handler);
  sb.runtime_path = rt.path();
  sb.runtime_root = rt.root();
  auto lock = LockSandbox(sb.id);
  // Before anything is made: a pause image that cannot be had fails the pod at once.
  std::optional<PauseImage> image;
  if (pause_image_) {
    image = pause_image_();
  } else {
    EnsurePauseRootfs(cfg_.root, cfg_.pause.binary);
  }

  // Declared before the rollback, so the pin goes last (after CNI DEL ran in it).
  std::optional<network::PinnedNetns> netns;
  Rollback rb("RunPodSandbox " + key + " (sandbox " + sb.id + ")");
  const std::string run_dir = RunDir(sb.id);
  storage::MakeDirs(run_dir, 0711);
  rb.Add("run dir " + run_dir, [run_dir] { fs::remove_all(run_dir); });
  const PauseProcess process = PrepareRootfs(sb, image, rb);

  if (!sb.host_network()) {
    storage::MakeDirs(NetnsDir(), 0755);
    netns.emplace(network::PinnedNetns::Create(NetnsDir(), sb.id));
    sb.netns_path = netns->path();
    network::PodNetwork net = cni_.Setup(AttachmentOf(sb));
    rb.Add("CNI attachment", [this, a = AttachmentOf(sb)] { cni_.Teardown(a); });
    sb.ips = net.ips;
    sb.network_name = net.network_name;
  }
  WritePodFiles(run_dir, sb);
  if (!sb.host_ipc()) {
    sb.shm_path = ShmMount::Create(run_dir + "/shm").Release();
    rb.Add("shm mount", [path = sb.shm_path] { ShmMount::Remove(path); });
  }
  StartPause(sb, process, rb);

  sb.state = SandboxState::kReady;
  rb.Add("record", [this, id = sb.id] { store_.Remove(id); });
  store_.Save(sb);
  rb.Commit();
  if (netns) netns->Release();
  std::string ips;
  for (const auto& ip : sb.ips) ips += (ips.empty() ? "" : ", ") + ip;
  spdlog::info("sandbox {} ({}) ready: pause pid {}, ips [{}]", sb.id, key, sb.pause_pid, ips);
  return sb.id;
}

PauseProcess SandboxManager::PrepareRootfs(Sandbox& sb, const std::optional<PauseImage>& image, Rollback& rb) {
  if (!image) return BuiltinPauseProcess(sb);
  const std::string rootfs = ImageRootfs(sb.id);
  MountPauseImageRootfs(cfg_.root, *image, rootfs);
  rb.Add("pause image rootfs " + rootfs, [this, id = sb.id] { UnmountImageRootfs(id); });
  sb.pause_image = image->id;
  return ImagePauseProcess(sb, *image, storage::ReadInRoot(rootfs, "etc/passwd"),
                           storage::ReadInRoot(rootfs, "etc/group"));
}

void SandboxManager::UnmountImageRootfs(const std::string& id) const {
  storage::UnmountAll(ImageRootfs(id), "sandbox " + id + " pause image rootfs");
}

void SandboxManager::StartPause(Sandbox& sb, const PauseProcess& process, Rollback& rb) {
  const std::string run_dir = RunDir(sb.id);
  const std::string bundle = run_dir + "/bundle";
  storage::MakeDirs(bundle, 0700);
  const std::string rootfs = sb.pause_image.empty() ? cfg_.root + "/pause-rootfs" : ImageRootfs(sb.id);
  SandboxSpecInput in{sb, rootfs, process, PauseOomScoreAdj(OwnOomScoreAdj())};
  storage::WriteFileAtomic(bundle + "/config.json", BuildSandboxSpec(in).dump(2), 0600, storage::Durability::kProcessCrash);

  const OciRuntime rt = RuntimeOf(sb);
  // Registered before create: a half-created container is deleted too.
  rb.Add("runtime container", [this, rt, sb] {
    if (rt.Kill(sb.id, "KILL", true)) WaitExited(sb, rt, std::chrono::seconds(5));
    rt.Delete(sb.id);
  });
  MonitorSpec ms;
  ms.conmon_path = cfg_.runtime.conmon;
  ms.runtime_path = rt.path();
  ms.runtime_root = rt.root();
  ms.container_id = sb.id;
  ms.bundle_dir = bundle;
  ms.exit_file = ExitFile(sb.id);
  ms.pid_file = run_dir + "/pause.pid";
  Started started = CreateUnderMonitor(ms);
  sb.pause_pid = started.container_pid;
  sb.monitor_pid = started.monitor_pid;
  rt.Start(sb.id);
}

bool SandboxManager::PauseAlive(const Sandbox& sb) const {
  if (sb.state != SandboxState::kReady) return false;
  try {
    return !ReadExitFile(ExitFile(sb.id)).has_value();
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
    nlohmann::json info = {{"pid", sb->pause_pid},
                           {"monitorPid", sb->monitor_pid},
                           {"netns", sb->netns_path},
                           {"runtimeHandler", sb->runtime_handler},
                           {"runtimeRoot", sb->runtime_root},
                           {"cgroupsPath", sb->cgroups_path},
                           {"hostname", sb->hostname},
                           {"runDir", RunDir(id)},
                           {"pauseImage", sb->pause_image.empty() ? "builtin" : sb->pause_image}};
    try {
      info["runtimeSpec"] = nlohmann::json::parse(storage::ReadFile(RunDir(id) + "/bundle/config.json"));
    } catch (const std::exception&) {
      info["runtimeSpec"] = nullptr;  // removed or never written
    }
    if (auto cached = cni_.Cached(id)) info["cniResult"] = cached->result;
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

std::vector<runtime::v1::PodSandbox> SandboxManager::List(const runtime::v1::PodSandboxFilter& filter) {
  std::vector<Sandbox> all = store_.List();
  for (auto& sb : all) sb = Effective(std::move(sb));
  std::vector<runtime::v1::PodSandbox> out;
  for (const auto& sb : FilterSandboxes(std::move(all), filter)) FillListItem(sb, &out.emplace_back());
  return out;
}

}  // namespace berth::pod
