#pragma once
// Image references in the Docker grammar (github.com/distribution/reference):
//   [domain[:port]/]path-component[/path-component...][:tag][@algorithm:hex]
// normalized the way docker and kubelet do it: "busybox" is
// docker.io/library/busybox:latest, "user/x" is docker.io/user/x:latest.

#include <string>
#include <string_view>

namespace berth::image {

inline constexpr std::string_view kDockerHubDomain = "docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";
inline constexpr size_t kMaxNameLength = 255;  // domain + "/" + path

struct Reference {
  std::string domain;  // "docker.io", "quay.io", "127.0.0.1:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // empty when only a digest was given
  std::string digest;  // "sha256:<64 hex>", or empty

  // domain/path, the repository's full name.
  std::string Name() const { return domain + "/" + path; }
  // The fully qualified form: domain/path[:tag][@digest].
  std::string String() const;
  // The short form users type: docker.io and library/ are dropped.
  std::string FamiliarString() const;
  // What to ask the registry for: the digest when there is one, else the tag.
  std::string TagOrDigest() const { return digest.empty() ? tag : digest; }
  // The same repository at `digest` (no tag).
  Reference WithDigest(const std::string& d) const { return {domain, path, "", d}; }

  bool operator==(const Reference&) const = default;
};

// Parses and normalizes `ref`; adds tag "latest" when neither tag nor digest
// is given. Throws berth::Error INVALID_ARGUMENT naming `ref` and what is wrong.
Reference ParseReference(std::string_view ref);

// Validates "algorithm:hex" (sha256: 64, sha384: 96, sha512: 128 lowercase hex).
// Throws berth::Error INVALID_ARGUMENT naming `what` (e.g. "digest of layer 2").
void ValidateDigest(std::string_view digest, std::string_view what);
bool IsValidDigest(std::string_view digest);

// Whether `domain` is a registry "host[:port]" in the reference grammar.
bool IsValidDomain(std::string_view domain);

// The host the distribution API of `domain` answers on (docker.io → registry-1.docker.io).
std::string RegistryApiHost(std::string_view domain);

}  // namespace berth::image
