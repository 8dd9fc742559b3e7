#include "image/registry_endpoints.h"

#include "storage/base/error.h"
#include "image/reference.h"

namespace berth::image {
namespace {

Endpoint MakeEndpoint(const std::string& host, bool mirror, const std::map<std::string, config::Registry>& registries,
                      std::string_view settings_key) {
  Endpoint e{.host = host, .mirror = mirror, .insecure = false, .ca_files = {}};
  auto it = registries.find(std::string(settings_key));
  if (it == registries.end()) it = registries.find(host);
  if (it != registries.end()) {
    e.insecure = it->second.insecure;
    e.ca_files = it->second.ca_files;
  }
  return e;
}

}  // namespace

std::vector<Endpoint> ResolveEndpoints(std::string_view domain,
                                       const std::map<std::string, config::Registry>& registries) {
  std::vector<Endpoint> out;
  std::string upstream = RegistryApiHost(domain);
  auto self = registries.find(std::string(domain));
  if (self == registries.end()) self = registries.find(upstream);
  if (self != registries.end()) {
    for (const auto& m : self->second.mirrors) {
      if (!IsValidDomain(m)) {
        throw InvalidArgument("mirror \"" + m + "\" of registry " + std::string(domain) +
                              " is not a host[:port] (images.registries." + self->first + ".mirrors)");
      }
      if (m == domain || m == upstream) continue;
      bool seen = false;
      for (const auto& e : out) seen = seen || e.host == m;
      if (!seen) out.push_back(MakeEndpoint(m, true, registries, m));
    }
  }
  out.push_back(MakeEndpoint(upstream, false, registries, domain));
  return out;
}

std::string NormalizeServerAddress(std::string_view a) {
  if (size_t scheme = a.find("://"); scheme != std::string_view::npos) a.remove_prefix(scheme + 3);
  a = a.substr(0, a.find('/'));
  if (a == "index.docker.io" || a == kDockerHubApiHost) return std::string(kDockerHubDomain);
  return std::string(a);
}

bool CredentialsApplyTo(std::string_view server_address, std::string_view endpoint_host) {
  if (server_address.empty()) return true;
  return NormalizeServerAddress(server_address) == NormalizeServerAddress(endpoint_host);
}

}  // namespace berth::image
