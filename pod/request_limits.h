#pragma once
// Up-front bounds on what a request may carry (sizes of names, labels,
// annotations, arguments, environment) and on values the kernel or runtime
// would otherwise refuse half-way with their own text (ports, cpusets, a
// memory limit too small to start a process). Each throws INVALID_ARGUMENT
// naming `field` and a bounded excerpt of the value. Pure, but for
// NodeCount.

#include <cstdint>
#include <string>
#include <vector>

#include "cri/cri.h"

namespace berth::pod {

struct RequestLimits {
  static constexpr size_t kName = 253;                 // metadata names, as Kubernetes object names
  static constexpr size_t kKey = 317;                  // label/annotation keys: 253-byte prefix + '/' + 63
  static constexpr size_t kMapEntries = 1024;          // labels or annotations per object
  static constexpr size_t kMapBytes = 256 * 1024;      // all labels + annotations (Kubernetes: 256 KiB)
  static constexpr size_t kArgBytes = 128 * 1024;      // one argument or env entry (the kernel's MAX_ARG_STRLEN)
  static constexpr size_t kArgsTotal = 1024 * 1024;    // command + args + env (execve fails near 2 MiB)
  static constexpr size_t kListEntries = 1024;         // mounts, devices, ports, dns entries, ...
  static constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // below it runc's init cannot start (Docker: 6 MiB)
};

// metadata.name, labels and annotations of a pod.
void CheckSandboxSizes(const runtime::v1::PodSandboxConfig& c, const std::string& field);
// metadata.name, labels, annotations, command/args/env, mounts, devices.
void CheckContainerSizes(const runtime::v1::ContainerConfig& c, const std::string& field);

// A command to exec (Exec, ExecSync): each argument and the whole within
// the kernel's execve limits, at most kListEntries arguments.
void CheckCommand(const google::protobuf::RepeatedPtrField<std::string>& cmd, const std::string& field);

// Container and host ports within 0-65535 (host_port 0: not published;
// container_port 1-65535 when published), a known protocol, host_ip an IP.
void CheckPortMappings(const runtime::v1::PodSandboxConfig& c, const std::string& field);

// A Linux cpu/mem list ("0-3,8,10-11"): ranges ascending, numbers below
// `limit` (the node's count; 0: no check). Returns the ids it names.
std::vector<unsigned> ParseCpuList(const std::string& list, unsigned limit, const std::string& field);

// The container's resources: memory at least kMinMemory when set, cpuset
// lists well-formed and naming only cpus/nodes the node has (`cpus`,
// `mems`: their counts; 0 skips the range check).
void CheckResources(const runtime::v1::LinuxContainerResources& r, unsigned cpus, unsigned mems,
                    const std::string& field);

// How many cpus (or memory nodes) a sysfs list file like
// /sys/devices/system/cpu/online names up to (its highest id + 1); 0 when
// it cannot be read (the range check is skipped then).
unsigned NodeCount(const std::string& sysfs_list);

}  // namespace berth::pod
