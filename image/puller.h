#pragma once
// Pulls an image into berth's store: manifest (through an index to this
// node's platform), config, then layers downloaded and unpacked in parallel,
// each made visible once the ones below it are. Content already stored is not
// fetched again, so re-pulling a present image costs one manifest request
// (none for a digest reference whose image is stored).

#include <set>
#include <string>
#include <string_view>

#include "image/image_store.h"
#include "image/manifest.h"
#include "image/registry_auth.h"
#include "image/registry_client.h"
#include "storage/blob_store.h"
#include "storage/layer_store.h"

namespace berth::image {

class Puller {
 public:
  Puller(RegistryClient& client, storage::BlobStore& blobs, storage::LayerStore& layers, ImageStore& images,
         int max_parallel_downloads, std::set<std::string> pinned_refs = {});

  // Pulls `ref` (as a user writes it) and returns the image id (config digest).
  // Throws berth::Error (INVALID_ARGUMENT for a bad reference, the registry
  // client's codes for registry failures).
  std::string Pull(std::string_view ref, const Credentials& creds);

 private:
  std::string PullCounted(std::string_view ref, const Credentials& creds);
  struct Target;  // the resolved image manifest and what it names
  ImageRecord PullNew(const Reference& ref, const std::string& tag, const Credentials& creds);
  void CollectAfterFailure(const Reference& ref);
  Target Resolve(const Reference& ref, const Credentials& creds, ImageStore::Protection& guard);
  std::string ManifestBody(const Reference& ref, const std::string& digest, const Credentials& creds,
                           std::string* media_type);
  void FetchBlob(const Reference& ref, const Descriptor& d, const Credentials& creds);
  std::vector<std::string> FetchAndUnpackLayers(const Reference& ref, const Target& t, const Credentials& creds,
                                                ImageStore::Protection& guard);

  RegistryClient& client_;
  storage::BlobStore& blobs_;
  storage::LayerStore& layers_;
  ImageStore& images_;
  int max_parallel_;
  std::set<std::string> pinned_refs_;  // normalized references whose images are pinned
};

}  // namespace berth::image
