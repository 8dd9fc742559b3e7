// StopPodSandbox and RemovePodSandbox: both idempotent, both fine when the
// processes, the netns or the record are already gone. The pod's containers
// are gone first (pod::Pods).
#include <spdlog/spdlog.h>

#include "network/netns.h"
#include "pod/pod_files.h"
#include "pod/sandbox_manager.h"
#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::pod {

void SandboxManager::StopLocked(Sandbox sb) {
  PauseOf(sb).Stop("TERM", stop_timeout_, "sandbox " + sb.id + ": pause process (pid " + std::to_string(sb.pause_pid) + ")");
  // A stopped sandbox never runs again (CRI): its rootfs can go now.
  if (!sb.pause_image.empty() || sb.userns) UnmountImageRootfs(sb.id);
  if (!sb.netns_path.empty()) cni_.Teardown(AttachmentOf(sb));
  if (!sb.shm_path.empty()) ShmMount::Remove(sb.shm_path);
  if (sb.state != SandboxState::kNotReady || !sb.ips.empty()) {
    sb.state = SandboxState::kNotReady;
    sb.ips.clear();  // released by the CNI DEL above
    store_.Save(sb);
    spdlog::info("sandbox {} stopped", sb.id);
  }
}

void SandboxManager::Stop(const std::string& id) {
  auto lock = LockSandbox(id);
  auto sb = store_.Get(id);
  if (!sb) return;  // removed while we waited for the lock, or never there
  StopLocked(std::move(*sb));
}

void SandboxManager::Remove(const std::string& id) {
  auto lock = LockSandbox(id);
  auto sb = store_.Get(id);
  if (!sb) return;
  StopLocked(*sb);
  PauseOf(*sb).Delete();
  if (!sb->netns_path.empty()) network::PinnedNetns::Remove(sb->netns_path);
  if (!sb->userns_path.empty()) network::PinnedNetns::Remove(sb->userns_path);
  storage::RemoveAll(RunDir(id));
  store_.Remove(id);
  spdlog::info("sandbox {} removed", id);
}

}  // namespace berth::pod
