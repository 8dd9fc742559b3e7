#include "image/reference.h"

#include <algorithm>
#include <cctype>

#include "storage/base/error.h"
#include "storage/digest.h"

namespace berth::image {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }

bool HasUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [._] | __ | -+
bool IsPathComponent(std::string_view s) {
  size_t i = 0;
  auto alnum_run = [&] {
    size_t start = i;
    while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool IsDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// host [":" port], host := domain-name | "[" ipv6 "]"
bool IsDomain(std::string_view d) {
  std::string_view host = d;
  if (!d.empty() && d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view v6 = d.substr(1, close - 1);
    if (!std::all_of(v6.begin(), v6.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'; })) {
      return false;
    }
    host = {};
    d.remove_prefix(close + 1);
  } else {
    size_t colon = d.find(':');
    host = d.substr(0, colon);
    d.remove_prefix(colon == std::string_view::npos ? d.size() : colon);
    size_t start = 0;
    while (true) {
      size_t dot = host.find('.', start);
      if (!IsDomainComponent(host.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (d.empty()) return true;  // no port
  if (d.front() != ':' || d.size() == 1) return false;
  return std::all_of(d.begin() + 1, d.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsTag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !IsWordChar(t.front())) return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return IsWordChar(c) || c == '.' || c == '-'; });
}

// Why `digest` is not valid, or "" when it is.
std::string DigestProblem(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos) return "digest has no algorithm (want algorithm:hex)";
  std::string_view alg = digest.substr(0, colon), hex = digest.substr(colon + 1);
  size_t want = 0;
  if (alg == "sha256") {
    want = 64;
  } else if (alg == "sha384") {
    want = 96;
  } else if (alg == "sha512") {
    want = 128;
  } else {
    return "unsupported digest algorithm '" + std::string(alg) + "'";
  }
  if (hex.size() != want || !storage::IsLowerHex(hex)) {
    return alg == "sha256" ? "sha256 digest must be 64 lowercase hex characters"
                           : std::string(alg) + " digest must be " + std::to_string(want) + " lowercase hex characters";
  }
  return "";
}

[[noreturn]] void Invalid(std::string_view ref, const std::string& why) {
  throw InvalidArgument("invalid image reference \"" + std::string(ref) + "\": " + why);
}

// Splits "name" into domain and the repository path the way docker does: the
// first component is a domain when it has a '.' or ':', is "localhost", or has
// an uppercase letter (which a path component cannot have).
std::pair<std::string, std::string> SplitDomain(std::string_view name) {
  size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash);
  if (slash == std::string_view::npos ||
      (first.find_first_of(".:") == std::string_view::npos && first != "localhost" && !HasUpper(first))) {
    return {std::string(kDockerHubDomain), std::string(name)};
  }
  return {std::string(first), std::string(name.substr(slash + 1))};
}

}  // namespace

bool IsValidDomain(std::string_view domain) { return IsDomain(domain); }

bool IsValidDigest(std::string_view digest) { return DigestProblem(digest).empty(); }

void ValidateDigest(std::string_view digest, std::string_view what) {
  std::string why = DigestProblem(digest);
  if (!why.empty()) throw InvalidArgument(std::string(what) + " \"" + std::string(digest) + "\" is invalid: " + why);
}

Reference ParseReference(std::string_view ref) {
  if (ref.empty()) Invalid(ref, "empty reference");
  if (ref.size() == 64 && storage::IsLowerHex(ref)) {
    Invalid(ref, "a 64-character hex string is an image ID, not a reference");
  }
  Reference r;
  std::string_view name = ref;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    r.digest = std::string(name.substr(at + 1));
    name = name.substr(0, at);
    if (std::string why = DigestProblem(r.digest); !why.empty()) Invalid(ref, why);
  }
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && name.find('/', colon) == std::string_view::npos) {
    r.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (!IsTag(r.tag)) Invalid(ref, "invalid tag \"" + r.tag + "\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
  }
  if (name.empty()) Invalid(ref, "no repository name");
  auto [domain, path] = SplitDomain(name);
  if (domain == "index.docker.io") domain = kDockerHubDomain;
  if (domain == kDockerHubDomain && path.find('/') == std::string::npos) path = "library/" + path;
  if (HasUpper(path)) Invalid(ref, "repository name \"" + path + "\" must be lowercase");
  if (!IsDomain(domain)) Invalid(ref, "invalid registry domain \"" + domain + "\"");
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string comp = path.substr(start, slash == std::string::npos ? slash : slash - start);
    if (!IsPathComponent(comp)) {
      Invalid(ref, "invalid repository path component \"" + comp +
                       "\" (want lowercase letters and digits, separated by '.', '_', '__' or '-')");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (domain.size() + 1 + path.size() > kMaxNameLength) {
    Invalid(ref, "repository name longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  r.domain = std::move(domain);
  r.path = std::move(path);
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

std::string Reference::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::FamiliarString() const {
  std::string s;
  if (domain == kDockerHubDomain) {
    constexpr std::string_view kLibrary = "library/";
    bool official = path.starts_with(kLibrary) && path.find('/', kLibrary.size()) == std::string::npos;
    s = official ? path.substr(kLibrary.size()) : path;
  } else {
    s = Name();
  }
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string RegistryApiHost(std::string_view domain) {
  if (domain == kDockerHubDomain) return std::string(kDockerHubApiHost);
  return std::string(domain);
}

}  // namespace berth::image
