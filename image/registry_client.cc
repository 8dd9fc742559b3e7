#include "image/registry_client.h"

#include <openssl/evp.h>
#include <strings.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "config/build_info.h"
#include "storage/base/error.h"
#include "image/manifest.h"

namespace berth::image {

// Streaming hash for the algorithm a digest names. OpenSSL EVP directly (not
// storage/digest.h, which only knows sha256) so sha384/sha512 digests verify too.
// Not in an anonymous namespace: RegistryClient::Call holds one.
class DigestHasher {
 public:
  explicit DigestHasher(std::string_view digest) : algorithm_(digest.substr(0, digest.find(':'))), ctx_(EVP_MD_CTX_new()) {
    const EVP_MD* md = algorithm_ == "sha512" ? EVP_sha512() : algorithm_ == "sha384" ? EVP_sha384() : EVP_sha256();
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) throw Internal("EVP_DigestInit_ex failed");
  }
  void Update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }
  std::string Final() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = algorithm_ + ":";
    for (unsigned int i = 0; i < len; ++i) {
      out += kHex[md[i] >> 4];
      out += kHex[md[i] & 15];
    }
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::string algorithm_;
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

namespace {

std::string DigestOf(std::string_view algorithm_of, std::string_view data) {
  DigestHasher h(algorithm_of);
  h.Update(data);
  return h.Final();
}

// " (CODE: message)" from a distribution API error body, or "".
std::string RegistryErrorDetail(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array() || j["errors"].empty()) return "";
  const auto& e = j["errors"][0];
  if (!e.is_object()) return "";
  return " (" + e.value("code", std::string()) + ": " + e.value("message", std::string()) + ")";
}

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

struct RegistryClient::Call {
  Call(const Reference& r, const Credentials& c, std::string m, std::string p, std::string w)
      : ref(r), creds(c), method(std::move(m)), path(std::move(p)), what(std::move(w)) {}

  const Reference& ref;
  const Credentials& creds;
  std::string method;
  std::string path;  // "/v2/<repo>/manifests/<tag>"
  std::vector<std::string> headers;
  std::string what;  // "manifest docker.io/library/busybox:latest"
  size_t max_buffered = 8 << 20;
  // A streamed blob: what reached the sink so far survives retries and endpoints.
  const BlobSink* sink = nullptr;
  std::unique_ptr<DigestHasher> hasher;
  int64_t expected_size = -1;
  int64_t delivered = 0;
  int64_t resume_from = 0;   // Range start of the current request
  int64_t response_pos = 0;  // bytes of the current response seen
  bool sink_failed = false;  // the sink threw: never retried elsewhere
  std::string served_by;

  // Feeds one chunk of a 2xx response, skipping what an earlier attempt delivered.
  void Deliver(long status, std::string_view chunk) {
    try {
      int64_t pos = (status == 206 ? resume_from : 0) + response_pos;
      response_pos += static_cast<int64_t>(chunk.size());
      if (pos < delivered) {
        int64_t skip = std::min<int64_t>(delivered - pos, static_cast<int64_t>(chunk.size()));
        chunk.remove_prefix(static_cast<size_t>(skip));
      }
      if (chunk.empty()) return;
      if (expected_size >= 0 && delivered + static_cast<int64_t>(chunk.size()) > expected_size) {
        throw Error(Code::kDataLoss,
                    what + " is larger than its descriptor's size " + std::to_string(expected_size));
      }
      hasher->Update(chunk);
      (*sink)(chunk);
      delivered += static_cast<int64_t>(chunk.size());
    } catch (...) {
      sink_failed = true;
      throw;
    }
  }
};

RegistryClient::RegistryClient(RegistryClientOptions opts)
    : opts_(std::move(opts)), user_agent_(std::string("berth/") + kVersion) {}

