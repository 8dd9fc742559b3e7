// StopPodSandbox and RemovePodSandbox: both idempotent, both fine when the
// processes, the netns or the record are already gone.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <thread>

#include "cri/error.h"
#include "network/netns.h"
#include "pod/monitor.h"
#include "pod/pod_files.h"
#include "pod/sandbox_manager.h"

namespace berth::pod {
namespace fs = std::filesystem;

namespace {
bool IsStopped(const std::optional<nlohmann::json>& state) {
  return !state || state->value("status", "") == "stopped";
}
}  // namespace

bool SandboxManager::WaitExited(const Sandbox& sb, const OciRuntime& rt, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int i = 0;; ++i) {
    if (ReadExitFile(ExitFile(sb.id))) return true;
    // The monitor records the exit; if it is gone too, the runtime still knows.
    if (i % 10 == 9 && IsStopped(rt.State(sb.id))) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void SandboxManager::StopPause(const Sandbox& sb) {
  if (ReadExitFile(ExitFile(sb.id))) return;
  const OciRuntime rt = RuntimeOf(sb);
  if (IsStopped(rt.State(sb.id))) return;
  rt.Kill(sb.id, "TERM");  // false when it just exited: WaitExited sees that at once
  if (WaitExited(sb, rt, stop_timeout_)) return;
  spdlog::warn("sandbox {}: pause did not exit within {} ms of SIGTERM; sending SIGKILL", sb.id,
               stop_timeout_.count());
  rt.Kill(sb.id, "KILL", true);
  if (!WaitExited(sb, rt, std::chrono::seconds(10))) {
    throw DeadlineExceeded("sandbox " + sb.id + ": pause process (pid " + std::to_string(sb.pause_pid) +
                           ") did not exit after SIGKILL");
  }
}

void SandboxManager::StopLocked(Sandbox sb) {
  if (containers_) containers_->StopAll(sb.id);
  StopPause(sb);
  // A stopped sandbox never runs again (CRI): its rootfs can go now.
  if (!sb.pause_image.empty()) UnmountImageRootfs(sb.id);
  if (!sb.netns_path.empty()) cni_.Teardown(AttachmentOf(sb));
  if (!sb.shm_path.empty()) ShmMount::Remove(sb.shm_path);
  if (sb.state != SandboxState::kNotReady || !sb.ips.empty()) {
    sb.state = SandboxState::kNotReady;
    sb.ips.clear();  // released by the CNI DEL above
    store_.Save(sb);
    spdlog::info("sandbox {} stopped", sb.id);
  }
}

void SandboxManager::Stop(const std::string& raw_id) {
  const auto id = store_.Resolve(raw_id, "StopPodSandbox: pod_sandbox_id");
  if (!id) {
    spdlog::info("StopPodSandbox: sandbox {} not found; nothing to stop", Quoted(raw_id));
    return;
  }
  auto lock = LockSandbox(*id);
  auto sb = store_.Get(*id);
  if (!sb) {  // removed while we waited for the lock
    DropLock(*id);
    return;
  }
  StopLocked(std::move(*sb));
}

void SandboxManager::Remove(const std::string& raw_id) {
  const auto found = store_.Resolve(raw_id, "RemovePodSandbox: pod_sandbox_id");
  if (!found) {
    spdlog::info("RemovePodSandbox: sandbox {} not found; nothing to remove", Quoted(raw_id));
    return;
  }
  const std::string id = *found;
  auto lock = LockSandbox(id);
  auto sb = store_.Get(id);
  if (!sb) {
    DropLock(id);
    return;
  }
  if (containers_) containers_->RemoveAll(id);
  StopLocked(*sb);
  RuntimeOf(*sb).Delete(id);
  if (!sb->netns_path.empty()) network::PinnedNetns::Remove(sb->netns_path);
  std::error_code ec;
  fs::remove_all(RunDir(id), ec);
  if (ec) throw Internal("remove sandbox run dir " + RunDir(id) + ": " + ec.message());
  store_.Remove(id);
  DropLock(id);
  spdlog::info("sandbox {} removed", id);
}

}  // namespace berth::pod
