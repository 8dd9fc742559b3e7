#pragma once
// The user a container's process runs as: the CRI security context's
// run_as_user / run_as_username / run_as_group, else the image's User, with
// names and group memberships resolved in the image's /etc/passwd and
// /etc/group. Pure functions of the file contents.

#include <cstdint>
#include <string>
#include <vector>

#include "cri/cri.h"

namespace berth::pod {

struct ContainerUser {
  uint32_t uid = 0, gid = 0;
  // The primary gid first (a process that drops its primary group with
  // setgroups must not regain it: CVE-2023-25173), then the /etc/group
  // memberships of the user's name, then the CRI supplemental groups.
  std::vector<uint32_t> additional_gids;
};

// Throws INVALID_ARGUMENT naming the user or group that is not in the image,
// or a malformed User string.
ContainerUser ResolveContainerUser(const runtime::v1::LinuxContainerSecurityContext& sc, const std::string& image_user,
                                   const std::string& etc_passwd, const std::string& etc_group);

}  // namespace berth::pod
