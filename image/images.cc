#include "image/images.h"

#include <spdlog/spdlog.h>

#include "config/layout.h"
#include "image/image_match.h"
#include "image/reference.h"
#include "storage/base/error.h"

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

Images::Images(const config::Config& cfg) : Images(cfg, config::Layout(cfg)) {}

Images::Images(const config::Config& cfg, const config::Layout& layout)
    : blobs(layout.Blobs()),
      layers(layout.Layers()),
      store(layout.Images(), blobs, layers),
      client(ClientOptions(cfg)),
      puller(client, blobs, layers, store, cfg.images.max_parallel_downloads, PinnedRefs(cfg)) {
  blobs.CleanIngest();
  layers.CleanPartial();
  store.Load();  // drops broken records, then removes what no record names
  spdlog::info("image store {}: {} images", cfg.root, store.List().size());
}

RunnableImage Images::Runnable(ImageRecord rec, std::string name) const {
  RunnableImage out;
  out.name = std::move(name);
  for (const auto& chain : rec.chain_ids) out.layer_dirs.push_back(layers.DiffPath(storage::Digest::Parse(chain)));
  out.record = std::move(rec);
  return out;
}

RunnableImage Images::ForContainer(const runtime::v1::ImageSpec& spec) {
  const std::string& ref = spec.image();
  auto m = store.Lookup(ref);
  if (!m) throw NotFound("image " + Quoted(ref) + " not found");
  std::string name = ContainerImageName(m->record, m->how, ref, spec.user_specified_image());
  return Runnable(std::move(m->record), std::move(name));
}

RunnableImage Images::ForPause(const std::string& ref) {
  return WithContext("pause image " + ref + " (config pause.image)", [&] {
    auto rec = store.Find(ref);
    if (!rec) {
      std::lock_guard lock(pause_pull_mu_);
      rec = store.Find(ref);
      if (!rec) {
        spdlog::info("pulling pause image {}", ref);
        puller.Pull(ref, {});
        rec = store.Resolve(ref);
      }
    }
    if (!rec->pinned) {
      rec->pinned = true;
      rec = store.Add(*rec);
    }
    return Runnable(std::move(*rec), ref);
  });
}

}  // namespace berth::image