FetchedManifest RegistryClient::GetManifest(const Reference& ref, const Credentials& creds) {
  Call call(ref, creds, "GET", "/v2/" + ref.path + "/manifests/" + ref.TagOrDigest(), "manifest " + ref.String());
  call.headers = {"Accept: " + ManifestAcceptHeader()};
  call.max_buffered = opts_.max_manifest_bytes;
  HttpResponse resp = Run(call);
  FetchedManifest m{std::move(resp.body), resp.Header("content-type"), "", call.served_by};
  m.digest = DigestOf(ref.digest.empty() ? "sha256" : ref.digest, m.body);
  if (!ref.digest.empty() && m.digest != ref.digest) {
    throw Error(Code::kDataLoss, "manifest of " + ref.String() + " served by " + m.endpoint +
                                                 " does not match its digest (got " + m.digest + ")");
  }
  return m;
}

ManifestHead RegistryClient::HeadManifest(const Reference& ref, const Credentials& creds) {
  Call call(ref, creds, "HEAD", "/v2/" + ref.path + "/manifests/" + ref.TagOrDigest(), "manifest " + ref.String());
  call.headers = {"Accept: " + ManifestAcceptHeader()};
  HttpResponse resp = Run(call);
  ManifestHead h{resp.Header("content-type"), resp.Header("docker-content-digest"), -1, call.served_by};
  if (!h.digest.empty() && !IsValidDigest(h.digest)) {
    throw Unavailable("registry " + h.endpoint + " sent an invalid Docker-Content-Digest \"" + h.digest + "\" for " +
                      ref.String());
  }
  if (std::string len = resp.Header("content-length"); !len.empty()) h.size = std::stoll(len);
  return h;
}

int64_t RegistryClient::FetchBlob(const Reference& ref, const std::string& digest, const BlobSink& sink,
                                  const Credentials& creds, int64_t expected_size) {
  ValidateDigest(digest, "blob digest");
  Call call(ref, creds, "GET", "/v2/" + ref.path + "/blobs/" + digest, "blob " + digest + " of " + ref.Name());
  call.sink = &sink;
  call.hasher = std::make_unique<DigestHasher>(digest);
  call.expected_size = expected_size;
  Run(call);
  if (expected_size >= 0 && call.delivered != expected_size) {
    throw Error(Code::kDataLoss, call.what + " from " + call.served_by + " has " +
                                                 std::to_string(call.delivered) + " bytes, its descriptor says " +
                                                 std::to_string(expected_size));
  }
  if (std::string got = call.hasher->Final(); got != digest) {
    throw Error(Code::kDataLoss,
                call.what + " from " + call.served_by + " does not match its digest (got " + got + ")");
  }
  return call.delivered;
}

std::string RegistryClient::GetBlob(const Reference& ref, const std::string& digest, const Credentials& creds,
                                    size_t max_bytes) {
  std::string out;
  FetchBlob(ref, digest, [&](std::string_view chunk) {
    if (out.size() + chunk.size() > max_bytes) {
      throw FailedPrecondition("blob " + digest + " of " + ref.Name() + " is larger than " +
                               std::to_string(max_bytes) + " bytes");
    }
    out.append(chunk);
  }, creds);
  return out;
}

HttpResponse RegistryClient::Run(Call& call) {
  std::vector<Endpoint> endpoints = ResolveEndpoints(call.ref.domain, opts_.registries);
  std::string mirror_failures;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    try {
      HttpResponse resp = RunOnEndpoint(call, endpoints[i]);
      call.served_by = endpoints[i].host;
      return resp;
    } catch (const Error& e) {
      if (call.sink_failed) throw;
      if (i + 1 < endpoints.size()) {
        mirror_failures += (mirror_failures.empty() ? "" : "; ") + std::string(e.what());
        continue;
      }
      if (mirror_failures.empty()) throw;
      throw Error(e.code(), std::string(e.what()) + " (mirrors tried first: " + mirror_failures + ")");
    }
  }
  throw Internal("no endpoints for " + call.ref.domain);  // ResolveEndpoints always gives the registry
}

