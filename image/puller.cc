#include "image/puller.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stop_token>
#include <thread>

#include "storage/base/error.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "storage/base/metrics.h"

namespace berth::image {

struct Puller::Target {
  std::string top_digest;            // what the tag points to (index or manifest): the repo digest
  std::vector<std::string> manifests;  // top_digest, then the platform manifest of an index
  std::vector<std::string> blobs;    // manifest blobs, config, layers
  Manifest manifest;                 // the image manifest for this platform
  std::string config_body;
  std::vector<std::string> diff_ids;
};

Puller::Puller(RegistryClient& client, storage::BlobStore& blobs, storage::LayerStore& layers, ImageStore& images,
               int max_parallel_downloads, std::set<std::string> pinned_refs)
    : client_(client),
      blobs_(blobs),
      layers_(layers),
      images_(images),
      max_parallel_(std::max(1, max_parallel_downloads)),
      pinned_refs_(std::move(pinned_refs)) {}

// A manifest by digest: from the blob store when present, else fetched (and stored).
std::string Puller::ManifestBody(const Reference& ref, const std::string& digest, const Credentials& creds,
                                 std::string* media_type) {
  const auto d = storage::Digest::Parse(digest);
  if (blobs_.Has(d)) {
    media_type->clear();  // the body's own mediaType decides
    return blobs_.Read(d);
  }
  FetchedManifest m = client_.GetManifest(ref.WithDigest(digest), creds);
  blobs_.Put(d, m.body);
  *media_type = m.media_type;
  return m.body;
}

Puller::Target Puller::Resolve(const Reference& ref, const Credentials& creds, ImageStore::Protection& guard) {
  Target t;
  std::string body, media_type;
  // Every digest is protected from garbage collection before it is stored.
  if (!ref.digest.empty()) {
    t.top_digest = ref.digest;
    guard.Add({t.top_digest}, {});
    body = ManifestBody(ref, ref.digest, creds, &media_type);
  } else {
    FetchedManifest top = client_.GetManifest(ref, creds);  // the one request a present image costs
    t.top_digest = top.digest;
    body = std::move(top.body);
    media_type = top.media_type;
    guard.Add({t.top_digest}, {});
    blobs_.Put(storage::Digest::Parse(t.top_digest), body);
  }
  t.blobs.push_back(t.top_digest);
  t.manifests.push_back(t.top_digest);
  t.manifest = ParseManifest(body, media_type, ref.String());
  if (t.manifest.kind == ManifestKind::kIndex) {
    const Descriptor& d = SelectPlatform(t.manifest, HostPlatform(), ref.String());
    guard.Add({d.digest}, {});
    body = ManifestBody(ref, d.digest, creds, &media_type);
    t.blobs.push_back(d.digest);
    t.manifests.push_back(d.digest);
    t.manifest = ParseManifest(body, media_type, ref.String() + " (" + d.digest + ")");
    if (t.manifest.kind != ManifestKind::kImage)
      throw InvalidArgument("image " + ref.String() + ": index entry " + d.digest + " is not an image manifest");
  }

  const std::string& config_digest = t.manifest.config.digest;
  const auto cd = storage::Digest::Parse(config_digest);
  guard.Add({config_digest}, {});
  FetchBlob(ref, t.manifest.config, creds);  // shared with concurrent pulls, like the layers
  t.config_body = blobs_.Read(cd);
  t.blobs.push_back(config_digest);
  t.diff_ids = ImageConfig::Parse(t.config_body, ref.String()).DiffIds();
  if (t.diff_ids.size() != t.manifest.layers.size()) {
    throw InvalidArgument("image " + ref.String() + ": manifest has " + std::to_string(t.manifest.layers.size()) +
                          " layers but its config lists " + std::to_string(t.diff_ids.size()) + " diff_ids");
  }
  for (const auto& l : t.manifest.layers) t.blobs.push_back(l.digest);
  guard.Add(t.blobs, {});
  return t;
}

// Ensures blob `d` is in the blob store; concurrent callers share one download.
void Puller::FetchBlob(const Reference& ref, const Descriptor& d, const Credentials& creds) {
  blobs_.Fetch(storage::Digest::Parse(d.digest), d.size, [&](storage::BlobStore::Writer& w) {
    spdlog::debug("pull {}: downloading {} ({} bytes)", ref.String(), d.digest, d.size);
    client_.FetchBlob(ref, d.digest, [&w](std::string_view chunk) { w.Write(chunk); }, creds, d.size);
  });
}

// Up to max_parallel_ threads each download a layer and unpack it into a
// temp dir (layers do not need each other's content to unpack, so a slow one,
// e.g. thousands of small files, overlaps the rest); this thread publishes
// them bottom-up as they become ready.
std::vector<std::string> Puller::FetchAndUnpackLayers(const Reference& ref, const Target& t,
                                                      const Credentials& creds, ImageStore::Protection& guard) {
  const auto& layers = t.manifest.layers;
  std::vector<storage::Digest> chains;  // chains[i]: layer i's chain id; chains[i - 1] its parent
  for (size_t i = 0; i < layers.size(); ++i) {
    chains.push_back(storage::ChainID(i == 0 ? std::nullopt : std::optional(chains.back()),
                                      storage::Digest::Parse(t.diff_ids[i])));
  }
  std::vector<std::string> chain_ids;
  for (const auto& c : chains) chain_ids.push_back(c.String());
  guard.Add({}, chain_ids);  // before they exist, as for blobs

  // Declared before the workers, so those are joined before these go.
  std::vector<std::promise<storage::LayerStore::Prepared>> done(layers.size());
  std::vector<std::future<storage::LayerStore::Prepared>> ready;
  for (auto& p : done) ready.push_back(p.get_future());
  std::atomic<size_t> next{0};
  // Stops the other workers, also one waiting on a layer another pull holds:
  // this pull's prepared layers, which that pull may wait for, go only after
  // the workers are joined.
  std::stop_source cancel;

  auto worker = [&] {
    for (size_t i; (i = next++) < layers.size();) {
      if (cancel.stop_requested()) {
        done[i].set_exception(std::make_exception_ptr(Internal("pull cancelled")));
        continue;
      }
      try {
        FetchBlob(ref, layers[i], creds);
        const auto blob = blobs_.Path(storage::Digest::Parse(layers[i].digest));
        const auto parent = i == 0 ? std::nullopt : std::optional(chains[i - 1]);
        done[i].set_value(layers_.Prepare(blob, storage::Digest::Parse(t.diff_ids[i]), parent, cancel.get_token()));
      } catch (...) {
        cancel.request_stop();
        done[i].set_exception(std::current_exception());
      }
    }
  };
  std::vector<std::jthread> workers;
  const size_t n = std::min<size_t>(static_cast<size_t>(max_parallel_), layers.size());
  for (size_t i = 0; i < n; ++i) workers.emplace_back(worker);

  try {
    for (size_t i = 0; i < layers.size(); ++i) {
      layers_.Publish(ready[i].get());
      spdlog::debug("pull {}: layer {}/{} unpacked ({})", ref.String(), i + 1, layers.size(), chain_ids[i]);
    }
  } catch (...) {
    cancel.request_stop();
    throw;  // the jthreads join on the way out; unpublished layers' temp dirs go with their futures
  }
  return chain_ids;
}

namespace {

struct PullMetrics {
  metrics::HistogramFamily& seconds = metrics::Registry::Global().Histogram(
      "berth_image_pull_duration_seconds", "Time of image pulls that fetched from a registry, by result.", {"result"},
      {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600});
  metrics::CounterFamily& bytes = metrics::Registry::Global().Counter(
      "berth_image_pull_bytes_total", "Compressed bytes of the images pulled (config and layers).", {});
  metrics::CounterFamily& pulls = metrics::Registry::Global().Counter(
      "berth_image_pulls_total", "PullImage calls, by result (present: stored already, no download).", {"result"});
};

PullMetrics& Pulls() {
  static PullMetrics m;
  return m;
}

}  // namespace

std::string Puller::Pull(std::string_view user_ref, const Credentials& creds) {
  try {
    return PullCounted(user_ref, creds);
  } catch (...) {
    Pulls().pulls.Inc({"error"});
    throw;
  }
}

std::string Puller::PullCounted(std::string_view user_ref, const Credentials& creds) {
  const Reference ref = ParseReference(user_ref);
  const auto started = std::chrono::steady_clock::now();
  const std::string repo_digest_of_ref = ref.digest.empty() ? "" : ref.Name() + "@" + ref.digest;
  const std::string tag = ref.tag.empty() ? "" : ref.Name() + ":" + ref.tag;

  // A digest reference to a stored image needs no request at all.
  if (!repo_digest_of_ref.empty()) {
    if (auto rec = images_.Find(repo_digest_of_ref)) {
      Pulls().pulls.Inc({"present"});
      if (tag.empty()) return rec->id;
      rec->repo_tags = {tag};
      return images_.Add(*rec).id;
    }
  }

  ImageRecord stored;
  metrics::CallTimer timer(Pulls().seconds, {});
  try {
    stored = PullNew(ref, tag, creds);
  } catch (...) {
    CollectAfterFailure(ref);
    throw;
  }
  timer.Ok();
  Pulls().pulls.Inc({"ok"});
  Pulls().bytes.Inc({}, static_cast<double>(stored.size));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  spdlog::info("pulled {} as {} ({} layers, {} bytes, {} ms)", ref.String(), stored.id, stored.chain_ids.size(),
               stored.size, ms.count());
  return stored.id;
}

// A failed pull leaves nothing: what it stored that no image names goes.
void Puller::CollectAfterFailure(const Reference& ref) {
  try {
    images_.GarbageCollect();
  } catch (const std::exception& e) {
    spdlog::warn("pull {} failed; cleaning up after it: {}", ref.String(), e.what());
  }
}

ImageRecord Puller::PullNew(const Reference& ref, const std::string& tag, const Credentials& creds) {
  auto guard = images_.Protect();  // released before CollectAfterFailure runs
  Target t = Resolve(ref, creds, guard);
  ImageRecord rec;
  rec.id = t.manifest.config.digest;
  rec.chain_ids = FetchAndUnpackLayers(ref, t, creds, guard);
  if (!tag.empty()) rec.repo_tags.push_back(tag);
  rec.repo_digests.push_back(ref.Name() + "@" + t.top_digest);
  rec.manifest_digests = t.manifests;
  rec.blobs = t.blobs;
  rec.size = static_cast<uint64_t>(t.manifest.config.size);
  for (const auto& l : t.manifest.layers) rec.size += static_cast<uint64_t>(l.size);
  rec.config_json = std::move(t.config_body);
  rec.pinned = pinned_refs_.contains(ref.String()) || (!tag.empty() && pinned_refs_.contains(tag));
  SetUserFromConfig(rec);
  return images_.Add(std::move(rec));
}

}  // namespace berth::image
