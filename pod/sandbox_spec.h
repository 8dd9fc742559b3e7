#pragma once
// The OCI runtime spec (config.json, as runc 1.1 reads it) of a sandbox's
// pause container. Pure functions of the sandbox record, unit-tested.

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>

#include "config/config.h"
#include "pod/pause_process.h"
#include "pod/sandbox.h"
#include "pod/security.h"

namespace berth::pod {

// Only namespaced sysctls are allowed: kernel.shm*, kernel.msg*, kernel.sem,
// fs.mqueue.* (not with host IPC) and net.* (not with host network).
// Throws INVALID_ARGUMENT naming the first sysctl refused.
// Names are [a-z0-9_.-] (or '/' for '.'); values hold no newline or NUL; a
// name must exist under /proc/sys (`exists`; per-device net keys are not
// checked: the pod's devices are not berthd's).
using SysctlExistsFn = std::function<bool(const std::string& dotted_name)>;
bool SysctlExists(const std::string& dotted_name);
void ValidateSysctls(const std::map<std::string, std::string>& sysctls, const NamespaceOptions& ns,
                     const SysctlExistsFn& exists = SysctlExists);

// The spec's cgroupsPath for a sandbox.
//   cgroupfs: "<parent>/<id>"; empty parent: "/berth/<id>".
//   systemd:  "<parent slice>:berth:<id>" (runc's slice:prefix:name form);
//             empty parent: "system.slice:berth:<id>".
// Throws INVALID_ARGUMENT when the parent's style does not match the manager
// (a ".slice" name with cgroupfs, a path with systemd).
std::string SandboxCgroupsPath(config::CgroupManager manager, const std::string& cgroup_parent, const std::string& id);

// The pause process wants -998 (it is the last thing to kill), but a process
// cannot go below its parent's value without CAP_SYS_RESOURCE, so it gets
// max(-998, own); logs once when it had to clamp.
int PauseOomScoreAdj(int own_oom_score_adj);
// berthd's own /proc/self/oom_score_adj (0 if unreadable).
int OwnOomScoreAdj();

struct SandboxSpecInput {
  const Sandbox& sandbox;   // ns options, hostname, sysctls, cgroups_path, netns_path, shm_path
  std::string rootfs;       // the pause rootfs (built-in, or the pause image's overlay)
  PauseProcess process;
  int oom_score_adj = 0;
  // The pod-level seccomp and SELinux (SandboxSecurity); none: unconfined.
  const ProcessSecurity* security = nullptr;
  const SeccompNode* seccomp_node = nullptr;
};

nlohmann::json BuildSandboxSpec(const SandboxSpecInput& in);

}  // namespace berth::pod