HttpResponse RegistryClient::RunOnEndpoint(Call& call, const Endpoint& e) {
  static const Credentials kAnonymous;
  const Credentials& creds = CredentialsApplyTo(call.creds.server_address, e.host) ? call.creds : kAnonymous;
  std::string scope = PullScope(call.ref.path);
  std::string cache_base = e.host + "|" + creds.CacheKey() + "|";
  std::string auth;
  if (!creds.registry_token.empty()) {
    auth = "Authorization: Bearer " + creds.registry_token;
  } else {
    auth = CachedAuth(cache_base + scope);
    if (auth.empty()) auth = CachedAuth(cache_base);  // basic auth is not scoped
  }
  bool reauthenticated = false;
  for (int attempt = 1;;) {
    const std::string scheme = Scheme(e);  // this request's: another may flip the host's meanwhile
    HttpRequest req = BaseRequest(e, scheme + "://" + e.host + call.path);
    req.method = call.method;
    req.headers = call.headers;
    req.max_buffered = call.max_buffered;
    if (!auth.empty()) req.headers.push_back(auth);
    if (call.sink) {
      call.resume_from = call.delivered;
      call.response_pos = 0;
      if (call.delivered > 0) req.headers.push_back("Range: bytes=" + std::to_string(call.delivered) + "-");
      req.sink = [&call](long status, std::string_view chunk) { call.Deliver(status, chunk); };
    }
    HttpResponse resp = SendFollowingRedirects(std::move(req), e);
    if (resp.curl_code != 0) {
      if (e.insecure && scheme == "https" && IsTlsCurlError(resp.curl_code)) {
        std::lock_guard lock(mu_);
        plain_http_[e.host] = true;  // an insecure registry without TLS: use plain http from now on
        continue;
      }
      if (resp.body_truncated) throw FailedPrecondition(call.what + " on " + e.host + ": " + resp.curl_error);
      // A mirror that cannot be connected to at all is skipped at once.
      bool retry = IsTransientCurlError(resp.curl_code) && attempt < opts_.max_attempts &&
                   !(e.mirror && IsConnectCurlError(resp.curl_code));
      if (!retry) {
        throw Unavailable("cannot reach registry " + e.host + " for " + call.what + ": " + resp.curl_error);
      }
      Backoff(attempt++, resp);
      continue;
    }
    if (resp.status == 401 && !reauthenticated && creds.registry_token.empty()) {
      auth = Authenticate(call, e, resp);
      reauthenticated = true;
      continue;
    }
    if ((resp.status == 429 || resp.status >= 500) && attempt < opts_.max_attempts) {
      Backoff(attempt++, resp);
      continue;
    }
    if (resp.status >= 200 && resp.status < 300) return resp;
    ThrowForStatus(call, e, resp, !creds.Empty());
  }
}

HttpResponse RegistryClient::SendFollowingRedirects(HttpRequest req, const Endpoint& e) {
  for (int hop = 0; hop < 10; ++hop) {
    HttpResponse resp = HttpPerform(req);
    if (resp.curl_code != 0 || !IsRedirect(resp.status) || resp.redirect_url.empty()) return resp;
    if (UrlOrigin(resp.redirect_url) != UrlOrigin(req.url)) {
      // Another host (blob storage): the registry's credentials stay with the
      // registry, and the registry's "insecure" does not extend to it.
      std::erase_if(req.headers, [](const std::string& h) {
        return h.size() >= 14 && strncasecmp(h.c_str(), "authorization:", 14) == 0;
      });
      req.verify_tls = true;
    }
    if (resp.status == 303 && req.method == "POST") {
      req.method = "GET";
      req.body.clear();
    }
    req.url = resp.redirect_url;
  }
  throw Unavailable("registry " + e.host + " redirected more than 10 times for " + req.url);
}

