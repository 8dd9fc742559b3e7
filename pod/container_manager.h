#pragma once
// Container lifecycle: create (overlay rootfs, OCI spec, the runtime's
// create), start, stop, remove, status, list, resource updates, log
// reopening, ExecSync, and recovery when berthd starts. Each container runs
// as an oci::Container; where its files live is config::Layout's. It reads
// sandboxes (one way: the sandbox manager knows nothing of containers).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "cri/cri.h"
#include "image/images.h"
#include "pod/cgroups.h"
#include "pod/container.h"
#include "config/layout.h"
#include "pod/keyed_locks.h"
#include "pod/oci/container.h"
#include "pod/sandbox_manager.h"
#include "pod/security.h"
#include "storage/base/scope.h"
#include "storage/base/steps.h"
#include "storage/disk_usage.h"
#include "storage/trash.h"

namespace berth::pod {

// What a container needs of its image (image::Images::ForContainer).
using ContainerImage = image::RunnableImage;
// Resolves a CRI image spec (image by name, id or digest); NOT_FOUND if absent.
using ResolveImageFn = std::function<ContainerImage(const runtime::v1::ImageSpec& spec)>;

class ContainerManager {
 public:
  ContainerManager(const config::Config& cfg, SandboxManager& sandboxes, ResolveImageFn resolve_image);
  ContainerManager(const ContainerManager&) = delete;
  ContainerManager& operator=(const ContainerManager&) = delete;

  // At start, after the sandboxes: loads the records, records exits that
  // happened while berthd was down, and removes what no record owns.
  void Recover();

  std::string Create(const runtime::v1::CreateContainerRequest& req);
  void Start(const std::string& id);
  // The stop signal, then SIGKILL after `timeout` (0: at once). Fine for an
  // exited container; NOT_FOUND for an unknown one.
  void Stop(const std::string& id, std::chrono::seconds timeout);
  // Idempotent: stops it if running, unmounts, removes bundle and state.
  // The record is gone when it returns; its dirs and writable layer are
  // left to the trash's reaper.
  void Remove(const std::string& id);
  // Waits until the trash's reaper has deleted what removals left (tests).
  bool WaitTrashEmpty(std::chrono::milliseconds timeout);
  runtime::v1::ContainerStatusResponse Status(const std::string& id, bool verbose);
  std::vector<runtime::v1::Container> List(const runtime::v1::ContainerFilter& filter);
  void UpdateResources(const std::string& id, const runtime::v1::LinuxContainerResources& resources);
  void ReopenLog(const std::string& id);
  runtime::v1::ExecSyncResponse ExecSync(const runtime::v1::ExecSyncRequest& req);

  // Streaming (container_streams.cc). Exec's checks: a command, a stream
  // asked for, no stderr with a tty, a running container. Returns its full id.
  std::string CheckExec(const runtime::v1::ExecRequest& req);
  // Starts `cmd` in the running container `id` as its own process runs.
  oci::ExecProcess StartExec(const std::string& id, const std::vector<std::string>& cmd, bool tty, bool stdin);
  struct AttachTarget {
    std::string id;
    std::string socket;  // the monitor's attach socket
    bool tty = false, stdin_once = false;
  };
  // Attach's checks (as Exec's, and stdin and tty as the container was created).
  AttachTarget CheckAttach(const runtime::v1::AttachRequest& req);

  // The id of a container using the image (RemoveImage must not delete it).
  std::optional<std::string> ImageInUse(const std::string& image_id);

  // Kills every container of the sandbox (before its pause stops).
  void StopAll(const std::string& sandbox_id);
  // Removes every container of the sandbox (before the sandbox goes).
  void RemoveAll(const std::string& sandbox_id);

  // Lifecycle events (Pods turns them into GetContainerEvents messages):
  // created, started, stopped (the exit first noticed, by whatever call or
  // NoticeExits), deleted. Set once, before serving.
  using EventSink = std::function<void(runtime::v1::ContainerEventType, const Container&)>;
  void SetEventSink(EventSink sink) { events_ = std::move(sink); }
  // Records the exits of running containers that ended by themselves.
  void NoticeExits();

