#pragma once
// Records (sandboxes, containers) on disk plus an in-memory copy,
// thread-safe: <dir>/<id>/<file>. Every change is written atomically before
// it is visible in memory, so a crash at any point leaves either the old or
// the new record.

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "storage/base/error.h"
#include "storage/fs.h"
#include "storage/trash.h"

namespace berth::pod {

// 64 random hex digits (getrandom): sandbox and container ids.
std::string NewId();

// T has a std::string `id` and nlohmann to_json/from_json.
template <class T>
class RecordStore {
 public:
  RecordStore(std::string dir, std::string file) : dir_(std::move(dir)), file_(std::move(file)) {}

  // Reads every record; one that cannot be parsed is logged and skipped
  // (a crash between mkdir and the first write leaves a dir without one).
  void Load() {
    storage::MakeDirs(dir_, 0700);
    std::map<std::string, std::shared_ptr<const T>> loaded;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      const std::string path = entry.path().string() + "/" + file_;
      storage::RemoveAtomicWriteLeftovers(entry.path().string());  // a save cut short by a crash
      try {
        T rec = nlohmann::json::parse(storage::ReadFile(path)).get<T>();
        if (rec.id != entry.path().filename().string()) throw std::runtime_error("id " + rec.id + " does not match its dir");
        std::string id = rec.id;
        loaded.emplace(std::move(id), std::make_shared<const T>(std::move(rec)));
      } catch (const std::exception& e) {
        spdlog::warn("record {} skipped: {}", path, e.what());
      }
    }
    std::lock_guard lock(mu_);
    records_ = std::move(loaded);
  }

  void Save(const T& rec) {
    const std::string dir = Dir(rec.id);
    storage::MakeDirs(dir, 0700);
    storage::WriteFileAtomic(dir + "/" + file_, nlohmann::json(rec).dump(2), 0600);
    auto saved = std::make_shared<const T>(rec);
    std::lock_guard lock(mu_);
    records_[rec.id] = std::move(saved);
  }

  // Drops the record and its directory; fine if already gone.
  void Remove(const std::string& id) {
    WithContext("record " + id, [&] { storage::RemoveAll(Dir(id)); });
    storage::SyncDir(dir_);
    std::lock_guard lock(mu_);
    records_.erase(id);
  }

  // Drops the record at once (durably) and leaves its directory, with
  // whatever else it holds, to `trash` (same file system) to delete after.
  void Discard(const std::string& id, storage::Trash& trash) {
    WithContext("record " + id, [&] { trash.Discard(Dir(id), true); });
    std::lock_guard lock(mu_);
    records_.erase(id);
  }

  std::optional<T> Get(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    return *it->second;
  }

  std::vector<T> List() const {
    std::lock_guard lock(mu_);
    std::vector<T> out;
    for (const auto& [id, rec] : records_) out.push_back(*rec);
    return out;
  }

  // Every record, without copying one (a list of hundreds, every second):
  // a Save replaces the pointer in the store, never a record a caller holds.
  std::vector<std::shared_ptr<const T>> Snapshot() const {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(records_.size());
    for (const auto& [id, rec] : records_) out.push_back(rec);
    return out;
  }

  template <class Pred>
  std::vector<std::string> IdsWhere(Pred pred) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [id, rec] : records_) {
      if (pred(*rec)) out.push_back(id);
    }
    return out;
  }

  template <class Pred>
  std::optional<T> FindIf(Pred pred) const {
    std::lock_guard lock(mu_);
    for (const auto& [id, rec] : records_) {
      if (pred(*rec)) return *rec;
    }
    return std::nullopt;
  }

  // The id of the one record whose id is `id_or_prefix` or starts with it
  // (as crictl users type ids); nullopt when none does. A prefix matching
  // several is INVALID_ARGUMENT naming them: it never acts on two objects.
  // `field` names the request field in the message ("StopPodSandbox: pod_sandbox_id").
  std::optional<std::string> Resolve(const std::string& id_or_prefix, const std::string& field) const {
    if (id_or_prefix.empty()) throw InvalidArgument(field + " is required");
    std::lock_guard lock(mu_);
    if (records_.contains(id_or_prefix)) return id_or_prefix;
    std::vector<std::string> matches;
    // The map is ordered: the ids with this prefix are adjacent.
    for (auto it = records_.lower_bound(id_or_prefix); it != records_.end(); ++it) {
      if (it->first.compare(0, id_or_prefix.size(), id_or_prefix) != 0) break;
      matches.push_back(it->first);
    }
    if (matches.empty()) return std::nullopt;
    if (matches.size() == 1) return matches.front();
    std::string named;
    for (size_t i = 0; i < matches.size() && i < 5; ++i) named += (i ? ", " : "") + matches[i];
    if (matches.size() > 5) named += ", ... (" + std::to_string(matches.size()) + " in all)";
    throw InvalidArgument(field + " " + Quoted(id_or_prefix) + " is ambiguous: it is a prefix of " + named);
  }

  std::string Dir(const std::string& id) const { return dir_ + "/" + id; }

 private:
  std::string dir_, file_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const T>> records_;  // immutable once stored
};

}  // namespace berth::pod
