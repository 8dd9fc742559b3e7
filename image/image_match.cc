#include "image/image_match.h"

#include <algorithm>

#include "storage/fs.h"

namespace berth::image {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// "repo:tag" or "repo@digest" -> "repo" (a port's colon comes before the last slash).
std::string RepoOf(std::string_view name) {
  const size_t at = name.find('@');
  if (at != std::string_view::npos) name = name.substr(0, at);
  const size_t colon = name.rfind(':'), slash = name.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    name = name.substr(0, colon);
  }
  return std::string(name);
}

std::optional<Reference> TryParse(std::string_view s) {
  try {
    return ParseReference(s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

ImageQuery ParseImageQuery(std::string_view s) {
  ImageQuery q;
  q.verbatim = std::string(s);
  std::string_view id = s;
  if (id.starts_with("@sha256:")) id.remove_prefix(1);
  const bool prefixed = id.starts_with("sha256:");
  std::string_view hex = prefixed ? id.substr(7) : id;
  if (!hex.empty() && storage::IsLowerHex(hex) && hex.size() <= 64) {
    if (hex.size() == 64) q.id = "sha256:" + std::string(hex);
    q.id_prefix = std::string(hex);
  }
  if (!prefixed && !s.starts_with('@')) q.ref = TryParse(s);
  return q;
}

MatchKind MatchExact(const ImageRecord& rec, const ImageQuery& q, std::string* tag) {
  if (!q.id.empty() && rec.id == q.id) return MatchKind::kId;
  if (Contains(rec.repo_tags, q.verbatim)) {
    if (tag) *tag = q.verbatim;
    return MatchKind::kTag;
  }
  if (!q.ref) return MatchKind::kNone;
  const Reference& r = *q.ref;
  if (r.digest.empty()) {
    const std::string name = r.Name() + ":" + r.tag;
    if (!Contains(rec.repo_tags, name)) return MatchKind::kNone;
    if (tag) *tag = name;
    return MatchKind::kTag;
  }
  const std::string repo = r.Name();
  if (Contains(rec.repo_digests, repo + "@" + r.digest)) return MatchKind::kDigest;
  if (Contains(rec.manifest_digests, r.digest) && Contains(Repositories(rec), repo)) return MatchKind::kDigest;
  return MatchKind::kNone;
}

std::vector<std::string> Repositories(const ImageRecord& rec) {
  std::vector<std::string> out;
  for (const auto* names : {&rec.repo_tags, &rec.repo_digests}) {
    for (const auto& n : *names) {
      std::string repo = RepoOf(n);
      if (!Contains(out, repo)) out.push_back(std::move(repo));
    }
  }
  return out;
}

std::string ContainerImageName(const ImageRecord& rec, MatchKind how, std::string_view given,
                               std::string_view user_specified) {
  if (how == MatchKind::kTag) return std::string(given);
  if (!user_specified.empty()) {
    std::string tag;
    if (MatchExact(rec, ParseImageQuery(user_specified), &tag) == MatchKind::kTag) return tag;
  }
  if (!rec.repo_tags.empty()) return rec.repo_tags.front();
  return std::string(given);
}

}  // namespace berth::image
