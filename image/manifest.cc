#include "image/manifest.h"

#include <sys/utsname.h>

#include <algorithm>

#include "storage/base/error.h"
#include "image/reference.h"

namespace berth::image {
namespace {

using nlohmann::json;

[[noreturn]] void Bad(std::string_view what, const std::string& why) {
  throw InvalidArgument("manifest of " + std::string(what) + " is not valid: " + why);
}

std::string MediaTypeOnly(std::string_view content_type) {
  std::string_view mt = content_type.substr(0, content_type.find(';'));
  while (!mt.empty() && mt.back() == ' ') mt.remove_suffix(1);
  return std::string(mt);
}

bool IsIndexType(std::string_view mt) { return mt == media_type::kOciIndex || mt == media_type::kDockerManifestList; }
bool IsImageType(std::string_view mt) { return mt == media_type::kOciManifest || mt == media_type::kDockerManifest; }
bool IsSchema1Type(std::string_view mt) {
  return mt == media_type::kDockerSchema1 || mt == media_type::kDockerSchema1Signed;
}

std::map<std::string, std::string> StringMap(const json& j, const std::string& where, std::string_view what) {
  std::map<std::string, std::string> out;
  if (j.is_null()) return out;
  if (!j.is_object()) Bad(what, where + " is not an object");
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) Bad(what, where + "[\"" + k + "\"] is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string OptString(const json& j, const char* key, const std::string& where, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) Bad(what, where + "." + key + " is not a string");
  return it->get<std::string>();
}

Platform ParsePlatform(const json& j, const std::string& where, std::string_view what) {
  if (!j.is_object()) Bad(what, where + " is not an object");
  Platform p;
  p.os = OptString(j, "os", where, what);
  p.architecture = OptString(j, "architecture", where, what);
  p.variant = OptString(j, "variant", where, what);
  p.os_version = OptString(j, "os.version", where, what);
  return p;
}

Descriptor ParseDescriptor(const json& j, const std::string& where, std::string_view what) {
  if (!j.is_object()) Bad(what, where + " is not an object");
  Descriptor d;
  d.media_type = OptString(j, "mediaType", where, what);
  d.digest = OptString(j, "digest", where, what);
  if (!IsValidDigest(d.digest)) Bad(what, where + ".digest \"" + d.digest + "\" is not a valid digest");
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    Bad(what, where + ".size is missing or not a non-negative integer");
  }
  d.size = size->get<int64_t>();
  if (auto urls = j.find("urls"); urls != j.end() && !urls->is_null()) {
    if (!urls->is_array()) Bad(what, where + ".urls is not an array");
    for (const auto& u : *urls) {
      if (!u.is_string()) Bad(what, where + ".urls has a non-string entry");
      d.urls.push_back(u.get<std::string>());
    }
  }
  if (auto a = j.find("annotations"); a != j.end()) d.annotations = StringMap(*a, where + ".annotations", what);
  if (auto p = j.find("platform"); p != j.end() && !p->is_null()) d.platform = ParsePlatform(*p, where + ".platform", what);
  return d;
}

std::vector<Descriptor> ParseDescriptors(const json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) Bad(what, std::string(key) + " is missing or not an array");
  std::vector<Descriptor> out;
  for (size_t i = 0; i < it->size(); ++i) {
    out.push_back(ParseDescriptor((*it)[i], std::string(key) + "[" + std::to_string(i) + "]", what));
  }
  return out;
}

// The media type from the body's mediaType, else the Content-Type, else the shape.
std::string DecideMediaType(const json& j, std::string_view content_type) {
  if (auto mt = j.find("mediaType"); mt != j.end() && mt->is_string() && !mt->get<std::string>().empty()) {
    return mt->get<std::string>();
  }
  std::string ct = MediaTypeOnly(content_type);
  if (IsIndexType(ct) || IsImageType(ct) || IsSchema1Type(ct)) return ct;
  if (j.contains("manifests")) return std::string(media_type::kOciIndex);
  if (j.contains("config") && j.contains("layers")) return std::string(media_type::kOciManifest);
  return ct;
}

// Lower is better; -1: does not run on `want`.
int VariantRank(const Platform& want, const Platform& have) {
  if (have.variant == want.variant) return 0;
  if (want.architecture == "arm64") {
    bool want_v8 = want.variant.empty() || want.variant == "v8";
    bool have_v8 = have.variant.empty() || have.variant == "v8";
    return want_v8 && have_v8 ? 1 : -1;
  }
  if (want.architecture == "arm") {
    // An armv7 CPU runs v6 and v5 binaries; prefer the newest it runs.
    auto level = [](const std::string& v) { return v.size() == 2 && v[0] == 'v' ? v[1] - '0' : 7; };
    int w = level(want.variant), h = level(have.variant);
    return h <= w ? 1 + (w - h) : -1;
  }
  return want.variant.empty() || have.variant.empty() ? 1 : -1;
}

}  // namespace

std::string ManifestAcceptHeader() {
  return std::string(media_type::kOciIndex) + ", " + std::string(media_type::kDockerManifestList) + ", " +
         std::string(media_type::kOciManifest) + ", " + std::string(media_type::kDockerManifest);
}

std::string Platform::String() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Platform PlatformFromMachine(std::string_view m) {
  Platform p{.os = "linux", .architecture = std::string(m), .variant = "", .os_version = ""};
  if (m == "x86_64" || m == "amd64") {
    p.architecture = "amd64";
  } else if (m == "aarch64" || m == "arm64") {
    p.architecture = "arm64";
    p.variant = "v8";
  } else if (m.starts_with("armv") && m.size() >= 5) {
    p.architecture = "arm";
    p.variant = "v" + std::string(1, m[4]);
  } else if (m == "i386" || m == "i486" || m == "i586" || m == "i686") {
    p.architecture = "386";
  } else if (m == "ppc64le" || m == "s390x" || m == "riscv64" || m == "mips64") {
    p.architecture = std::string(m);
  }
  return p;
}