  // The records as they stand (exits folded in), for stats and events.
  std::vector<Container> Records() const;
  // One record by id or unique prefix; NOT_FOUND naming `rpc` otherwise.
  Container Record(const std::string& id_or_prefix, const char* rpc) const;
  // A container's writable layer (its overlay upper dir).
  std::string UpperDir(const std::string& id) const { return RootDir(id) + "/upper"; }
  const CgroupSupport& cgroups() const { return sandboxes_.cgroups(); }

  // Disk used by the containers' writable layers (ImageFsInfo), and where.
  storage::DiskUsage WritableLayerUsage() const;
  std::string WritableLayerDir() const { return layout_.ContainerRecords(); }
  // The runtime container behind a record (its handler as created, its run dir).
  oci::Container OciOf(const Container& c) const;

 private:
  std::string RunDir(const std::string& id) const { return layout_.ContainerRunDir(id); }
  std::string RootDir(const std::string& id) const { return layout_.ContainerDir(id); }
  std::string RootfsDir(const std::string& id) const { return config::Layout::Rootfs(RunDir(id)); }

  KeyedLocks::Held LockContainer(const std::string& id) { return locks_.Lock(id); }
  // An id or a unique prefix of one; NOT_FOUND naming `what` otherwise.
  std::string ResolveId(const std::string& id_or_prefix, const char* rpc) const;

  // Create's steps (container_create.cc).
  void ReserveName(const std::string& key, const std::string& image_id);
  void ReleaseName(const std::string& key, const std::string& image_id);
  void BuildBundle(Container& c, const Sandbox& sb, const ContainerImage& img,
                   const runtime::v1::ContainerConfig& cfg, const ProcessSecurity& security, Rollback& rb,
                   StepLog& steps);

  // The record with the monitor's exit file folded in.
  Container Effective(Container c) const;
  // The exit of a container not known to have exited: its exit file, or the
  // loss of its monitor (then recorded); nullopt while it runs.
  std::optional<oci::ExitStatus> NewExit(const Container& c) const;
  static void ApplyExit(Container& c, const oci::ExitStatus& exit);
  // Whether c's monitor lives; a sighting counts for kMonitorRecheck.
  bool MonitorSeenAlive(const Container& c) const;
  void ForgetMonitor(const std::string& id) const;
  static constexpr std::chrono::seconds kMonitorRecheck{1};
  // The record of a running container; FAILED_PRECONDITION naming `rpc` otherwise.
  Container RunningRecord(const std::string& id_or_prefix, const char* rpc);
  // Saves `c` if its exit is newly known, or (`released`) that an exited
  // container was just released.
  Container Refresh(const std::string& id, bool released = false);
  // An exited container's runtime state and mounts go: the runtime deletes
  // it and its rootfs comes off (the caller holds its lock).
  void Release(const Container& c);
  // The mounts in its run dir: the overlay rootfs, id-mapped volumes and
  // layers; `whose` prefixes their names in errors ("orphan ").
  void UnmountRunDir(const std::string& id, const std::string& whose) const;
  // Signals and waits; the caller holds the container's lock.
  void StopLocked(const Container& c, std::chrono::seconds timeout);
  void RemoveLocked(const Container& c);
  void RemoveOrphans();

  const config::Config& cfg_;
  const config::Layout layout_;
  SandboxManager& sandboxes_;
  ResolveImageFn resolve_image_;
  ContainerStore store_;
  // Removed records with their writable layers (root), and run dirs (run root).
  storage::Trash trash_{{layout_.Trash(), layout_.RunTrash()}};

  KeyedLocks locks_;
  EventSink events_;
  std::mutex refresh_mu_;  // one Refresh at a time notices an exit (and says so once)
  mutable std::mutex monitors_mu_;
  mutable std::map<std::string, std::chrono::steady_clock::time_point> monitor_seen_;  // id: monitor last seen alive
  std::mutex mu_;  // guards the two below
  std::set<std::string> reserved_names_;
  std::multiset<std::string> creating_images_;  // images of Creates in progress
};

}  // namespace berth::pod