std::string RegistryClient::Authenticate(const Call& call, const Endpoint& e, const HttpResponse& resp) {
  static const Credentials kAnonymous;
  const Credentials& creds = CredentialsApplyTo(call.creds.server_address, e.host) ? call.creds : kAnonymous;
  std::vector<Challenge> challenges;
  for (auto [it, end] = resp.headers.equal_range("www-authenticate"); it != end; ++it) {
    auto parsed = ParseChallenges(it->second);
    challenges.insert(challenges.end(), parsed.begin(), parsed.end());
  }
  std::string cache_base = e.host + "|" + creds.CacheKey() + "|";
  for (const auto& c : challenges) {
    if (c.scheme != "bearer") continue;
    return "Authorization: Bearer " + FetchToken(call, e, c);
  }
  for (const auto& c : challenges) {
    if (c.scheme != "basic") continue;
    auto [user, password] = creds.UserPassword();
    if (user.empty() && password.empty()) {
      throw Unauthenticated("registry " + e.host + " requires authentication (HTTP basic) for " + call.what +
                            " and no credentials were given for it");
    }
    std::string header = "Authorization: " + BasicAuthorization(user, password);
    CacheAuth(cache_base, header, std::chrono::hours(1));
    return header;
  }
  throw Unauthenticated("registry " + e.host + " answered 401 Unauthorized for " + call.what +
                        " without a Bearer or Basic challenge");
}

std::string RegistryClient::FetchToken(const Call& call, const Endpoint& e, const Challenge& c) {
  static const Credentials kAnonymous;
  const Credentials& creds = CredentialsApplyTo(call.creds.server_address, e.host) ? call.creds : kAnonymous;
  auto realm_it = c.params.find("realm");
  std::string realm = realm_it == c.params.end() ? "" : realm_it->second;
  if (!realm.starts_with("https://") && !realm.starts_with("http://")) {
    throw Unauthenticated("registry " + e.host + " sent a Bearer challenge without a usable realm (\"" + realm + "\")");
  }
  std::string scope = PullScope(call.ref.path);
  HttpRequest req = BaseRequest(e, TokenUrl(c, scope));
  if (UrlOrigin(realm) != Scheme(e) + "://" + e.host) req.verify_tls = true;
  if (!creds.identity_token.empty()) {
    req.method = "POST";
    req.url = realm;
    req.body = RefreshTokenForm(c, scope, creds.identity_token);
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  } else if (auto [user, password] = creds.UserPassword(); !user.empty() || !password.empty()) {
    req.headers.push_back("Authorization: " + BasicAuthorization(user, password));
  }
  for (int attempt = 1;; ++attempt) {
    HttpResponse resp = SendFollowingRedirects(req, e);
    bool transient = resp.curl_code != 0 ? IsTransientCurlError(resp.curl_code)
                                         : resp.status == 429 || resp.status >= 500;
    if (transient && attempt < opts_.max_attempts) {
      Backoff(attempt, resp);
      continue;
    }
    if (resp.curl_code != 0) {
      throw Unavailable("cannot reach the token endpoint " + realm + " of registry " + e.host + ": " + resp.curl_error);
    }
    if (resp.status == 200) {
      Token t = ParseTokenResponse(resp.body, realm);
      std::string header = "Authorization: Bearer " + t.value;
      auto ttl = std::max(t.expires_in - std::chrono::seconds(10), std::chrono::seconds(10));
      CacheAuth(e.host + "|" + creds.CacheKey() + "|" + scope, header, ttl);
      return t.value;
    }
    if (resp.status == 401 || resp.status == 403) {
      throw Unauthenticated(creds.Empty()
                                ? "registry " + e.host + " requires credentials for " + call.what +
                                      ": its token endpoint " + realm + " refused anonymous access"
                                : "registry " + e.host + " rejected the credentials for " + call.what +
                                      ": its token endpoint " + realm + " answered " + std::to_string(resp.status));
    }
    throw Unavailable("token endpoint " + realm + " of registry " + e.host + " answered " +
                      std::to_string(resp.status) + RegistryErrorDetail(resp.body));
  }
}

