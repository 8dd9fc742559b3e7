#pragma once
// Mount propagation a CRI mount asks for, checked against its source's real
// propagation, as containerd and CRI-O do: Bidirectional (rshared) needs a
// shared source mount, HostToContainer (rslave) a shared or slave one;
// otherwise runc would start the container but nothing would propagate.

#include <optional>
#include <string>

#include "cri/cri.h"

namespace berth::pod {

struct SourceMount {
  std::string mount_point;
  bool shared = false;  // optional field "shared:N"
  bool slave = false;   // optional field "master:N"
};

// The mount holding `path` (absolute, symlinks already resolved) in a
// /proc/self/mountinfo text: the longest mount point that is `path` or a
// parent of it; of mounts stacked on one point, the last (the visible one).
std::optional<SourceMount> MountHolding(const std::string& mountinfo, const std::string& path);

// Checks every mount of `config` with HostToContainer or Bidirectional
// propagation against /proc/self/mountinfo (its host path resolved, or its
// nearest existing parent when it does not exist yet). Throws
// FAILED_PRECONDITION naming the mount, its source mount and what it needs.
void CheckMountPropagation(const runtime::v1::ContainerConfig& config, const std::string& field);

}  // namespace berth::pod