Platform HostPlatform() {
  struct utsname u {};
  if (::uname(&u) != 0) throw SysError("uname");
  return PlatformFromMachine(u.machine);
}

Manifest ParseManifest(std::string_view body, std::string_view content_type, std::string_view what) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) Bad(what, "body is not a JSON object");
  std::string mt = DecideMediaType(j, content_type);
  auto version = j.find("schemaVersion");
  if (IsSchema1Type(mt) || (version != j.end() && *version == 1)) {
    throw FailedPrecondition("image " + std::string(what) +
                             " uses Docker manifest schema 1, which berth does not support; "
                             "push it again with a current client to get a schema 2 or OCI manifest");
  }
  if (version == j.end() || *version != 2) Bad(what, "schemaVersion is not 2");
  Manifest m;
  m.media_type = mt;
  if (auto a = j.find("annotations"); a != j.end()) m.annotations = StringMap(*a, "annotations", what);
  if (IsIndexType(mt)) {
    m.kind = ManifestKind::kIndex;
    m.manifests = ParseDescriptors(j, "manifests", what);
  } else if (IsImageType(mt)) {
    m.kind = ManifestKind::kImage;
    auto c = j.find("config");
    if (c == j.end()) Bad(what, "config is missing");
    m.config = ParseDescriptor(*c, "config", what);
    m.layers = ParseDescriptors(j, "layers", what);
  } else {
    Bad(what, "unsupported media type \"" + mt + "\"");
  }
  return m;
}

const Descriptor& SelectPlatform(const Manifest& index, const Platform& want, std::string_view what) {
  const Descriptor* best = nullptr;
  int best_rank = -1;
  std::string available;
  for (const auto& d : index.manifests) {
    if (!d.platform) continue;
    const Platform& have = *d.platform;
    available += (available.empty() ? "" : ", ") + have.String();
    if (have.os != want.os || have.architecture != want.architecture || !IsImageType(d.media_type)) continue;
    int rank = VariantRank(want, have);
    if (rank >= 0 && (best == nullptr || rank < best_rank)) {
      best = &d;
      best_rank = rank;
    }
  }
  if (best == nullptr) {
    throw NotFound("image " + std::string(what) + " has no manifest for platform " + want.String() +
                   " (the index has: " + (available.empty() ? "no platforms" : available) + ")");
  }
  return *best;
}

ImageConfig ImageConfig::Parse(std::string_view body, std::string_view what) {
  auto bad = [&](const std::string& why) -> Error {
    return InvalidArgument("image config of " + std::string(what) + " is not valid: " + why);
  };
  ImageConfig c;
  c.json_ = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (c.json_.is_discarded() || !c.json_.is_object()) throw bad("not a JSON object");
  if (auto s = c.json_.find("config"); s != c.json_.end() && !s->is_null() && !s->is_object()) {
    throw bad("config is not an object");
  }
  auto rootfs = c.json_.find("rootfs");
  if (rootfs == c.json_.end() || !rootfs->is_object()) throw bad("rootfs is missing");
  if (rootfs->value("type", "") != "layers") throw bad("rootfs.type is not \"layers\"");
  auto ids = rootfs->find("diff_ids");
  if (ids == rootfs->end() || !ids->is_array()) throw bad("rootfs.diff_ids is missing or not an array");
  for (const auto& id : *ids) {
    if (!id.is_string() || !IsValidDigest(id.get<std::string>())) throw bad("rootfs.diff_ids has an invalid digest");
    c.diff_ids_.push_back(id.get<std::string>());
  }
  if (auto h = c.json_.find("history"); h != c.json_.end() && h->is_array()) {
    for (const auto& e : *h) {
      if (!e.is_object()) throw bad("history has a non-object entry");
      c.history_.push_back({Str(e, "created"), Str(e, "created_by"), Str(e, "comment"),
                            e.value("empty_layer", false)});
    }
  }
  // The typed accessors throw on wrong types; check them once here, naming the image.
  try {
    for (const char* key : {"Entrypoint", "Cmd", "Env"}) (void)c.Strings(key);
    (void)c.Labels();
  } catch (const Error& e) {
    throw bad(e.what());
  }
  return c;
}

std::string ImageConfig::Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& ImageConfig::Section() const {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto it = json_.find("config");
  return it != json_.end() && it->is_object() ? *it : kEmpty;
}

std::vector<std::string> ImageConfig::Strings(const char* key) const {
  std::vector<std::string> out;
  auto it = Section().find(key);
  if (it == Section().end() || it->is_null()) return out;
  if (!it->is_array()) throw InvalidArgument(std::string("image config field config.") + key + " is not an array");
  for (const auto& s : *it) {
    if (!s.is_string()) throw InvalidArgument(std::string("image config field config.") + key + " has a non-string");
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::vector<std::string> ImageConfig::Keys(const char* key) const {
  std::vector<std::string> out;
  auto it = Section().find(key);
  if (it == Section().end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) out.push_back(k);
  return out;
}

std::map<std::string, std::string> ImageConfig::Labels() const {
  std::map<std::string, std::string> out;
  auto it = Section().find("Labels");
  if (it == Section().end() || it->is_null()) return out;
  if (!it->is_object()) throw InvalidArgument("image config field config.Labels is not an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) throw InvalidArgument("image config label \"" + k + "\" is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace berth::image
