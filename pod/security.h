#pragma once
// A process's confinement beyond capabilities and users: its seccomp
// profile, AppArmor profile and SELinux label, resolved from a CRI security
// context against what the node supports, and put into its OCI spec.

#include <nlohmann/json.hpp>

#include <string>

#include "config/config.h"
#include "cri/cri.h"
#include "pod/mac.h"
#include "pod/seccomp.h"

namespace berth::pod {

struct NodeSecurity {
  SeccompNode seccomp;
  MacNode mac;
  // seccomp (architectures), AppArmor and SELinux as detected at start.
  static NodeSecurity Detect();
  // "seccomp=enabled(SCMP_ARCH_X86_64,...) apparmor=disabled selinux=disabled"
  std::string Describe() const;
};

struct ProcessSecurity {
  SeccompChoice seccomp;
  std::string seccomp_profile;   // a Localhost profile's text, read and size-checked
  std::string apparmor_profile;  // process.apparmorProfile; empty: none
  std::string selinux_label;     // process.selinuxLabel; empty: none
};

// For a container: its own fields (the current ones before the deprecated
// ones), config security.* for what it leaves unset. Reads a Localhost
// seccomp profile. `field` names the security context in errors.
ProcessSecurity ContainerSecurity(const runtime::v1::LinuxContainerSecurityContext& sc, const config::Config& cfg,
                                  const NodeSecurity& node, const std::string& field);

// For a sandbox's pause process: the pod-level fields.
ProcessSecurity SandboxSecurity(const runtime::v1::LinuxSandboxSecurityContext& sc, const config::Config& cfg,
                                const NodeSecurity& node, const std::string& field);

// Writes linux.seccomp, process.apparmorProfile and process.selinuxLabel
// into `spec` (whose process.capabilities are final); a privileged process
// runs unconfined by seccomp and AppArmor, as in docker and CRI-O.
void ApplyProcessSecurity(nlohmann::json& spec, const ProcessSecurity& sec, const SeccompNode& node, bool privileged);

}  // namespace berth::pod
