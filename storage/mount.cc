#include "storage/mount.h"

#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::storage {
namespace {
// mount(2) copies at most one page of options.
const size_t kMaxMountData = static_cast<size_t>(::sysconf(_SC_PAGESIZE)) - 1;
}  // namespace

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // Field 5 is the mount point (octal escapes for spaces; our paths have none).
    std::istringstream f(line);
    std::string id, parent, devno, root, mount_point;
    if (f >> id >> parent >> devno >> root >> mount_point && mount_point == path) return true;
  }
  return false;
}

void UnmountAll(const std::string& path, const std::string& what) {
  for (int i = 0; i < 16 && IsMountPoint(path); ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) != 0) {
      if (errno == EINVAL || errno == ENOENT) break;
      throw SysError("umount " + what + " " + path);
    }
  }
}

namespace {

std::string Join(const std::vector<std::string>& lowers) {
  std::string out;
  for (const auto& l : lowers) out += (out.empty() ? "" : ":") + l;
  return out;
}

void Mount(const std::string& data, size_t layers, unsigned long flags, const std::string& target) {
  if (data.size() > kMaxMountData) {
    throw FailedPrecondition("overlay for " + target + ": " + std::to_string(layers) +
                             " layers make mount options of " + std::to_string(data.size()) +
                             " bytes, more than the kernel takes (" + std::to_string(kMaxMountData) + ")");
  }
  MakeDirs(target, 0755);
  if (::mount("overlay", target.c_str(), "overlay", flags, data.c_str()) != 0) {
    throw SysError("mount overlay on " + target + " (" + std::to_string(layers) + " layers)");
  }
}

}  // namespace

void MountOverlay(const std::vector<std::string>& lowers, const std::string& upper, const std::string& work,
                  const std::string& target) {
  std::string lowerdir = Join(lowers);
  if (lowers.empty()) {
    lowerdir = work + ".empty";
    MakeDirs(lowerdir, 0755);
  }
  MakeDirs(upper, 0755);
  MakeDirs(work, 0700);
  Mount("lowerdir=" + lowerdir + ",upperdir=" + upper + ",workdir=" + work, lowers.size(), 0, target);
}

void MountReadOnlyOverlay(const std::vector<std::string>& lowers, const std::string& target) {
  if (lowers.size() < 2) {
    throw InvalidArgument("read-only overlay for " + target + " needs at least 2 lower dirs, got " +
                          std::to_string(lowers.size()));
  }
  Mount("lowerdir=" + Join(lowers), lowers.size(), MS_RDONLY, target);
}

}  // namespace berth::storage
