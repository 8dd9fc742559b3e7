#pragma once
// Usage of a sandbox runtime's container (gVisor): its cgroups hold the
// whole sandbox, so the figures come from the runtime itself, `runsc events
// --stats` (cpu.usage.total, memory.usage.usage, pids.current), put in the
// shape of a cgroup sample.

#include <nlohmann/json.hpp>

#include <cstdint>

#include "pod/cgroup_stats.h"

namespace berth::pod {

// `data` is the event's "data" object; fields it lacks stay unset. A
// memory limit of 0 (none set) is left unset too.
CgroupSample SampleFromRuntimeStats(const nlohmann::json& data, int64_t now_ns);

}  // namespace berth::pod
