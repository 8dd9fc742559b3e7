#pragma once
// Pod sandbox lifecycle: run (netns, CNI, pod files, /dev/shm, pause
// container under berth-conmon), stop, remove, status, list, and recovery of
// every sandbox (and cleanup of orphans) when berthd starts.
//
// Layout:
//   <root>/sandboxes/<id>/sandbox.json    the record (persistent)
//   <root>/pause-rootfs/pause             the built-in pause rootfs
//   <root>/pause-mountpoints/             top layer of pause image rootfs mounts
//   <run_root>/sandboxes/<id>/            bundle/config.json, hosts, resolv.conf,
//                                         hostname, shm/ (tmpfs), exit, pause.pid,
//                                         rootfs/ (the pause image's, if configured)
//   <run_root>/netns/<id>                 the pinned network namespace

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "cri/cri.h"
#include "network/cni.h"
#include "pod/keyed_locks.h"
#include "pod/oci_runtime.h"
#include "pod/pause_process.h"
#include "pod/sandbox.h"

namespace berth::pod {

// What the containers of a pod need done when the pod stops or goes away.
// Implemented by the container manager (containers issue); until it is set,
// a sandbox has no containers to stop.
class SandboxContainers {
 public:
  virtual ~SandboxContainers() = default;
  // Stops (kills) every container of the sandbox; called before its pause.
  virtual void StopAll(const std::string& sandbox_id) = 0;
  // Removes every container of the sandbox; called before the sandbox goes.
  virtual void RemoveAll(const std::string& sandbox_id) = 0;
};

class SandboxManager {
 public:
  // `pause_image` is set when config pause.image names an image to run
  // instead of the built-in pause rootfs.
  SandboxManager(const config::Config& cfg, network::Cni& cni, PauseImageFn pause_image = {});
  SandboxManager(const SandboxManager&) = delete;
  SandboxManager& operator=(const SandboxManager&) = delete;

  // At start, before serving: loads the records, marks sandboxes whose pause
  // is gone NOTREADY, removes orphans (netns pins, CNI attachments, runtime
  // containers and run dirs that no record owns).
  void Recover();

  void SetContainers(SandboxContainers* containers) { containers_ = containers; }

  // When berthd stops: releases what only berthd needs (the netns pin dir's
  // own mount, when no pod is left). Pods keep running.
  void Shutdown();

  std::string Run(const runtime::v1::RunPodSandboxRequest& req);
  // Idempotent; an unknown id is fine (already reclaimed).
  void Stop(const std::string& id);
  // Idempotent; an unknown id is fine (CRI).
  void Remove(const std::string& id);
  // NOT_FOUND for an unknown id.
  runtime::v1::PodSandboxStatusResponse Status(const std::string& id, bool verbose);
  std::vector<runtime::v1::PodSandbox> List(const runtime::v1::PodSandboxFilter& filter);

  // The record as it is now (READY only while the pause process lives).
  std::optional<Sandbox> Get(const std::string& id);
  // The same by an id or a unique prefix of one; an ambiguous prefix is
  // INVALID_ARGUMENT naming `field` and the ids it matches.
  std::optional<Sandbox> Find(const std::string& id_or_prefix, const std::string& field);

  // Where the pod's hosts, resolv.conf, hostname and shm live.
  std::string SandboxRunDir(const std::string& id) const { return RunDir(id); }

  // How long the pause process gets after SIGTERM before SIGKILL.
  void set_stop_timeout(std::chrono::milliseconds t) { stop_timeout_ = t; }

 private:
  std::string RunDir(const std::string& id) const { return cfg_.run_root + "/sandboxes/" + id; }
  std::string NetnsDir() const { return cfg_.run_root + "/netns"; }
  std::string ExitFile(const std::string& id) const { return RunDir(id) + "/exit"; }
  std::string ImageRootfs(const std::string& id) const { return RunDir(id) + "/rootfs"; }
  OciRuntime RuntimeOf(const Sandbox& sb) const;
  network::Attachment AttachmentOf(const Sandbox& sb) const;

  // Operations on one pod are serialised, others run in parallel.
  KeyedLocks::Held LockSandbox(const std::string& id) { return locks_.Lock(id); }
  void DropLock(const std::string& id) { locks_.Drop(id); }
  // Reserves a pod's name for a Run in progress; ALREADY_EXISTS names the holder.
  void ReserveName(const std::string& key);
  void ReleaseName(const std::string& key);

  // Mounts the pause image's rootfs (with an image) and says what pause runs.
  PauseProcess PrepareRootfs(Sandbox& sb, const std::optional<PauseImage>& image, class Rollback& rb);
  void StartPause(Sandbox& sb, const PauseProcess& process, class Rollback& rb);
  void UnmountImageRootfs(const std::string& id) const;
  void StopLocked(Sandbox sb);
  // Signals the pause process TERM, then KILL, until its exit is recorded.
  void StopPause(const Sandbox& sb);
  bool WaitExited(const Sandbox& sb, const OciRuntime& rt, std::chrono::milliseconds timeout);
  bool PauseAlive(const Sandbox& sb) const;
  // The record with its state corrected when the pause process has exited.
  Sandbox Effective(Sandbox sb) const;

  void RemoveOrphans();

  const config::Config& cfg_;
  network::Cni& cni_;
  PauseImageFn pause_image_;
  SandboxStore store_;
  SandboxContainers* containers_ = nullptr;
  std::chrono::milliseconds stop_timeout_{std::chrono::seconds(10)};

  KeyedLocks locks_;
  std::mutex mu_;  // guards reserved_names_
  std::set<std::string> reserved_names_;
};

}  // namespace berth::pod
