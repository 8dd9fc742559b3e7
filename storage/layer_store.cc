#include "storage/layer_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "storage/base/error.h"
#include "storage/base/scope.h"
#include "storage/base/unique_fd.h"
#include "storage/fs.h"
#include "storage/disk_usage.h"
#include "storage/layer_unpack.h"

namespace berth::storage {
namespace {
namespace fs = std::filesystem;

constexpr const char* kMeta = "layer.json";

std::string ToJson(const LayerInfo& l) {
  nlohmann::json j{{"chain_id", l.chain_id.String()},
                   {"diff_id", l.diff_id.String()},
                   {"parent", l.parent ? nlohmann::json(l.parent->String()) : nlohmann::json(nullptr)},
                   {"size", l.size}};
  return j.dump(2) + "\n";
}

LayerInfo FromJson(const std::string& text, const std::string& path) {
  try {
    auto j = nlohmann::json::parse(text);
    LayerInfo l;
    l.chain_id = Digest::Parse(j.at("chain_id").get<std::string>());
    l.diff_id = Digest::Parse(j.at("diff_id").get<std::string>());
    if (!j.at("parent").is_null()) l.parent = Digest::Parse(j.at("parent").get<std::string>());
    l.size = j.at("size").get<int64_t>();
    return l;
  } catch (const nlohmann::json::exception& e) {
    throw Internal("layer record " + path + " is corrupt: " + e.what());
  } catch (const Error& e) {
    throw Internal("layer record " + path + " is corrupt: " + e.what());
  }
}

// Flushes the unpacked files before the layer is published, so a crash never
// leaves a layer dir that exists but holds unwritten content.
void SyncFs(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw SysError("open " + dir);
  if (::syncfs(fd.get()) != 0) throw SysError("syncfs " + dir);
}

}  // namespace

Digest ChainID(const std::optional<Digest>& parent, const Digest& diff_id) {
  if (!parent) return diff_id;
  return Digest::Parse(Sha256Of(parent->String() + " " + diff_id.String()));
}

LayerStore::LayerStore(std::string dir) : layers_dir_(std::move(dir)) { MakeDirs(layers_dir_, 0700); }

std::string LayerStore::DiffPath(const Digest& chain_id) const { return layers_dir_ + "/" + chain_id.hex + "/diff"; }

bool LayerStore::Has(const Digest& chain_id) const {
  struct stat st {};
  return ::stat((layers_dir_ + "/" + chain_id.hex + "/" + kMeta).c_str(), &st) == 0;
}

LayerInfo LayerStore::Get(const Digest& chain_id) const {
  const std::string path = layers_dir_ + "/" + chain_id.hex + "/" + kMeta;
  auto text = ReadFileIfExists(path);
  if (!text) throw NotFound("layer " + chain_id.String() + " not found");
  return FromJson(*text, path);
}

LayerStore::Prepared::Prepared(LayerStore* store, LayerInfo info, bool claimed)
    : store_(store), info_(std::move(info)), claimed_(claimed) {}

LayerStore::Prepared::Prepared(Prepared&& o) noexcept
    : store_(o.store_), info_(std::move(o.info_)), tmp_(std::exchange(o.tmp_, {})),
      claimed_(std::exchange(o.claimed_, false)) {}

LayerStore::Prepared& LayerStore::Prepared::operator=(Prepared&& o) noexcept {
  if (this != &o) {
    Release();
    store_ = o.store_;
    info_ = std::move(o.info_);
    tmp_ = std::exchange(o.tmp_, {});
    claimed_ = std::exchange(o.claimed_, false);
  }
  return *this;
}

LayerStore::Prepared::~Prepared() { Release(); }

void LayerStore::Prepared::Release() noexcept {
  if (!tmp_.empty()) {
    try {
      RemoveAll(tmp_);
    } catch (const std::exception& e) {
      spdlog::warn("removing unpublished layer dir {}: {}", tmp_, e.what());
    }
    tmp_.clear();
  }
  if (claimed_) store_->EndClaim(info_.chain_id);
  claimed_ = false;
}

bool LayerStore::Claim(const Digest& chain, std::stop_token stop) {
  std::unique_lock lock(mu_);
  if (!released_.wait(lock, stop, [&] { return !claimed_.contains(chain); })) {
    throw Internal("layer " + chain.String() + ": unpack cancelled while another pull held it");
  }
  if (Has(chain)) return false;
  claimed_.insert(chain);
  return true;
}

void LayerStore::EndClaim(const Digest& chain) noexcept {
  {
    std::lock_guard lock(mu_);
    claimed_.erase(chain);
  }
  released_.notify_all();
}

void LayerStore::RequireParent(const Digest& chain, const std::optional<Digest>& parent) const {
  if (parent && !Has(*parent)) {
    throw FailedPrecondition("layer " + chain.String() + ": parent layer " + parent->String() + " is not unpacked");
  }
}

LayerStore::Prepared LayerStore::Prepare(const std::string& blob_path, const Digest& diff_id,
                                         const std::optional<Digest>& parent, std::stop_token stop) {
  const Digest chain = ChainID(parent, diff_id);
  if (!Claim(chain, std::move(stop))) return Prepared(this, Get(chain), false);
  Prepared p(this, LayerInfo{chain, diff_id, parent, 0}, true);  // ends the claim if the unpack throws
  p.tmp_ = UnpackToTemp(blob_path, p.info_);
  return p;
}

LayerInfo LayerStore::Publish(Prepared layer) {
  const LayerInfo info = layer.info_;
  if (layer.tmp_.empty()) return info;  // stored already
  RequireParent(info.chain_id, info.parent);
  const std::string final_dir = layers_dir_ + "/" + info.chain_id.hex;
  if (::rename(layer.tmp_.c_str(), final_dir.c_str()) != 0) {
    // Only a leftover dir without layer.json can be in the way: the claim
    // keeps every other unpack of this chain id out.
    if (errno != EEXIST && errno != ENOTEMPTY) throw SysError("rename " + layer.tmp_ + " to " + final_dir);
    RemoveDir(final_dir);
    if (::rename(layer.tmp_.c_str(), final_dir.c_str()) != 0) throw SysError("rename " + layer.tmp_ + " to " + final_dir);
  }
  layer.tmp_.clear();
  SyncDir(layers_dir_);
  return info;  // the claim ends as `layer` goes: waiters then find it stored
}

LayerInfo LayerStore::Unpack(const std::string& blob_path, const Digest& diff_id, const std::optional<Digest>& parent) {
  RequireParent(ChainID(parent, diff_id), parent);  // before the work, not only at the publish
  return Publish(Prepare(blob_path, diff_id, parent));
}

std::string LayerStore::UnpackToTemp(const std::string& blob_path, LayerInfo& info) {
  std::string tmpl = layers_dir_ + "/.tmp-" + info.chain_id.hex + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw SysError("mkdtemp for layer " + info.chain_id.String());
  const std::string tmp = tmpl;
  Rollback rb("unpack layer " + info.chain_id.String());
  rb.Add("temp layer dir " + tmp, [tmp] { RemoveAll(tmp); });
  const std::string diff = tmp + "/diff";
  if (::mkdir(diff.c_str(), 0755) != 0) throw SysError("mkdir " + diff);
  UnpackResult r = UnpackLayer(blob_path, diff);
  if (r.diff_id != info.diff_id) {
    throw FailedPrecondition("layer blob " + blob_path + ": uncompressed digest " + r.diff_id.String() +
                             " does not match the image's diff_id " + info.diff_id.String());
  }
  info.size = r.uncompressed_size;
  WriteFileAtomic(tmp + "/" + kMeta, ToJson(info));
  SyncFs(tmp);
  rb.Commit();
  return tmp;
}

std::string LayerStore::TrashDir(const std::string& dir) {
  // Renamed away first: a half-removed layer never looks present.
  std::string doomed = layers_dir_ + "/.rm-" + fs::path(dir).filename().string() + "-XXXXXX";
  if (::mkdtemp(doomed.data()) == nullptr) throw SysError("mkdtemp for removing " + dir);
  const std::string target = doomed + "/layer";
  if (::rename(dir.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::rmdir(doomed.c_str());
    throw SysError("rename " + dir + " to " + target, err);
  }
  SyncDir(layers_dir_);
  return doomed;
}

void LayerStore::RemoveDir(const std::string& dir) {
  const std::string doomed = TrashDir(dir);
  std::error_code ec;
  fs::remove_all(doomed, ec);
  if (ec) throw SysError("remove " + doomed, ec.value());
}

bool LayerStore::Remove(const Digest& chain_id) {
  const std::string dir = layers_dir_ + "/" + chain_id.hex;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw SysError("lstat " + dir);
  }
  RemoveDir(dir);
  return true;
}

std::string LayerStore::MoveToTrash(const Digest& chain_id) {
  const std::string dir = layers_dir_ + "/" + chain_id.hex;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return "";
    throw SysError("lstat " + dir);
  }
  return TrashDir(dir);
}

