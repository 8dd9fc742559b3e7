#include "image/image_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "image/image_match.h"
#include "storage/base/error.h"
#include "storage/digest.h"
#include "storage/fs.h"

namespace berth::image {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using storage::Digest;

json ToJson(const ImageRecord& r) {
  return json{{"id", r.id},
              {"repo_tags", r.repo_tags},
              {"repo_digests", r.repo_digests},
              {"manifest_digests", r.manifest_digests},
              {"blobs", r.blobs},
              {"chain_ids", r.chain_ids},
              {"size", r.size},
              {"config", r.config_json},
              {"pinned", r.pinned},
              {"uid", r.uid ? json(*r.uid) : json(nullptr)},
              {"username", r.username}};
}

ImageRecord FromJson(const json& j) {
  ImageRecord r;
  r.id = j.at("id").get<std::string>();
  r.repo_tags = j.at("repo_tags").get<std::vector<std::string>>();
  r.repo_digests = j.at("repo_digests").get<std::vector<std::string>>();
  // Records of berth before manifest_digests: the repo digests' only.
  if (j.contains("manifest_digests")) r.manifest_digests = j.at("manifest_digests").get<std::vector<std::string>>();
  r.blobs = j.at("blobs").get<std::vector<std::string>>();
  r.chain_ids = j.at("chain_ids").get<std::vector<std::string>>();
  r.size = j.at("size").get<uint64_t>();
  r.config_json = j.at("config").get<std::string>();
  r.pinned = j.at("pinned").get<bool>();
  if (!j.at("uid").is_null()) r.uid = j.at("uid").get<int64_t>();
  r.username = j.at("username").get<std::string>();
  return r;
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

bool Erase(std::vector<std::string>& v, std::string_view s) {
  auto it = std::find(v.begin(), v.end(), s);
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

// Every digest and chain id a record needs on disk.
std::vector<std::string> NeededBlobs(const ImageRecord& r) {
  std::vector<std::string> v = r.blobs;
  AddUnique(v, r.id);
  return v;
}

// Deletes what CollectLocked moved to trash (called without the lock). A
// failure is only logged: the trash is out of sight and start-up removes it.
void DeleteTrash(const std::vector<std::string>& trash) {
  for (const auto& path : trash) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) spdlog::warn("delete trash {}: {}", path, ec.message());
  }
}

}  // namespace

