#pragma once
// Between CRI messages and sandbox records: request validation, status and
// list items, and ListPodSandbox's filter. Pure functions, unit-tested.

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "cri/cri.h"
#include "pod/sandbox.h"

namespace berth::pod {

// A record (without id, paths or network) from a RunPodSandbox request.
// Throws INVALID_ARGUMENT for missing metadata, an unknown runtime handler,
// a refused sysctl, bad user namespace mappings, or a hostname with host network.
Sandbox SandboxFromRequest(const runtime::v1::RunPodSandboxRequest& req, const config::Config& cfg);

runtime::v1::PodSandboxState ToCri(SandboxState s);
void FillStatus(const Sandbox& sb, runtime::v1::PodSandboxStatus* out);
void FillListItem(const Sandbox& sb, runtime::v1::PodSandbox* out);

// The sandboxes a ListPodSandbox filter selects: id exact or a unique prefix
// (an ambiguous prefix selects none), state, and every label in label_selector.
using SharedSandboxes = std::vector<std::shared_ptr<const Sandbox>>;
SharedSandboxes FilterSandboxes(SharedSandboxes all, const runtime::v1::PodSandboxFilter& filter);

}  // namespace berth::pod
