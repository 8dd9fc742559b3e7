#pragma once
// Where berth keeps what on disk: the one place that spells the layout of
// the root (persistent: records, images, writable layers, CNI results) and
// the run root (volatile, gone at reboot: bundles, exit files, netns pins).
// Every library and the tests ask it; nobody else joins these names.
//
//   <root>/sandboxes/<id>/sandbox.json       a pod's record
//   <root>/containers/<id>/container.json    a container's record; beside it
//                       upper/ work/ volumes/ its writable layer and volumes
//   <root>/images/ blobs/ layers/            the image, blob and layer stores
//   <root>/pause-rootfs/pause                the built-in pause rootfs
//   <root>/pause-mountpoints/                top layer of pause image rootfs mounts
//   <root>/cni-cache/                        what CNI ADD returned (DEL needs it after a reboot)
//   <root>/berthd.lock                       one berthd per root
//   <root>/trash/, <run_root>/trash/         removed records' and run dirs' trees, left for
//                                            the reaper (storage/trash.h) to delete
//   <run_root>/sandboxes/<id>/               bundle/, exit, pause.pid, hosts, resolv.conf,
//                                            hostname, shm/, rootfs/ (a pause image's)
//   <run_root>/containers/<id>/              bundle/, exit, pid, rootfs/ (the overlay), exec-*.pid
//   <run_root>/netns/<id>                    a pod's pinned network namespace
//   <run_root>/runtimes/<handler>/           an OCI runtime's --root, unless configured

#include <string>

#include "config/config.h"

namespace berth::config {

class Layout {
 public:
  explicit Layout(const Config& cfg) : Layout(cfg.root, cfg.run_root) {}
  Layout(std::string root, std::string run_root) : root_(std::move(root)), run_root_(std::move(run_root)) {}

  const std::string& root() const { return root_; }
  const std::string& run_root() const { return run_root_; }

  // Under the root.
  std::string SandboxRecords() const { return root_ + "/sandboxes"; }
  std::string ContainerRecords() const { return root_ + "/containers"; }  // and their writable layers
  std::string ContainerDir(const std::string& id) const { return ContainerRecords() + "/" + id; }
  std::string Images() const { return root_ + "/images"; }
  std::string Blobs() const { return root_ + "/blobs"; }
  std::string Layers() const { return root_ + "/layers"; }
  std::string PauseRootfs() const { return root_ + "/pause-rootfs"; }
  std::string PauseMountpoints() const { return root_ + "/pause-mountpoints"; }
  std::string CniCache() const { return root_ + "/cni-cache"; }
  std::string RootLock() const { return root_ + "/berthd.lock"; }
  std::string Trash() const { return root_ + "/trash"; }

  // Under the run root.
  std::string SandboxRunDirs() const { return run_root_ + "/sandboxes"; }
  std::string SandboxRunDir(const std::string& id) const { return SandboxRunDirs() + "/" + id; }
  std::string ContainerRunDirs() const { return run_root_ + "/containers"; }
  std::string ContainerRunDir(const std::string& id) const { return ContainerRunDirs() + "/" + id; }
  std::string NetnsDir() const { return run_root_ + "/netns"; }
  std::string Netns(const std::string& id) const { return NetnsDir() + "/" + id; }
  std::string RuntimeRoot(const std::string& handler) const { return run_root_ + "/runtimes/" + handler; }
  std::string RunTrash() const { return run_root_ + "/trash"; }

  // Inside a run dir (a sandbox's or a container's).
  static std::string Bundle(const std::string& run_dir) { return run_dir + "/bundle"; }
  static std::string ExitFile(const std::string& run_dir) { return run_dir + "/exit"; }
  // Where a sandbox runtime's monitor takes the start request (conmon/start_socket.h).
  static std::string StartSocket(const std::string& run_dir) { return run_dir + "/start.sock"; }
  static std::string Rootfs(const std::string& run_dir) { return run_dir + "/rootfs"; }

 private:
  std::string root_, run_root_;
};

}  // namespace berth::config
