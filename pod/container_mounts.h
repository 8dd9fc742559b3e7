#pragma once
// The mounts of a container's OCI spec: the default set, the sandbox's
// /dev/shm, /etc/hosts, /etc/resolv.conf and /etc/hostname, the CRI mounts
// and the image's anonymous volumes.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "pod/container_spec.h"

namespace berth::pod {

struct ContainerMounts {
  nlohmann::json mounts;                 // the spec's "mounts", parents before children
  std::vector<std::string> volume_dirs;  // host dirs of the image's volumes
  std::string rootfs_propagation;        // linux.rootfsPropagation, empty for runc's default
};

// Throws INVALID_ARGUMENT for a relative or empty container path, an empty or
// relative host path or two mounts at one path; UNIMPLEMENTED for what runc
// 1.1 without user namespaces cannot do (image mounts, id-mapped mounts,
// recursive read-only).
ContainerMounts BuildContainerMounts(const ContainerSpecInput& in);

// "/a//b/./c/" -> "/a/b/c" (lexically; symlinks are runc's business).
std::string CleanPath(const std::string& path);

}  // namespace berth::pod
