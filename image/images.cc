#include "image/images.h"

#include <spdlog/spdlog.h>

#include "image/reference.h"

namespace berth::image {
namespace {

std::optional<std::string> Normalize(std::string_view s) {
  try {
    return ParseReference(s).String();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::set<std::string> PinnedRefs(const config::Config& cfg) {
  if (cfg.pause.image.empty()) return {};
  auto n = Normalize(cfg.pause.image);
  return n ? std::set<std::string>{*n} : std::set<std::string>{};
}

RegistryClientOptions ClientOptions(const config::Config& cfg) {
  RegistryClientOptions o;
  o.registries = cfg.images.registries;
  return o;
}

}  // namespace

Images::Images(const config::Config& cfg)
    : blobs(cfg.root),
      layers(cfg.root),
      store(cfg.root, blobs, layers, Normalize),
      client(ClientOptions(cfg)),
      puller(client, blobs, layers, store, cfg.images.max_parallel_downloads, PinnedRefs(cfg)) {
  blobs.CleanIngest();
  layers.CleanPartial();
  store.Load();  // drops broken records, then removes what no record names
  spdlog::info("image store {}: {} images", cfg.root, store.List().size());
}

}  // namespace berth::image
