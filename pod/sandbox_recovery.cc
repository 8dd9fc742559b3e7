// What berthd does with its sandboxes when it starts: every record is
// checked against its pause process, and whatever a crash left without a
// record (netns pins, CNI attachments, runtime containers, run dirs) is
// cleaned up.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

#include "network/netns.h"
#include "pod/cleanup.h"
#include "pod/monitor.h"
#include "pod/pause_rootfs.h"
#include "pod/pod_files.h"
#include "pod/sandbox_manager.h"
#include "storage/fs.h"

namespace berth::pod {
namespace fs = std::filesystem;

void SandboxManager::Recover() {
  storage::MakeDirs(cfg_.run_root + "/sandboxes", 0711);
  storage::MakeDirs(NetnsDir(), 0755);
  store_.Load();
  if (!pause_image_) TryStep("pause rootfs", [&] { EnsurePauseRootfs(cfg_.root, cfg_.pause.binary); });

  for (Sandbox sb : store_.List()) {
    if (sb.state != SandboxState::kReady) continue;
    TryStep("sandbox " + sb.id, [&] {
      bool alive = PauseAlive(sb);
      if (alive) {
        auto state = RuntimeOf(sb).State(sb.id);
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
  std::vector<std::string> cached;
  TryStep("CNI cache", [&] { cached = cni_.CachedContainerIds(); });
  for (const auto& id : cached) {
    if (known.contains(id)) continue;
    TryStep("orphan CNI attachment " + id, [&] {
      network::Attachment a;
      a.container_id = id;
      const std::string pin = NetnsDir() + "/" + id;
      if (network::PinnedNetns::IsPinned(pin)) a.netns_path = pin;
      cni_.Teardown(a);
      spdlog::info("recovery: tore down orphan CNI attachment {}", id);
    });
  }
  for (const auto& name : DirEntries(NetnsDir())) {
    if (known.contains(name)) continue;
    TryStep("orphan netns " + name, [&] {
      network::PinnedNetns::Remove(NetnsDir() + "/" + name);
      spdlog::info("recovery: removed orphan netns pin {}", name);
    });
  }

  // Pause containers only (their bundles are ours); containers of pods are
  // the container manager's to recover.
  const std::string bundles = cfg_.run_root + "/sandboxes/";
  for (const auto& [name, handler] : cfg_.runtime.handlers) {
    TryStep("runtime " + name, [&] {
      const OciRuntime rt = OciRuntime::ForHandler(cfg_, name);
      if (!fs::exists(rt.root()) || !fs::exists(rt.path())) return;
      for (const auto& c : rt.List()) {
        const std::string id = c.value("id", ""), bundle = c.value("bundle", "");
        if (id.empty() || known.contains(id) || bundle.rfind(bundles, 0) != 0) continue;
        TryStep("orphan pause container " + id, [&] {
          Sandbox orphan;
          orphan.id = id;
          // Its monitor writes the exit file into the run dir: let it finish before the dir goes.
          if (rt.Kill(id, "KILL", true)) WaitExited(orphan, rt, std::chrono::seconds(5));
          rt.Delete(id);
          spdlog::info("recovery: deleted orphan pause container {} ({})", id, name);
        });
      }
    });
  }
  for (const auto& name : DirEntries(cfg_.run_root + "/sandboxes")) {
    if (known.contains(name)) continue;
    TryStep("orphan run dir " + name, [&] {
      const std::string dir = bundles + name;
      ShmMount::Remove(dir + "/shm");
      UnmountImageRootfs(name);  // before remove_all, which would descend into it
      fs::remove_all(dir);
      spdlog::info("recovery: removed orphan run dir {}", dir);
    });
  }
}

void SandboxManager::Shutdown() {
  TryStep("netns pin dir", [&] { network::PinnedNetns::ReleaseDir(NetnsDir()); });
}

}  // namespace berth::pod