std::vector<LayerInfo> LayerStore::List() const {
  std::vector<LayerInfo> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(layers_dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (!Digest::Valid("sha256:" + name)) continue;  // temp and removal dirs
    try {
      out.push_back(Get(Digest::Parse("sha256:" + name)));
    } catch (const Error& err) {
      spdlog::warn("layer dir {}: {}", e.path().string(), err.what());
    }
  }
  if (ec) throw SysError("list " + layers_dir_, ec.value());
  return out;
}

void LayerStore::CleanPartial() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(layers_dir_, ec)) {
    const std::string name = e.path().filename().string();
    bool partial = name.starts_with(".tmp-") || name.starts_with(".rm-");
    // A chain dir without layer.json was never published (or was half-removed by hand).
    if (!partial && Digest::Valid("sha256:" + name) && !Has(Digest::Parse("sha256:" + name))) partial = true;
    if (!partial) continue;
    spdlog::info("removing partial layer dir {}", e.path().string());
    std::error_code rm_ec;
    fs::remove_all(e.path(), rm_ec);
    if (rm_ec) throw SysError("remove " + e.path().string(), rm_ec.value());
  }
  if (ec) throw SysError("list " + layers_dir_, ec.value());
}

LayerStore::Usage LayerStore::DiskUsage() const { return DirUsage(layers_dir_); }

}  // namespace berth::storage
