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
#include "cri/cri.h"
#include "image/image_store.h"
#include "image/puller.h"
#include "image/registry_client.h"
#include "storage/blob_store.h"
#include "storage/layer_store.h"

namespace berth::image {

// An image as a container runs from it: its record, its layer dirs (bottom
// layer first) and the name the container shows (ContainerImageName).
struct RunnableImage {
  ImageRecord record;
  std::vector<std::string> layer_dirs;
  std::string name;
};

class Images {
 public:
  explicit Images(const config::Config& cfg);

  // The stored image a CRI image spec names (image: tag, id, digest;
  // user_specified_image for the name shown); NOT_FOUND if absent
  // (containers run only pulled images).
  RunnableImage ForContainer(const runtime::v1::ImageSpec& spec);
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
  RunnableImage Runnable(ImageRecord rec, std::string name) const;
  std::mutex pause_pull_mu_;
};

}  // namespace berth::image
