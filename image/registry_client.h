#pragma once
// A client of the distribution API v2 (OCI distribution spec): manifests and
// blobs of one repository, over the endpoints ResolveEndpoints gives (mirrors
// first), with bearer-token and basic authentication, bounded retries with
// backoff on transient failures, and redirects to blob storage.
//
// Errors are berth::Error: UNAUTHENTICATED / PERMISSION_DENIED when a
// registry rejects or requires credentials, NOT_FOUND for a missing manifest
// or blob, UNAVAILABLE when a registry cannot be reached or keeps failing,
// DATA_LOSS when content does not match its digest. A mirror that fails in
// any way falls through to the next endpoint; the error of the last endpoint
// is thrown, naming the failures of the mirrors before it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "image/http.h"
#include "image/reference.h"
#include "image/registry_auth.h"
#include "image/registry_endpoints.h"

namespace berth::image {

struct RegistryClientOptions {
  std::map<std::string, config::Registry> registries;  // config images.registries
  std::string system_ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  int max_attempts = 4;  // per endpoint, for transient failures
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{4000};
  long connect_timeout_seconds = 30;
  long low_speed_time_seconds = 60;
  size_t max_manifest_bytes = 4 << 20;  // the distribution spec's manifest limit
};

struct FetchedManifest {
  std::string body;
  std::string media_type;  // Content-Type as served
  std::string digest;      // of body (sha256, or the reference's algorithm)
  std::string endpoint;    // host that served it
};

struct ManifestHead {
  std::string media_type;
  std::string digest;  // Docker-Content-Digest
  int64_t size = -1;
  std::string endpoint;
};

class RegistryClient {
 public:
  using BlobSink = std::function<void(std::string_view chunk)>;

  explicit RegistryClient(RegistryClientOptions opts = {});

  // The manifest ref names (by its digest if it has one, else its tag). When
  // fetched by digest the body is checked against it.
  FetchedManifest GetManifest(const Reference& ref, const Credentials& creds = {});
  // HEAD of the same: media type, digest and size without the body.
  ManifestHead HeadManifest(const Reference& ref, const Credentials& creds = {});
  // Streams blob `digest` of ref's repository to `sink` (never held whole in
  // memory), resuming with a Range request after a transient failure. Checks
  // the size (when expected_size >= 0) and the digest; returns the size. If
  // this throws, whatever the sink received must be discarded.
  int64_t FetchBlob(const Reference& ref, const std::string& digest, const BlobSink& sink,
                    const Credentials& creds = {}, int64_t expected_size = -1);
  // A small blob (an image config) into memory, checked against its digest.
  std::string GetBlob(const Reference& ref, const std::string& digest, const Credentials& creds = {},
                      size_t max_bytes = 8 << 20);

  const RegistryClientOptions& options() const { return opts_; }

 private:
  struct Call;  // one logical request, tried on each endpoint in turn
  HttpResponse Run(Call& call);
  HttpResponse RunOnEndpoint(Call& call, const Endpoint& e);
  HttpResponse SendFollowingRedirects(HttpRequest req, const Endpoint& e);
  std::string Authenticate(const Call& call, const Endpoint& e, const HttpResponse& challenge_resp);
  std::string FetchToken(const Call& call, const Endpoint& e, const Challenge& c);
  [[noreturn]] void ThrowForStatus(const Call& call, const Endpoint& e, const HttpResponse& resp, bool sent_auth);
  void Backoff(int attempt, const HttpResponse& resp) const;
  HttpRequest BaseRequest(const Endpoint& e, std::string url);
  const std::string& CaBundle(const Endpoint& e);
  std::string Scheme(const Endpoint& e);

  std::string CachedAuth(const std::string& key);
  void CacheAuth(const std::string& key, const std::string& header, std::chrono::seconds ttl);

  RegistryClientOptions opts_;
  std::string user_agent_;
  std::mutex mu_;
  struct CachedHeader {
    std::string header;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, CachedHeader> auth_cache_;  // (host, scope, credentials) → Authorization
  std::map<std::string, std::string> ca_bundles_;   // endpoint host → PEM bundle
  std::map<std::string, bool> plain_http_;          // insecure hosts that answered only over http
};

}  // namespace berth::image
