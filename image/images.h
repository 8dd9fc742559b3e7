#pragma once
// Everything berthd needs for images, built from the config: the blob,
// layer and image stores (config::Layout), the registry client and the
// puller; and the images containers run, as the pod layer needs them.
// Construction checks the stores (crash leftovers and orphans removed).

#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/layout.h"
#include "image/image_store.h"
#include "image/puller.h"
#include "image/registry_client.h"
#include "storage/blob_store.h"
#include "storage/layer_store.h"

namespace berth::image {

// An image as a container runs from it: its record and its layer dirs,
// bottom layer first.
struct RunnableImage {
  ImageRecord record;
  std::vector<std::string> layer_dirs;
};

class Images {
 public:
  explicit Images(const config::Config& cfg);

  // The stored image a CRI reference (name, id, digest) names; NOT_FOUND
  // if absent (containers run only pulled images).
  RunnableImage ForContainer(const std::string& ref);
  // The pause image (config pause.image): pulled when the store lacks it,
  // once for a burst of first pods, and pinned, so RemoveImage cannot take
  // the layers pods run from. Errors keep their code and name the config key.
  RunnableImage ForPause(const std::string& ref);

  storage::BlobStore blobs;
  storage::LayerStore layers;
  ImageStore store;
  RegistryClient client;
  Puller puller;

 private:
  Images(const config::Config& cfg, const config::Layout& layout);
  RunnableImage Runnable(ImageRecord rec) const;
  std::mutex pause_pull_mu_;
};

}  // namespace berth::image
