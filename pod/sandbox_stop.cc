// StopPodSandbox and RemovePodSandbox: both idempotent, both fine when the
// processes, the netns or the record are already gone. The pod's containers
// are gone first (pod::Pods).
#include <spdlog/spdlog.h>

#include <optional>

#include "network/netns.h"
#include "pod/cgroup_cleanup.h"
#include "pod/cgroup_stats.h"
#include "pod/pod_files.h"
#include "pod/sandbox_manager.h"
#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::pod {

void SandboxManager::StopLocked(Sandbox sb, StepLog& steps) {
  if (sb.torn_down) return;
  // The CNI DEL runs beside the pause's end: neither needs the other (the
  // netns stays pinned until Remove), and the plugins take most of a stop.
  std::optional<BackgroundCall> cni;
  if (!sb.netns_path.empty()) cni.emplace([this, a = AttachmentOf(sb)] { cni_.Teardown(a); });
  const oci::Container pause = PauseOf(sb);
  pause.Stop("TERM", stop_timeout_, "sandbox " + sb.id + ": pause process (pid " + std::to_string(sb.pause_pid) + ")");
  steps.Step("pause-stop");
  pause.Delete();  // a stopped sandbox never runs again (CRI): the runtime may forget it now
  RemoveCgroupLeftovers(sb.cgroups_path);
  steps.Step("runtime-delete");
  if (!sb.pause_image.empty() || sb.userns) UnmountImageRootfs(sb.id);
  if (cni) {
    cni->Wait();
    steps.Step("cni-del-rest");
  }
  if (!sb.shm_path.empty()) ShmMount::Remove(sb.shm_path);
  sb.state = SandboxState::kNotReady;
  sb.ips.clear();  // released by the CNI DEL above
  sb.torn_down = true;
  store_.Save(sb);
  steps.Step("unmount-record");
  spdlog::info("sandbox {} stopped", sb.id);
}

void SandboxManager::RemoveCgroupLeftovers(const std::string& cgroups_path) const {
  if (cfg_.runtime.cgroup_manager != config::CgroupManager::kCgroupfs || cgroups_path.empty()) return;
  pod::RemoveCgroupLeftovers(CgroupRelativePath(cgroups_path, cfg_.runtime.cgroup_manager), cgroups_);
}

void SandboxManager::Stop(const std::string& id) {
  auto lock = LockSandbox(id);
  auto sb = store_.Get(id);
  if (!sb) return;  // removed while we waited for the lock, or never there
  StepLog steps("StopPodSandbox", "sandbox " + id);
  StopLocked(std::move(*sb), steps);
}

void SandboxManager::Remove(const std::string& id) {
  auto lock = LockSandbox(id);
  auto sb = store_.Get(id);
  if (!sb) return;
  StepLog steps("RemovePodSandbox", "sandbox " + id);
  StopLocked(*sb, steps);
  if (!sb->netns_path.empty()) network::PinnedNetns::Remove(sb->netns_path);
  if (!sb->userns_path.empty()) network::PinnedNetns::Remove(sb->userns_path);
  steps.Step("netns");
  storage::RemoveAll(RunDir(id));
  steps.Step("run-dir");
  store_.Remove(id);
  steps.Step("record");
  spdlog::info("sandbox {} removed", id);
}

}  // namespace berth::pod