void SetUserFromConfig(ImageRecord& rec) {
  rec.uid.reset();
  rec.username.clear();
  json j;
  try {
    j = json::parse(rec.config_json);
  } catch (const json::exception& e) {
    throw InvalidArgument("image config " + rec.id + " is not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("config") || !j["config"].is_object()) return;
  const json& c = j["config"];
  if (!c.contains("User") || !c["User"].is_string()) return;
  std::string user = c["User"].get<std::string>();
  user = user.substr(0, user.find(':'));  // "user:group": the CRI reports the user
  if (user.empty()) return;
  if (std::all_of(user.begin(), user.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) && user.size() < 19) {
    rec.uid = std::stoll(user);
  } else {
    rec.username = user;
  }
}

ImageStore::ImageStore(std::string dir, storage::BlobStore& blobs, storage::LayerStore& layers)
    : images_dir_(std::move(dir)), blobs_(blobs), layers_(layers) {
  storage::MakeDirs(images_dir_, 0700);
}

std::string ImageStore::RecordPath(const std::string& id) const {
  return images_dir_ + "/" + Digest::Parse(id).hex + ".json";
}

void ImageStore::Save(const ImageRecord& rec) { storage::WriteFileAtomic(RecordPath(rec.id), ToJson(rec).dump(2) + "\n", 0600); }

void ImageStore::Load() {
  std::unique_lock lock(mu_);
  images_.clear();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(images_dir_, ec)) {
    const std::string path = e.path().string();
    if (e.path().extension() != ".json") {  // leftover temp file of an interrupted write
      std::error_code rm_ec;
      fs::remove(e.path(), rm_ec);
      continue;
    }
    std::string problem;
    ImageRecord rec;
    try {
      rec = FromJson(json::parse(storage::ReadFile(path)));
      if (!Digest::Valid(rec.id) || RecordPath(rec.id) != path) problem = "id does not match the file name";
    } catch (const std::exception& ex) {
      problem = std::string("unreadable: ") + ex.what();
    }
    for (const auto& b : NeededBlobs(rec)) {
      if (!problem.empty()) break;
      if (!Digest::Valid(b) || !blobs_.Has(Digest::Parse(b))) problem = "blob " + b + " is missing";
    }
    for (const auto& c : rec.chain_ids) {
      if (!problem.empty()) break;
      if (!Digest::Valid(c) || !layers_.Has(Digest::Parse(c))) problem = "layer " + c + " is missing";
    }
    if (!problem.empty()) {
      spdlog::warn("dropping image record {}: {}", path, problem);
      std::error_code rm_ec;
      fs::remove(e.path(), rm_ec);
      continue;
    }
    images_[rec.id] = std::move(rec);
  }
  if (ec) throw SysError("list " + images_dir_, ec.value());
  auto trash = CollectLocked();
  lock.unlock();
  DeleteTrash(trash);
}

ImageRecord ImageStore::Add(ImageRecord rec) {
  Digest::Parse(rec.id);
  for (const auto& b : NeededBlobs(rec)) {
    if (!blobs_.Has(Digest::Parse(b))) throw FailedPrecondition("image " + rec.id + ": blob " + b + " is not stored");
  }
  for (const auto& c : rec.chain_ids) {
    if (!layers_.Has(Digest::Parse(c))) throw FailedPrecondition("image " + rec.id + ": layer " + c + " is not unpacked");
  }
  std::lock_guard lock(mu_);
  // A tag names one image: moving it leaves the other image untagged.
  for (auto& [id, other] : images_) {
    if (id == rec.id) continue;
    bool changed = false;
    for (const auto& t : rec.repo_tags) changed |= Erase(other.repo_tags, t);
    if (changed) Save(other);
  }
  auto it = images_.find(rec.id);
  if (it != images_.end()) {
    ImageRecord merged = std::move(rec);
    for (const auto& t : it->second.repo_tags) AddUnique(merged.repo_tags, t);
    for (const auto& d : it->second.repo_digests) AddUnique(merged.repo_digests, d);
    for (const auto& d : it->second.manifest_digests) AddUnique(merged.manifest_digests, d);
    for (const auto& b : it->second.blobs) AddUnique(merged.blobs, b);
    merged.pinned = merged.pinned || it->second.pinned;
    rec = std::move(merged);
  }
  Save(rec);
  images_[rec.id] = rec;
  return rec;
}

const ImageRecord* ImageStore::FindLocked(std::string_view ref, MatchKind* how, std::string* tag) const {
  MatchKind unused;
  if (!how) how = &unused;
  *how = MatchKind::kNone;
  if (ref.empty()) return nullptr;
  const ImageQuery q = ParseImageQuery(ref);
  if (!q.id.empty()) {
    if (auto it = images_.find(q.id); it != images_.end()) {
      *how = MatchKind::kId;
      return &it->second;
    }
  }
  for (const auto& [id, rec] : images_) {
    if ((*how = MatchExact(rec, q, tag)) != MatchKind::kNone) return &rec;
  }
  if (q.id_prefix.empty()) return nullptr;
  const ImageRecord* found = nullptr;
  for (const auto& [id, rec] : images_) {
    if (!std::string_view(id).substr(7).starts_with(q.id_prefix)) continue;
    if (found) throw InvalidArgument("image id prefix \"" + std::string(ref) + "\" is ambiguous");
    found = &rec;
  }
  if (found) *how = MatchKind::kIdPrefix;
  return found;
}

std::optional<ImageMatch> ImageStore::Lookup(std::string_view ref) const {
  std::lock_guard lock(mu_);
  MatchKind how;
  const ImageRecord* r = FindLocked(ref, &how, nullptr);
  if (!r) return std::nullopt;
  return ImageMatch{*r, how};
}

std::optional<ImageRecord> ImageStore::Find(std::string_view ref) const {
  auto m = Lookup(ref);
  if (!m) return std::nullopt;
  return std::move(m->record);
}

ImageRecord ImageStore::Resolve(std::string_view ref) const {
  auto r = Find(ref);
  if (!r) throw NotFound("image " + Quoted(ref) + " not found");
  return *r;
}

std::vector<ImageRecord> ImageStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<ImageRecord> out;
  for (const auto& [id, rec] : images_) out.push_back(rec);
  return out;
}

