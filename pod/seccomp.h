#pragma once
// seccomp for pods and containers: which profile a CRI request selects, and
// the OCI linux.seccomp object runc loads for it. berth's RuntimeDefault is
// its own allow-list (pod/seccomp_default.cc); Localhost profiles are JSON
// files in the docker or OCI format under a configured root.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cri/cri.h"

namespace berth::pod {

enum class SeccompMode { kUnconfined, kRuntimeDefault, kLocalhost };

struct SeccompChoice {
  SeccompMode mode = SeccompMode::kUnconfined;
  std::string path;  // kLocalhost: the profile file as requested
};

// What this node's seccomp can do (DetectSeccompNode in seccomp_node.cc).
struct SeccompNode {
  bool supported = true;                   // the kernel has seccomp filters
  std::vector<std::string> architectures;  // SCMP_ARCH_* the filters cover: native first
  int kernel_major = 0, kernel_minor = 0;  // for docker profiles' includes.minKernel
  // Syscall names libseccomp knows on any of `architectures` (the default
  // profile leaves the others out); empty: every name is taken as known.
  std::vector<std::string> known_syscalls;
};

// The profile a request selects. `has_profile`/`profile` are the current
// SecurityProfile field, `legacy` the deprecated seccomp_profile_path
// ("runtime/default", "docker/default", "localhost/<path>", "unconfined");
// both empty: `default_profile` (config security.seccomp_default, in the
// legacy syntax). `field` names the request's security context in errors.
// Throws INVALID_ARGUMENT for anything else (a path without "localhost/").
SeccompChoice ChooseSeccomp(bool has_profile, const runtime::v1::SecurityProfile& profile, const std::string& legacy,
                            const std::string& default_profile, const std::string& field);

// The file a Localhost choice names once checked against `root`: absolute
// (relative ones are taken under root), lexically clean and inside root.
// Throws INVALID_ARGUMENT naming the path otherwise.
std::string LocalhostProfilePath(const std::string& requested, const std::string& root);

// A profile file's text as the OCI linux.seccomp object: docker's format
// (names or name, includes/excludes by caps, arches and minKernel, archMap)
// or the OCI one. `caps` is the process's effective set (CAP_*). Throws
// INVALID_ARGUMENT naming `what` for invalid JSON, an unknown action or
// operator, or a rule without names.
nlohmann::json ParseSeccompProfile(const std::string& text, const std::string& what, const SeccompNode& node,
                                   const std::vector<std::string>& caps);

// berth's RuntimeDefault for a process with effective capabilities `caps`:
// EPERM for everything but an allow-list; namespace-creating clone flags,
// unshare, mount and the like only with CAP_SYS_ADMIN, clone3 answering
// ENOSYS without it (so libc falls back to clone, whose flags can be
// checked), personality limited to the harmless personas, AF_VSOCK sockets
// refused, and the other privileged calls only with their capability.
nlohmann::json DefaultSeccompProfile(const SeccompNode& node, const std::vector<std::string>& caps);

// Every syscall name the default profile may use (for DetectSeccompNode).
std::vector<std::string> DefaultProfileSyscalls();

// The spec's linux.seccomp for `choice`, or null for unconfined. `profile_text`
// is the Localhost file's content (read by the caller).
nlohmann::json SeccompSpec(const SeccompChoice& choice, const std::string& profile_text, const SeccompNode& node,
                           const std::vector<std::string>& caps);

// This node: kernel support, architectures (libseccomp's native one and its
// compat ones), kernel version, and which of `names` libseccomp knows.
SeccompNode DetectSeccompNode(const std::vector<std::string>& names);

// The text of the Localhost profile at `path` (LocalhostProfilePath's
// result): a regular file of at most 1 MiB whose real path, symlinks
// resolved, is still under `root`. Throws INVALID_ARGUMENT naming it.
std::string ReadSeccompProfile(const std::string& path, const std::string& root);

// The capabilities runc gives a process of `spec`'s "process" object.
std::vector<std::string> EffectiveCapabilities(const nlohmann::json& process);

}  // namespace berth::pod
