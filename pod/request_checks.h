#pragma once
// Checks of request strings that end up in a file, a path or a command line:
// each throws INVALID_ARGUMENT naming `field` and a bounded excerpt of the
// value (Quoted), before anything is created. Pure: no file system access.

#include <string>
#include <vector>

#include "cri/cri.h"

namespace berth::pod {

// An IPv4 or IPv6 address in text.
bool IsIp(const std::string& s);

// A pod hostname: at most 64 bytes (the kernel's limit), dot-separated
// labels of letters, digits and '-', none empty or starting or ending in '-'.
void CheckHostname(const std::string& hostname, const std::string& field);

// DNS servers are IP addresses; searches are domain names; options are
// single resolv.conf tokens ("ndots:5"): no whitespace, newline or NUL.
void CheckDnsConfig(const runtime::v1::DNSConfig& dns, const std::string& field);

// log_directory: empty, or an absolute, lexically clean path without
// control bytes (kubelet's choice: it may be anywhere).
void CheckLogDirectory(const std::string& dir, const std::string& field);

// The container's log file: `log_path` taken under `log_directory`. Refused:
// an absolute log_path, a `..` component, control bytes, more than 4096
// bytes, a log_path without a log_directory. Empty log_path: "".
std::string ContainerLogPath(const std::string& log_directory, const std::string& log_path, const std::string& field);

// Environment names: not empty, no '=' or NUL (either would forge another
// variable).
void CheckEnv(const runtime::v1::ContainerConfig& c, const std::string& field);

// A path string from a request: no NUL, at most 4096 bytes, no component
// over 255 bytes (the kernel's limits, refused before a syscall meets them).
void CheckPathString(const std::string& path, const std::string& field);

}  // namespace berth::pod
