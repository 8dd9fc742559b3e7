#pragma once
// Which stored image a user's string names: the one set of rules behind
// ImageStatus, ListImages, RemoveImage, CreateContainer, the pause image and
// the present-image check of a pull. A string may name an image by
//   - its id, "sha256:<64 hex>" or "<64 hex>", also as "@sha256:<hex>" (what
//     users paste after copying an id from `crictl images --digests`);
//   - a tag, "busybox", "busybox:1.36", "127.0.0.1:5000/test/busybox:amd64";
//   - a digest reference "repo@sha256:<hex>" (a tag beside it is ignored, as
//     docker does), where the digest is the one the repository was pulled by
//     (RepoDigests), or any manifest or index the image was reached through
//     in that repository (a tag pulled through a manifest list records the
//     list's digest as repo digest, and the platform manifest's here);
//   - a unique prefix of its id's hex, "sha256:" optional.
// Tried in that order; the first kind that matches wins.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/image_store.h"
#include "image/reference.h"

namespace berth::image {

struct ImageQuery {
  std::string id;                // a full id, "sha256:<64 hex>"; empty if the string is none
  std::string id_prefix;         // hex digits that may begin an id; empty if not hex
  std::optional<Reference> ref;  // the string as a normalized reference, if it is one
  std::string verbatim;          // the string as given (records made by hand match it as a tag)
};

ImageQuery ParseImageQuery(std::string_view s);

enum class MatchKind { kNone, kId, kTag, kDigest, kIdPrefix };

// Whether `rec` is what `q` names by id, tag or digest (prefixes are the
// store's business: they need every record at once). `tag` gets the tag that
// matched.
MatchKind MatchExact(const ImageRecord& rec, const ImageQuery& q, std::string* tag);

// "docker.io/library/busybox" for every repository a record has a tag or a
// repo digest in.
std::vector<std::string> Repositories(const ImageRecord& rec);

// What a container created from `rec` shows as its image (ContainerStatus,
// ListContainers): a tag stays as the user wrote it; an id or a digest shows
// the image's first tag, as CRI-O and containerd do (kubelet creates
// containers by image id and shows this field as the container's image),
// preferring `user_specified` (ImageSpec.user_specified_image, kubelet 1.29+)
// when it is a tag of this image; with no tag, the reference as given.
std::string ContainerImageName(const ImageRecord& rec, MatchKind how, std::string_view given,
                               std::string_view user_specified);

}  // namespace berth::image
