#pragma once
// Image manifests, indexes and configs in the OCI image spec and the Docker
// v2 schema 2 formats (their JSON shapes are the same; media types differ),
// and platform selection from an index for the node berthd runs on.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::image {

namespace media_type {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media_type

// The Accept header value for manifest requests: all four formats berth reads.
std::string ManifestAcceptHeader();

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // GOARCH spelling: amd64, arm64, arm, 386, ppc64le, s390x, riscv64
  std::string variant;       // "v8", "v7", ... or empty
  std::string os_version;
  bool operator==(const Platform&) const = default;
  std::string String() const;  // "linux/arm64/v8"
};

// The platform of this node, from uname(2), in GOARCH spelling.
Platform HostPlatform();
// Maps a uname machine ("x86_64", "aarch64", "armv7l", ...) to a platform on linux.
Platform PlatformFromMachine(std::string_view machine);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

enum class ManifestKind { kImage, kIndex };

// One fetched manifest: an image manifest (config + layers) or an index.
struct Manifest {
  ManifestKind kind = ManifestKind::kImage;
  std::string media_type;
  Descriptor config;               // kImage
  std::vector<Descriptor> layers;  // kImage, base layer first
  std::vector<Descriptor> manifests;  // kIndex
  std::map<std::string, std::string> annotations;
};

// Parses a manifest body. `content_type` is the HTTP Content-Type (may be empty
// or generic; the body's mediaType field and shape then decide). `what` names
// the image in errors. Schema 1 is refused with FAILED_PRECONDITION; a body
// that is not a valid manifest is INVALID_ARGUMENT.
Manifest ParseManifest(std::string_view body, std::string_view content_type, std::string_view what);

// The index entry for `want`: same os and architecture, and the best variant
// (exact, else a compatible one: arm/v7 runs v6 and v5; arm64 "" and v8 are the
// same). Throws NOT_FOUND listing the platforms the index has.
const Descriptor& SelectPlatform(const Manifest& index, const Platform& want, std::string_view what);

struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

// An image config: the raw JSON is kept (it is what ImageStatus reports and
// what the image ID hashes) and the fields a runtime needs are typed.
class ImageConfig {
 public:
  // Throws INVALID_ARGUMENT naming `what` if `body` is not a valid image config.
  static ImageConfig Parse(std::string_view body, std::string_view what);

  const nlohmann::json& json() const { return json_; }
  std::string Os() const { return Str(json_, "os"); }
  std::string Architecture() const { return Str(json_, "architecture"); }
  std::string Variant() const { return Str(json_, "variant"); }
  std::string Created() const { return Str(json_, "created"); }
  std::vector<std::string> Entrypoint() const { return Strings("Entrypoint"); }
  std::vector<std::string> Cmd() const { return Strings("Cmd"); }
  std::vector<std::string> Env() const { return Strings("Env"); }
  std::string WorkingDir() const { return Str(Section(), "WorkingDir"); }
  std::string User() const { return Str(Section(), "User"); }
  std::string StopSignal() const { return Str(Section(), "StopSignal"); }
  std::vector<std::string> ExposedPorts() const { return Keys("ExposedPorts"); }  // "80/tcp"
  std::vector<std::string> Volumes() const { return Keys("Volumes"); }            // "/data"
  std::map<std::string, std::string> Labels() const;
  const std::vector<std::string>& DiffIds() const { return diff_ids_; }
  const std::vector<HistoryEntry>& History() const { return history_; }

 private:
  static std::string Str(const nlohmann::json& j, const char* key);
  const nlohmann::json& Section() const;  // the "config" object (or an empty one)
  std::vector<std::string> Strings(const char* key) const;
  std::vector<std::string> Keys(const char* key) const;

  nlohmann::json json_;
  std::vector<std::string> diff_ids_;
  std::vector<HistoryEntry> history_;
};

}  // namespace berth::image
