#pragma once
// Mount primitives: overlay rootfs mounts for containers and pause images,
// and unmounting
// whatever is stacked on a path.

#include <string>
#include <vector>

namespace berth::storage {

// True when `path` is a mount point in /proc/self/mountinfo.
bool IsMountPoint(const std::string& path);

// Unmounts every mount stacked on `path` (a crash between a mount and its
// record can leave several); fine when nothing is mounted there. `what`
// names the mount in errors. Throws berth::Error.
void UnmountAll(const std::string& path, const std::string& what);

// Mounts an overlay at `target`: `lowers` top layer first (an empty list
// gets one empty lower dir at <work>.empty), writes going to `upper`.
// Throws FAILED_PRECONDITION when the option string exceeds what the
// kernel takes in one mount(2) call (a page), SysError otherwise.
void MountOverlay(const std::vector<std::string>& lowers, const std::string& upper, const std::string& work,
                  const std::string& target);

// Mounts a read-only overlay of `lowers` (top first; at least two, which the
// kernel needs without an upper dir) at `target`. Throws as MountOverlay.
void MountReadOnlyOverlay(const std::vector<std::string>& lowers, const std::string& target);

}  // namespace berth::storage
