#include "pod/pause_rootfs.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <mutex>

#include "storage/base/error.h"
#include "storage/fs.h"
#include "storage/mount.h"

namespace berth::pod {

namespace {
// What the sandbox spec mounts on: runc makes the rest inside /dev's tmpfs.
constexpr const char* kMountPoints[] = {"", "/proc", "/dev", "/sys", "/etc"};
}  // namespace

std::string EnsurePauseRootfs(const config::Layout& layout, const std::string& pause_binary) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  const std::string rootfs = layout.PauseRootfs();
  std::string binary;
  try {
    binary = storage::ReadFile(pause_binary);
  } catch (const Error& e) {
    throw FailedPrecondition("pause binary (config pause.binary) unusable: " + std::string(e.what()));
  }
  // Mount points runc would otherwise create in the shared read-only rootfs.
  for (const char* dir : kMountPoints) storage::MakeDirs(rootfs + dir, 0755);

  const std::string target = rootfs + "/pause";
  std::string current;
  try {
    current = storage::ReadFile(target);
  } catch (const Error&) {
    // absent: copied below
  }
  if (current != binary) {
    // Atomic replace: a pause being exec'd right now keeps the old inode.
    storage::WriteFileAtomic(target, binary, 0755);
    spdlog::info("pause rootfs {}: /pause copied from {}", rootfs, pause_binary);
  }
  return rootfs;
}

void MountPauseImageRootfs(const config::Layout& layout, const PauseImage& image, const std::string& target) {
  const std::string mount_points = layout.PauseMountpoints();
  for (const char* dir : kMountPoints) storage::MakeDirs(mount_points + dir, 0755);
  std::vector<std::string> lowers{mount_points};
  lowers.insert(lowers.end(), image.layer_dirs.rbegin(), image.layer_dirs.rend());
  storage::MountReadOnlyOverlay(lowers, target);
}

}  // namespace berth::pod
