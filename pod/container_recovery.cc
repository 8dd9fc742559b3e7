// What berthd does with its containers when it starts: each record is
// checked against its monitor's exit file and the runtime (a container that
// exited while berthd was down gets its exit code and time; a running one
// is left running, its monitor untouched), containers of pods that are gone
// are removed, and whatever a crash left without a record is cleaned up.
#include <spdlog/spdlog.h>

#include <set>

#include "pod/container_manager.h"
#include "pod/oci/recovery.h"
#include "storage/base/clock.h"
#include "storage/fs.h"
#include "storage/idmap.h"
#include "storage/mount.h"

namespace berth::pod {

using oci::TryStep;

void ContainerManager::Recover() {
  storage::MakeDirs(layout_.ContainerRunDirs(), 0711);
  store_.Load();
  for (const Container& rec : store_.List()) {
    TryStep("container " + rec.id, [&] {
      if (!sandboxes_.Get(rec.sandbox_id)) {
        spdlog::info("recovery: container {}: its sandbox {} is gone; removing it", rec.id, rec.sandbox_id);
        RemoveLocked(rec);
        return;
      }
      if (rec.state == ContainerState::kExited) return;
      Container c = Effective(rec);
      if (c.state == ContainerState::kExited) {
        store_.Save(c);
        spdlog::info("recovery: container {} ({}) exited with code {} while berthd was down", c.id, c.name,
                     c.exit_code);
        return;
      }
      auto st = OciOf(c).State();
      const std::string status = st ? st->value("status", "") : "";
      if (status == "running" || status == "created" || status == "paused") {
        spdlog::info("recovery: container {} ({}) {}, monitor pid {}", c.id, c.name, status, c.monitor_pid);
        return;
      }
      // Neither an exit file nor a live process: the monitor is gone too
      // (a reboot emptied the run dir, or it was killed).
      c.state = ContainerState::kExited;
      c.exit_code = 255;
      c.finished_at = NowNs();
      c.message = "container and monitor were gone when berthd started (runtime state: " +
                  (status.empty() ? std::string("unknown") : status) + "); exit status unknown";
      store_.Save(c);
      spdlog::warn("recovery: container {}: {}", c.id, c.message);
    });
  }
  RemoveOrphans();
}

void ContainerManager::RemoveOrphans() {
  std::set<std::string> known;
  for (const auto& c : store_.List()) known.insert(c.id);

  // Runtime containers whose bundle is ours but that no record names (a
  // crash during CreateContainer). Pause containers are the sandboxes'.
  oci::SweepOrphans(cfg_, layout_.ContainerRunDirs(), known, "container");
  for (const auto& id : storage::DirEntries(layout_.ContainerRunDirs())) {
    if (known.contains(id)) continue;
    TryStep("orphan container run dir " + id, [&] {
      UnmountRunDir(id, "orphan ");
      storage::RemoveAll(RunDir(id));
      spdlog::info("recovery: removed orphan container run dir {}", RunDir(id));
    });
  }
  for (const auto& id : storage::DirEntries(layout_.ContainerRecords())) {
    if (known.contains(id)) continue;
    TryStep("orphan container dir " + id, [&] {
      storage::RemoveAll(RootDir(id));
      spdlog::info("recovery: removed container dir {} (no record)", RootDir(id));
    });
  }
}

}  // namespace berth::pod
