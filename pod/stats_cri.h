#pragma once
// Samples as the CRI's stats messages: CpuUsage, MemoryUsage (available =
// limit minus working set, as kubelet computes it), SwapUsage, the writable
// layer's FilesystemUsage and a pod's NetworkUsage (eth0, kubelet's default
// interface name, as the default interface).

#include <string>

#include "cri/cri.h"
#include "pod/stats_cache.h"

namespace berth::pod {

void FillCpu(const CgroupReading& r, runtime::v1::CpuUsage* out);
void FillMemory(const CgroupSample& s, runtime::v1::MemoryUsage* out);
void FillSwap(const CgroupSample& s, runtime::v1::SwapUsage* out);
void FillProcesses(const CgroupSample& s, runtime::v1::ProcessUsage* out);
void FillWritableLayer(const DiskReading& d, const std::string& mountpoint, runtime::v1::FilesystemUsage* out);
void FillNetwork(const NetReading& n, runtime::v1::NetworkUsage* out);

// The sum of several cgroups' samples (a pod without a pod cgroup of its
// own: the pause's and its containers'); a value is set when any part has it.
CgroupReading Sum(const std::vector<CgroupReading>& parts);

}  // namespace berth::pod
