#pragma once
// Where to fetch a repository from: the configured mirrors of its registry in
// order, then the registry itself, each with its own TLS settings (the
// images.registries entry keyed by that endpoint's host[:port]).
//
// Insecure endpoints: berth first tries HTTPS without certificate
// verification and falls back to plain HTTP when the TLS connection cannot be
// made (as docker and CRI-O do); the scheme that worked is remembered per
// host by the client. Secure endpoints use HTTPS with verification against
// the system bundle plus the endpoint's ca_files.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace berth::image {

struct Endpoint {
  std::string host;                   // host[:port] connected to (registry-1.docker.io for docker.io)
  bool mirror = false;                // a mirror of the reference's registry
  bool insecure = false;              // TLS not verified, plain HTTP allowed
  std::vector<std::string> ca_files;  // extra PEM CAs for this endpoint
  bool operator==(const Endpoint&) const = default;
};

// The ordered endpoints for a reference whose domain is `domain`: mirrors
// first, the registry last. Throws INVALID_ARGUMENT for a mirror that is not a
// host[:port].
std::vector<Endpoint> ResolveEndpoints(std::string_view domain,
                                       const std::map<std::string, config::Registry>& registries);

// The registry host a CRI AuthConfig.server_address names, normalized:
// scheme and path dropped, index.docker.io and registry-1.docker.io → docker.io.
std::string NormalizeServerAddress(std::string_view server_address);

// Whether credentials given for `server_address` may be sent to `endpoint_host`:
// when no server address is given, or it names that host. Credentials for a
// registry are never sent to its mirrors unless the request says so.
bool CredentialsApplyTo(std::string_view server_address, std::string_view endpoint_host);

}  // namespace berth::image
