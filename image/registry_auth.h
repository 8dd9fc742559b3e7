#pragma once
// Registry authentication pieces that need no network: the credentials a
// pull carries, WWW-Authenticate challenge parsing, token requests and
// responses (https://distribution.github.io/distribution/spec/auth/token/).

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::image {

// The CRI AuthConfig of a pull.
struct Credentials {
  std::string username{};
  std::string password{};
  std::string auth{};            // base64("username:password"), used when username is empty
  std::string server_address{};  // the registry these are for; empty: any
  std::string identity_token{};  // OAuth2 refresh token for the token endpoint
  std::string registry_token{};  // a bearer token sent to the registry as is
  bool Empty() const {
    return username.empty() && password.empty() && auth.empty() && identity_token.empty() && registry_token.empty();
  }
  // username and password, from `auth` when username is empty; {"", ""} when none.
  // Throws INVALID_ARGUMENT if `auth` is not base64 of "user:password".
  std::pair<std::string, std::string> UserPassword() const;
  // A key that tells credential sets apart in caches without holding the secrets.
  std::string CacheKey() const;
};

struct Challenge {
  std::string scheme;                         // lowercase: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lowercase: realm, service, scope, error
};

// Parses a WWW-Authenticate header value (one or more challenges).
std::vector<Challenge> ParseChallenges(std::string_view header);

// "Basic base64(user:password)".
std::string BasicAuthorization(std::string_view user, std::string_view password);

std::string Base64Encode(std::string_view data);
// Throws INVALID_ARGUMENT naming `what` if `data` is not base64.
std::string Base64Decode(std::string_view data, std::string_view what);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view s);

// The pull scope of a repository: "repository:<path>:pull".
std::string PullScope(std::string_view path);

// GET URL for a token: realm?service=...&scope=...
std::string TokenUrl(const Challenge& c, std::string_view scope);
// POST form body for an OAuth2 refresh-token grant at the realm.
std::string RefreshTokenForm(const Challenge& c, std::string_view scope, std::string_view refresh_token);

struct Token {
  std::string value;
  std::chrono::seconds expires_in{60};
};
// A token endpoint's JSON answer ("token" or "access_token", "expires_in").
// Throws UNAVAILABLE naming `realm` if it has no token.
Token ParseTokenResponse(std::string_view body, std::string_view realm);

}  // namespace berth::image
