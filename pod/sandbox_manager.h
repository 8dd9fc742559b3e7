#pragma once
// Pod sandbox lifecycle: run (netns, CNI, pod files, /dev/shm, the pause
// container), stop, remove, status, list, and recovery of every sandbox (and
// cleanup of orphans) when berthd starts. The pause runs as an
// oci::Container; where its files live is config::Layout's. A pod's
// containers are not known here: pod::Pods stops and removes them first.

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
#include "config/layout.h"
#include "pod/cgroups.h"
#include "pod/keyed_locks.h"
#include "pod/oci/container.h"
#include "pod/pause_process.h"
#include "pod/sandbox.h"
#include "pod/security.h"
#include "storage/base/background.h"
#include "storage/base/scope.h"
#include "storage/base/steps.h"

namespace berth::pod {

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

  // When berthd stops: releases what only berthd needs (the netns pin dir's
  // own mount, when no pod is left). Pods keep running.
  void Shutdown();

  std::string Run(const runtime::v1::RunPodSandboxRequest& req);
  // Idempotent; an unknown id is fine (already reclaimed). Takes a full id
  // (pod::Pods resolves prefixes and stops the containers first).
  void Stop(const std::string& id);
  // Idempotent; an unknown id is fine (CRI). The containers must be gone.
  void Remove(const std::string& id);
  // The full id for an id or a unique prefix; nullopt when none matches.
  std::optional<std::string> Resolve(const std::string& id_or_prefix, const std::string& field) const {
    return store_.Resolve(id_or_prefix, field);
  }
  // NOT_FOUND for an unknown id.
  runtime::v1::PodSandboxStatusResponse Status(const std::string& id, bool verbose);
  std::vector<runtime::v1::PodSandbox> List(const runtime::v1::PodSandboxFilter& filter);

  // The record as it is now (READY only while the pause process lives).
  std::optional<Sandbox> Get(const std::string& id);
  // Every sandbox record (stats, events).
  std::vector<Sandbox> Records() const { return store_.List(); }
  // The same by an id or a unique prefix of one; an ambiguous prefix is
  // INVALID_ARGUMENT naming `field` and the ids it matches.
  std::optional<Sandbox> Find(const std::string& id_or_prefix, const std::string& field);

  // PortForward's checks (sandbox_streams.cc): ports within 1-65535, the pod ready.
  struct PortForwardTarget {
    std::string id;
    std::string netns_path;       // empty: host network
    std::vector<uint16_t> ports;  // those asked for; empty: any
  };
  PortForwardTarget CheckPortForward(const runtime::v1::PortForwardRequest& req);

  // What the node's seccomp, AppArmor and SELinux can do (detected at start).
  const NodeSecurity& security() const { return security_; }
  // Which cgroup hierarchies and controllers the node has (detected at start).
  const CgroupSupport& cgroups() const { return cgroups_; }
  // After a runtime's delete: removes what it left of the cgroup at
  // `cgroups_path` (cgroupfs; with systemd the unit's end is systemd's).
  void RemoveCgroupLeftovers(const std::string& cgroups_path) const;

  // How long the pause process gets after SIGTERM before SIGKILL.
  void set_stop_timeout(std::chrono::milliseconds t) { stop_timeout_ = t; }

 private:
  std::string RunDir(const std::string& id) const { return layout_.SandboxRunDir(id); }
  std::string ImageRootfs(const std::string& id) const { return config::Layout::Rootfs(RunDir(id)); }
  // The pause container: the runtime the pod was started with, even if the config changed since.
  oci::Container PauseOf(const Sandbox& sb) const;
  network::Attachment AttachmentOf(const Sandbox& sb) const;

  // Operations on one pod are serialised, others run in parallel.
  KeyedLocks::Held LockSandbox(const std::string& id) { return locks_.Lock(id); }
  // Reserves a pod's name for a Run in progress; ALREADY_EXISTS names the holder.
  void ReserveName(const std::string& key);
  void ReleaseName(const std::string& key);

  // Mounts the pause image's rootfs (with an image) and says what pause runs.
  PauseProcess PrepareRootfs(Sandbox& sb, const std::optional<PauseImage>& image, Rollback& rb);
  void StartPause(Sandbox& sb, const PauseProcess& process, const ProcessSecurity& security, Rollback& rb,
                  StepLog& steps);
  void UnmountImageRootfs(const std::string& id) const;
  void StopLocked(Sandbox sb, StepLog& steps);
  // Waits for the background ADD and takes its IPs and network into `sb`, once.
  static void TakeNetwork(Sandbox& sb, BackgroundCall& add, const network::PodNetwork& net, StepLog& steps);
  bool PauseAlive(const Sandbox& sb) const;
  // The record with its state corrected when the pause process has exited.
  Sandbox Effective(Sandbox sb) const;

  void RemoveOrphans();

  const config::Config& cfg_;
  const config::Layout layout_;
  const NodeSecurity security_ = NodeSecurity::Detect();
  const CgroupSupport cgroups_ = CgroupSupport::Detect();
  network::Cni& cni_;
  PauseImageFn pause_image_;
  SandboxStore store_;
  std::chrono::milliseconds stop_timeout_{std::chrono::seconds(10)};

  KeyedLocks locks_;
  std::mutex mu_;  // guards reserved_names_
  std::set<std::string> reserved_names_;
};

}  // namespace berth::pod
