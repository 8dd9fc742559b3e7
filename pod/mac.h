#pragma once
// Mandatory access control: the AppArmor profile and SELinux label of a
// process, applied where the node has them enabled and refused clearly where
// it does not (a request for a profile or label the node cannot give is an
// error, never ignored).

#include <set>
#include <string>

#include "cri/cri.h"

namespace berth::pod {

struct MacNode {
  bool apparmor = false;                  // /sys/module/apparmor/parameters/enabled is Y
  std::set<std::string> apparmor_loaded;  // profile names in the kernel
  bool selinux = false;                   // selinuxfs mounted and enforcing or permissive
};

// Reads /sys/module/apparmor, /sys/kernel/security/apparmor/profiles and /sys/fs/selinux.
MacNode DetectMacNode();

// "apparmor=enabled selinux=disabled": for logs, Status and RuntimeConfig.
std::string DescribeMac(const MacNode& node);

// The process.apparmorProfile for a container; empty: none (unconfined).
// `has_profile`/`profile` are the current field, `legacy` the deprecated
// apparmor_profile ("runtime/default", "unconfined", "localhost/<name>").
// RuntimeDefault: `default_profile` on an AppArmor node (refused when it is
// not loaded), nothing elsewhere; unset: the same, but unconfined when the
// default is not loaded (logged once). Privileged containers get none. Throws INVALID_ARGUMENT for an
// unknown syntax or a profile that is not loaded, FAILED_PRECONDITION for a
// Localhost profile on a node without AppArmor.
std::string AppArmorProfile(bool has_profile, const runtime::v1::SecurityProfile& profile, const std::string& legacy,
                            bool privileged, const MacNode& node, const std::string& default_profile,
                            const std::string& field);

// The process.selinuxLabel ("user:role:type:level") for `opt`; empty when no
// field is set. Throws FAILED_PRECONDITION for options on a node without
// SELinux, INVALID_ARGUMENT for a partial label or one with ':' or a newline
// inside a field.
std::string SelinuxLabel(const runtime::v1::SELinuxOption& opt, const MacNode& node, const std::string& field);

}  // namespace berth::pod
