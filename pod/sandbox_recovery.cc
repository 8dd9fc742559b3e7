// What berthd does with its sandboxes when it starts: every record is
// checked against its pause process, and whatever a crash left without a
// record (netns pins, CNI attachments, pause containers, run dirs) is
// cleaned up.
#include <spdlog/spdlog.h>

#include <set>

#include "network/netns.h"
#include "pod/oci/recovery.h"
#include "pod/pause_rootfs.h"
#include "pod/pod_files.h"
#include "pod/sandbox_manager.h"
#include "storage/fs.h"

namespace berth::pod {

using oci::TryStep;

void SandboxManager::Recover() {
  storage::MakeDirs(layout_.SandboxRunDirs(), 0711);
  storage::MakeDirs(layout_.NetnsDir(), 0755);
  store_.Load();
  if (!pause_image_) TryStep("pause rootfs", [&] { EnsurePauseRootfs(layout_, cfg_.pause.binary); });

  for (Sandbox sb : store_.List()) {
    if (sb.state != SandboxState::kReady) continue;
    TryStep("sandbox " + sb.id, [&] {
      bool alive = PauseAlive(sb);
      if (alive) {
        auto state = PauseOf(sb).State();
        const std::string status = state ? state->value("status", "") : "unknown to the runtime";
        alive = status == "running" || status == "paused";
        if (!alive) spdlog::info("recovery: sandbox {}: pause is {}", sb.id, status);
      }
      if (alive) {
        spdlog::info("recovery: sandbox {} ({}) ready, pause pid {}", sb.id, sb.NameKey(), sb.pause_pid);
        return;
      }
      sb.state = SandboxState::kNotReady;
      store_.Save(sb);
      spdlog::info("recovery: sandbox {} ({}) is not ready: its pause process is gone", sb.id, sb.NameKey());
    });
  }
  RemoveOrphans();
}

void SandboxManager::RemoveOrphans() {
  std::set<std::string> known;
  for (const auto& sb : store_.List()) known.insert(sb.id);

  // CNI first: DEL runs best inside the netns it attached, before the pin goes.
  TryStep("CNI cache temp files", [&] { storage::RemoveAtomicWriteLeftovers(layout_.CniCache()); });
  std::vector<std::string> cached;
  TryStep("CNI cache", [&] { cached = cni_.CachedContainerIds(); });
  for (const auto& id : cached) {
    if (known.contains(id)) continue;
    TryStep("orphan CNI attachment " + id, [&] {
      network::Attachment a;
      a.container_id = id;
      if (network::PinnedNetns::IsPinned(layout_.Netns(id))) a.netns_path = layout_.Netns(id);
      cni_.Teardown(a);
      spdlog::info("recovery: tore down orphan CNI attachment {}", id);
    });
  }
  for (const auto& name : storage::DirEntries(layout_.NetnsDir())) {
    if (known.contains(name)) continue;
    TryStep("orphan netns " + name, [&] {
      network::PinnedNetns::Remove(layout_.Netns(name));
      spdlog::info("recovery: removed orphan netns pin {}", name);
    });
  }
  // Pause containers only (their bundles are in sandbox run dirs); app
  // containers are the container manager's to sweep.
  oci::SweepOrphans(cfg_, layout_.SandboxRunDirs(), known, "pause container");
  // A record dir without a record: a crash between its mkdir and its first save.
  for (const auto& name : storage::DirEntries(layout_.SandboxRecords())) {
    if (known.contains(name)) continue;
    TryStep("orphan sandbox dir " + name, [&] {
      storage::RemoveAll(layout_.SandboxRecords() + "/" + name);
      spdlog::info("recovery: removed sandbox dir {} (no record)", name);
    });
  }
  for (const auto& name : storage::DirEntries(layout_.SandboxRunDirs())) {
    if (known.contains(name)) continue;
    TryStep("orphan run dir " + name, [&] {
      const std::string dir = RunDir(name);
      ShmMount::Remove(PodFilesIn(dir).shm);
      network::PinnedNetns::Remove(dir + "/userns");  // a user namespace pin, if the pod had one
      UnmountImageRootfs(name);  // before the dir goes, which would descend into it
      storage::RemoveAll(dir);
      spdlog::info("recovery: removed orphan run dir {}", dir);
    });
  }
}

void SandboxManager::Shutdown() {
  TryStep("netns pin dir", [&] { network::PinnedNetns::ReleaseDir(layout_.NetnsDir()); });
}

}  // namespace berth::pod
