#pragma once
// The OCI runtime spec (config.json, as runc 1.1 reads it) of a container:
// the image config merged with the CRI ContainerConfig, joined to its
// sandbox's namespaces. Pure functions (no file system access), unit-tested.

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cri/cri.h"
#include "image/manifest.h"
#include "pod/cgroups.h"
#include "pod/sandbox.h"
#include "pod/security.h"

namespace berth::pod {

// A host device node, as stat(2) sees it.
struct DeviceInfo {
  char type = 'c';  // 'c' or 'b'
  int64_t major = 0, minor = 0;
  uint32_t file_mode = 0666;  // permission bits
  uint32_t uid = 0, gid = 0;
};
// Looks up a host device path; nullopt when it is no device node.
using StatDeviceFn = std::function<std::optional<DeviceInfo>(const std::string& host_path)>;

struct ContainerSpecInput {
  const runtime::v1::ContainerConfig& config;
  const image::ImageConfig& image;
  const Sandbox& sandbox;      // namespaces, netns_path, shm_path, hostname
  std::string container_id;
  std::string rootfs;          // the mounted overlay (absolute path)
  std::string cgroups_path;    // the spec's linux.cgroupsPath
  pid_t pause_pid = 0;         // the sandbox's pause: its /proc/<pid>/ns/{ipc,uts,pid} are joined
  pid_t target_pid = 0;        // NamespaceMode TARGET for pid: that container's init
  // The sandbox's files, bind-mounted (read-write, read-only with a
  // read-only rootfs, as containerd does) unless a CRI mount targets the
  // same path; empty ones are skipped.
  std::string hosts_path, resolv_conf_path, hostname_path;
  // Where anonymous volumes of the image (config.Volumes not covered by a
  // CRI mount) get their host dirs: <volumes_dir>/<n>. The caller creates
  // the dirs listed in ContainerSpec::volume_dirs.
  std::string volumes_dir;
  // The image rootfs's /etc/passwd and /etc/group (empty if absent), for
  // user names and the user's primary and supplementary groups.
  std::string etc_passwd, etc_group;
  int own_oom_score_adj = 0;   // berthd's own /proc/self/oom_score_adj
  StatDeviceFn stat_device;    // required when config has devices
  // What "ALL" capabilities and privileged containers get: berthd's own
  // effective set (OwnCapabilities() in pod/capabilities.h); runc fails on a
  // spec asking for one berthd lacks. Empty: every capability known.
  std::vector<std::string> own_capabilities;
  // What the node's cgroups can apply (CgroupSupport::Detect()); limits for
  // a missing controller are left out. Undetected: every limit is kept.
  CgroupSupport cgroups;
  // seccomp, AppArmor and SELinux (ContainerSecurity in pod/security.h) and
  // what the node's seccomp covers; none given: unconfined.
  const ProcessSecurity* security = nullptr;
  const SeccompNode* seccomp_node = nullptr;
};

struct ContainerSpec {
  nlohmann::json spec;
  // Set when the requested oom_score_adj was below own_oom_score_adj and was
  // raised to it (no CAP_SYS_RESOURCE): the value that was asked for.
  std::optional<int64_t> oom_score_adj_requested;
  std::vector<std::string> volume_dirs;  // host dirs the caller must create
  // CRI stop_signal, else image StopSignal, else "SIGTERM"; canonical
  // ("SIGTERM", "SIGRTMIN+3"): SignalNumber() in pod/signals.h maps it.
  std::string stop_signal;
  // Limits left out because the node lacks their controller.
  std::vector<DroppedLimit> dropped_limits;
};

// Throws INVALID_ARGUMENT naming what is wrong: no command (neither CRI
// command/args nor image Entrypoint/Cmd), a relative container path in a
// mount, an unknown user or group name, a device that is no device node...
ContainerSpec BuildContainerSpec(const ContainerSpecInput& in);

// The OCI linux.resources object (cpu, memory, hugepageLimits, unified) for
// CRI resources; also what `runc update -r` reads. A limit whose controller
// `cg` lacks (or a huge page size the kernel lacks) is left out and, when
// `dropped` is given, recorded there.
nlohmann::json OciResources(const runtime::v1::LinuxContainerResources& r, const CgroupSupport& cg,
                            std::vector<DroppedLimit>* dropped = nullptr);

// `r` as ContainerStatus reports it once `oci` (OciResources of it) is
// applied: with the swap limit set (the memory limit when none was asked).
runtime::v1::LinuxContainerResources AppliedResources(runtime::v1::LinuxContainerResources r,
                                                      const nlohmann::json& oci);

// max(requested, own): a process cannot go below its parent's oom_score_adj
// without CAP_SYS_RESOURCE. Logs once when it raised a value.
int64_t ClampOomScoreAdj(int64_t requested, int own);

}  // namespace berth::pod