void RegistryClient::ThrowForStatus(const Call& call, const Endpoint& e, const HttpResponse& resp, bool had_creds) {
  std::string detail = RegistryErrorDetail(resp.body);
  std::string host = "registry " + e.host;
  std::string tries = " after " + std::to_string(opts_.max_attempts) + " attempts";
  switch (resp.status) {
    case 401:
      if (had_creds) throw Unauthenticated(host + " rejected the credentials for " + call.what + " (401)" + detail);
      throw Unauthenticated(host + " requires authentication for " + call.what +
                            " and no credentials were given for it (or the repository does not exist)" + detail);
    case 403:
      throw PermissionDenied(host + " denied access to " + call.what +
                             " (403 Forbidden): credentials missing or not allowed to pull it" + detail);
    case 404:
      throw NotFound(call.what + " not found on " + host + detail);
    case 429:
      throw Unavailable(host + " is rate limiting requests (429 Too Many Requests) for " + call.what + tries);
    default:
      if (resp.status >= 500) {
        throw Unavailable(host + " answered " + std::to_string(resp.status) + " for " + call.what + tries + detail);
      }
      throw FailedPrecondition(host + " answered " + std::to_string(resp.status) + " for " + call.what + detail);
  }
}

void RegistryClient::Backoff(int attempt, const HttpResponse& resp) const {
  auto delay = opts_.initial_backoff * (1 << std::min(attempt - 1, 10));
  if (std::string after = resp.Header("retry-after"); !after.empty() && std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    delay = std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(std::stoll(after.substr(0, 6))));
  }
  std::this_thread::sleep_for(std::min(delay, opts_.max_backoff));
}

HttpRequest RegistryClient::BaseRequest(const Endpoint& e, std::string url) {
  HttpRequest req;
  req.url = std::move(url);
  req.verify_tls = !e.insecure;
  req.ca_bundle = CaBundle(e);
  req.connect_timeout_seconds = opts_.connect_timeout_seconds;
  req.low_speed_time_seconds = opts_.low_speed_time_seconds;
  req.user_agent = user_agent_;
  return req;
}

const std::string& RegistryClient::CaBundle(const Endpoint& e) {
  std::lock_guard lock(mu_);
  auto it = ca_bundles_.find(e.host);
  if (it != ca_bundles_.end()) return it->second;
  std::string bundle;
  if (!e.ca_files.empty()) {
    // The system roots plus the extra CAs: trusting a private CA must not distrust the public ones.
    for (const std::string& path : [&] {
           std::vector<std::string> all{opts_.system_ca_bundle};
           all.insert(all.end(), e.ca_files.begin(), e.ca_files.end());
           return all;
         }()) {
      std::ifstream in(path);
      if (!in) {
        if (path == opts_.system_ca_bundle) continue;  // no system bundle installed: extra CAs only
        throw FailedPrecondition("CA file " + path + " for registry " + e.host + " cannot be read");
      }
      std::stringstream ss;
      ss << in.rdbuf();
      bundle += ss.str();
      bundle += "\n";
    }
  }
  return ca_bundles_.emplace(e.host, std::move(bundle)).first->second;
}

std::string RegistryClient::Scheme(const Endpoint& e) {
  std::lock_guard lock(mu_);
  return plain_http_.contains(e.host) ? "http" : "https";
}

std::string RegistryClient::CachedAuth(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = auth_cache_.find(key);
  if (it == auth_cache_.end()) return "";
  if (std::chrono::steady_clock::now() >= it->second.expires) {
    auth_cache_.erase(it);
    return "";
  }
  return it->second.header;
}

void RegistryClient::CacheAuth(const std::string& key, const std::string& header, std::chrono::seconds ttl) {
  std::lock_guard lock(mu_);
  auth_cache_[key] = {header, std::chrono::steady_clock::now() + ttl};
}

}  // namespace berth::image
