#pragma once
// Everything berthd needs for images, built from the config: the blob,
// layer and image stores under <root>, the registry client and the puller.
// Construction checks the stores (crash leftovers and orphans removed).

#include "config/config.h"
#include "image/image_store.h"
#include "image/puller.h"
#include "image/registry_client.h"
#include "storage/blob_store.h"
#include "storage/layer_store.h"

namespace berth::image {

class Images {
 public:
  explicit Images(const config::Config& cfg);

  storage::BlobStore blobs;
  storage::LayerStore layers;
  ImageStore store;
  RegistryClient client;
  Puller puller;
};

}  // namespace berth::image
