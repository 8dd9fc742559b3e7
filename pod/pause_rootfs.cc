#include "pod/pause_rootfs.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <mutex>

#include "cri/error.h"
#include "storage/fs.h"

namespace berth::pod {

std::string EnsurePauseRootfs(const std::string& root, const std::string& pause_binary) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  const std::string rootfs = root + "/pause-rootfs";
  std::string binary;
  try {
    binary = storage::ReadFile(pause_binary);
  } catch (const Error& e) {
    throw FailedPrecondition("pause binary (config pause.binary) unusable: " + std::string(e.what()));
  }
  // Mount points runc would otherwise create in the shared read-only rootfs.
  for (const char* dir : {"", "/proc", "/dev", "/sys", "/etc"}) storage::MakeDirs(rootfs + dir, 0755);

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

}  // namespace berth::pod
