#pragma once
// berth's image records: one JSON file per image at <root>/images/<id hex>.json,
// written atomically. An image's id is its config digest. Records name the
// blobs (index/manifest, config, layers) and layers (chain ids) they hold;
// references are derived from the records alone (no refcount files): a blob
// or layer that no record names is garbage and is removed.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/blob_store.h"
#include "storage/layer_store.h"

namespace berth::image {

struct ImageRecord {
  std::string id;                         // config digest, "sha256:<hex>"
  std::vector<std::string> repo_tags;     // "docker.io/library/busybox:latest"
  // "docker.io/library/busybox@sha256:<digest>": the digest each repository
  // was pulled by (a tag's manifest list or manifest, or the digest asked for).
  std::vector<std::string> repo_digests;
  // Every index and image manifest the image was reached through (the
  // platform manifest of a list too): "repo@<any of these>" names the image
  // in its repositories (image_match.h).
  std::vector<std::string> manifest_digests;
  // Every blob this image keeps in the BlobStore: the index and manifest
  // blobs, the config blob (= id) and the compressed layer blobs.
  std::vector<std::string> blobs;
  std::vector<std::string> chain_ids;  // layer chain ids, bottom to top
  // What the CRI reports as the image size: the compressed size, i.e. the
  // sum of the config and layer blob sizes from the manifest (as containerd).
  uint64_t size = 0;
  std::string config_json;  // the image config blob's content
  bool pinned = false;      // never removed by RemoveImage (e.g. the pause image)
  // From the config's User: a numeric user ("1000" or "1000:1000") sets uid,
  // a name sets username; both empty/unset when User is empty.
  std::optional<int64_t> uid;
  std::string username;

  bool operator==(const ImageRecord&) const = default;
};

// Fills uid/username from the "config.User" field of an image config JSON
// (throws INVALID_ARGUMENT if the JSON does not parse).
void SetUserFromConfig(ImageRecord& rec);

// Returns the id of a container using the image, or nullopt if none does.
using InUseFn = std::function<std::optional<std::string>(const std::string& image_id)>;
enum class MatchKind;
// A stored image and how a string named it.
struct ImageMatch {
  ImageRecord record;
  MatchKind how;
};

class ImageStore {
 public:
  // Records live in `dir`.
  ImageStore(std::string dir, storage::BlobStore& blobs, storage::LayerStore& layers);

  // Reads every record (call at start): records whose config blob or layers
  // are missing, or that do not parse, are dropped (file removed) and logged.
  // Then removes blobs and layers no record names (GarbageCollect).
  void Load();

  // Stores a record whose blobs and layers are already in place
  // (FAILED_PRECONDITION naming the first missing one). Tags and repo
  // digests merge into an existing record with the same id; a tag that
  // named another image is moved (the other image stays, untagged).
  // Returns the stored record.
  ImageRecord Add(ImageRecord rec);

  // Finds the image `ref` names by the rules of image_match.h (id, tag,
  // digest reference, unique id prefix). nullopt if nothing matches;
  // INVALID_ARGUMENT if a prefix is ambiguous.
  std::optional<ImageMatch> Lookup(std::string_view ref) const;
  std::optional<ImageRecord> Find(std::string_view ref) const;
  // As Find, but NOT_FOUND naming `ref` when nothing matches.
  ImageRecord Resolve(std::string_view ref) const;
  std::vector<ImageRecord> List() const;

  // Removes one repo tag from the image holding it; NOT_FOUND if none does.
  void Untag(std::string_view tag);

  // CRI RemoveImage: `ref` naming the image by id (or prefix or repo digest)
  // deletes the image; by a tag deletes it only if that is its last tag
  // (otherwise only untags). An image in use (`in_use` names a container)
  // is not deleted: FAILED_PRECONDITION naming the container; a pinned image
  // neither. Deleting drops the record, then layers and blobs no remaining
  // record names. Returns false if `ref` names no image (CRI: not an error).
  bool Remove(std::string_view ref, const InUseFn& in_use);

  // Removes layers and blobs that no record names (and no pull in flight
  // protects: see Protect).
  void GarbageCollect();

  // While the returned guard lives, GarbageCollect keeps these blobs and
  // layers (a pull in progress whose record is not added yet).
  class Protection {
   public:
    Protection(Protection&& o) noexcept : store_(o.store_), id_(o.id_) { o.store_ = nullptr; }
    Protection(const Protection&) = delete;
    Protection& operator=(const Protection&) = delete;
    Protection& operator=(Protection&&) = delete;
    ~Protection();
    // Adds more digests/chain ids to protect as the pull learns them.
    void Add(const std::vector<std::string>& blobs, const std::vector<std::string>& chain_ids);

   private:
    friend class ImageStore;
    Protection(ImageStore* s, uint64_t id) : store_(s), id_(id) {}
    ImageStore* store_;
    uint64_t id_;
  };
  Protection Protect();

 private:
  struct Pins {
    std::vector<std::string> blobs, chain_ids;
  };
  std::string RecordPath(const std::string& id) const;
  void Save(const ImageRecord& rec);
  // Drops the record; returns the trash CollectLocked made. By value: callers
  // pass the id of the record it erases.
  [[nodiscard]] std::vector<std::string> Delete(std::string id);
  // The image `ref` names and how; the tag that matched in `tag`.
  const ImageRecord* FindLocked(std::string_view ref, MatchKind* how, std::string* tag) const;
  // Moves what no record or protection names into trash (renames, cheap) and
  // returns the trash paths, which the caller deletes after unlocking: deleting
  // a large layer takes seconds that must not block every other image RPC.
  [[nodiscard]] std::vector<std::string> CollectLocked();

  std::string images_dir_;
  storage::BlobStore& blobs_;
  storage::LayerStore& layers_;
  mutable std::mutex mu_;
  std::map<std::string, ImageRecord> images_;  // by id
  uint64_t next_protection_ = 0;
  std::map<uint64_t, Pins> protections_;
};

}  // namespace berth::image