void ImageStore::Untag(std::string_view tag) {
  std::lock_guard lock(mu_);
  MatchKind how;
  std::string matched;
  const ImageRecord* r = FindLocked(tag, &how, &matched);
  if (!r || how != MatchKind::kTag) throw NotFound("no image is tagged \"" + std::string(tag) + "\"");
  ImageRecord& rec = images_.at(r->id);
  Erase(rec.repo_tags, matched);
  Save(rec);
}

bool ImageStore::Remove(std::string_view ref, const InUseFn& in_use) {
  std::unique_lock lock(mu_);
  MatchKind how;
  std::string matched;
  const ImageRecord* r = FindLocked(ref, &how, &matched);
  if (!r) return false;
  ImageRecord& rec = images_.at(r->id);
  if (how == MatchKind::kTag && rec.repo_tags.size() > 1) {  // other tags keep the image: only untag
    Erase(rec.repo_tags, matched);
    Save(rec);
    return true;
  }
  if (rec.pinned) throw FailedPrecondition("image " + rec.id + " is pinned and cannot be removed");
  if (in_use) {
    if (auto container = in_use(rec.id)) {
      throw FailedPrecondition("image " + rec.id + " is in use by container " + *container);
    }
  }
  auto trash = Delete(rec.id);
  lock.unlock();
  DeleteTrash(trash);
  return true;
}

std::vector<std::string> ImageStore::Delete(std::string id) {
  const std::string path = RecordPath(id);
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw SysError("remove image record " + path, ec.value());
  storage::SyncDir(images_dir_);
  images_.erase(id);
  spdlog::info("removed image {}", id);
  return CollectLocked();
}

void ImageStore::GarbageCollect() {
  std::unique_lock lock(mu_);
  auto trash = CollectLocked();
  lock.unlock();
  DeleteTrash(trash);
}

std::vector<std::string> ImageStore::CollectLocked() {
  std::set<std::string> blobs, chains;
  for (const auto& [id, rec] : images_) {
    for (const auto& b : NeededBlobs(rec)) blobs.insert(b);
    chains.insert(rec.chain_ids.begin(), rec.chain_ids.end());
  }
  for (const auto& [pid, pins] : protections_) {
    blobs.insert(pins.blobs.begin(), pins.blobs.end());
    chains.insert(pins.chain_ids.begin(), pins.chain_ids.end());
  }
  std::vector<std::string> trash;
  for (const auto& layer : layers_.List()) {
    if (chains.contains(layer.chain_id.String())) continue;
    spdlog::info("removing unreferenced layer {}", layer.chain_id.String());
    if (auto t = layers_.MoveToTrash(layer.chain_id); !t.empty()) trash.push_back(std::move(t));
  }
  for (const auto& d : blobs_.List()) {
    if (blobs.contains(d.String())) continue;
    spdlog::info("removing unreferenced blob {}", d.String());
    if (auto t = blobs_.MoveToTrash(d); !t.empty()) trash.push_back(std::move(t));
  }
  return trash;
}

ImageStore::Protection ImageStore::Protect() {
  std::lock_guard lock(mu_);
  uint64_t id = next_protection_++;
  protections_[id];
  return Protection(this, id);
}

void ImageStore::Protection::Add(const std::vector<std::string>& blobs, const std::vector<std::string>& chain_ids) {
  std::lock_guard lock(store_->mu_);
  auto& pins = store_->protections_[id_];
  pins.blobs.insert(pins.blobs.end(), blobs.begin(), blobs.end());
  pins.chain_ids.insert(pins.chain_ids.end(), chain_ids.begin(), chain_ids.end());
}

ImageStore::Protection::~Protection() {
  if (!store_) return;
  std::lock_guard lock(store_->mu_);
  store_->protections_.erase(id_);
}

}  // namespace berth::image
