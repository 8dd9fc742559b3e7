#pragma once
// A pod's user namespace (NamespaceMode POD with kubelet's uid/gid
// mappings): checked from the CRI, created with the pod's network namespace
// owned by it (so the pause and every container, which join the user
// namespace first, may still join that netns and mount sysfs), pinned in the
// pod's run dir, and described to runc.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cri/cri.h"

namespace berth::pod {

struct IdMapping {
  uint32_t container_id = 0, host_id = 0, length = 0;
  bool operator==(const IdMapping&) const = default;
};

struct UsernsMappings {
  std::vector<IdMapping> uids, gids;
  bool operator==(const UsernsMappings&) const = default;
  // The host ids of the pod's root (container id 0).
  uint32_t HostRootUid() const;
  uint32_t HostRootGid() const;
};

// The pod's mappings for `u`: nullopt for mode NODE (or no options), the
// checked mappings for POD. INVALID_ARGUMENT naming `field` for another
// mode, no mappings, a zero length, ranges that overflow or overlap (on the
// container side or the host side), or no mapping for container id 0.
std::optional<UsernsMappings> PodUserns(const runtime::v1::NamespaceOption& nso, const std::string& field);

// A container's request against its pod's: none or NODE in a pod without a
// user namespace; none, or POD with no or the same mappings, in a pod with
// one. INVALID_ARGUMENT naming `field` otherwise.
void CheckContainerUserns(const runtime::v1::NamespaceOption& nso, const std::optional<UsernsMappings>& pod,
                          const std::string& field);

// "container host length\n" lines, as /proc/<pid>/uid_map wants them.
std::string IdMapText(const std::vector<IdMapping>& m);
// The OCI linux.uidMappings / gidMappings form.
nlohmann::json OciIdMappings(const std::vector<IdMapping>& m);
// The record's form and back.
nlohmann::json UsernsToJson(const UsernsMappings& m);
UsernsMappings UsernsFromJson(const nlohmann::json& j);

// Creates a user namespace with `m` and a network namespace owned by it
// (one short-lived child, unshare(CLONE_NEWUSER | CLONE_NEWNET)); pins the
// user namespace at `userns_pin` and returns the child's netns file for the
// caller to pin (`pin_netns`, while the child still holds it). Throws
// berth::Error, with nothing of the user namespace left.
void CreateUsernsWithNetns(const UsernsMappings& m, const std::string& userns_pin,
                           const std::function<void(const std::string& netns_file)>& pin_netns);

}  // namespace berth::pod
