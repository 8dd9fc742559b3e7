#pragma once
// Pure CNI protocol helpers: the JSON a plugin reads on stdin, the pod IPs in
// the result it writes, its error shape, and version comparison.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "network/cni.h"

namespace berth::network {

// True if CNI version `version` ("0.4.0", "1.0.0"; "" counts as "0.1.0") is >= `min`.
bool CniVersionAtLeast(const std::string& version, const std::string& min);

// CNI_ARGS for a pod: "IgnoreUnknown=1;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..;..."
std::string CniArgs(const Attachment& a);

// The network config plugin `index` of `conflist` gets on stdin: its own
// config plus the list's name and cniVersion, prevResult (if not null) and a
// runtimeConfig holding only the capabilities the plugin declares
// ("capabilities": {"portMappings": true, "bandwidth": true}) and `a` provides.
nlohmann::json PluginStdin(const nlohmann::json& conflist, size_t index, const nlohmann::json& prev_result,
                           const Attachment& a);

// The pod IPs (no prefix length) in a result of any version: 1.0.0/0.4.0/0.3.x
// "ips" (skipping host-side interfaces), 0.2.0/0.1.0 "ip4"/"ip6". All IPv4
// first (the first is the primary), then IPv6, each in result order.
// Throws std::runtime_error naming what is malformed.
std::vector<std::string> PodIps(const nlohmann::json& result);

// "msg: details (CNI error code N)" for a CNI error object; "" if `out` is not one.
std::string CniErrorMessage(const nlohmann::json& out);

}  // namespace berth::network
