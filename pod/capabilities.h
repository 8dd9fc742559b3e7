#pragma once
// Linux capability sets of container processes: the runtime default set,
// CRI add/drop (with "ALL"), ambient capabilities and privileged containers.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cri/cri.h"

namespace berth::pod {

// The set containers get unless the CRI adds or drops some (what the
// common runtimes give: no CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE...).
const std::vector<std::string>& DefaultCapabilities();
// Every capability this file knows, CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40).
const std::vector<std::string>& KnownCapabilities();

// "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; throws
// INVALID_ARGUMENT for a name that is no capability.
std::string CapabilityName(const std::string& name);

// berthd's own effective set, from /proc/self/status (known ones only).
std::vector<std::string> OwnCapabilities();

// The spec's process.capabilities. `all` is what "ALL" and privileged mean:
// the set berthd has itself (a process cannot give more; runc fails when a
// spec asks for a capability it lacks). Order: defaults, then additions.
// Applied like containerd: add ALL, then drop ALL, then single adds, then
// single drops (so drop ALL + add NET_BIND_SERVICE keeps just that one).
nlohmann::json ContainerCapabilities(const runtime::v1::Capability& caps, bool privileged,
                                     const std::vector<std::string>& all);

}  // namespace berth::pod
