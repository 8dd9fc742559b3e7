#pragma once
// What berth remembers of each pod's CNI ADD (config list, result and the
// attachment parameters), one atomically written file per sandbox, so DEL
// and CHECK use exactly what ADD used, across restarts and config changes.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "network/cni.h"

namespace berth::network {

struct CniCacheEntry {
  nlohmann::json conflist;  // the network config list ADD ran
  nlohmann::json result;    // the final plugin's result
  Attachment attachment;
};

nlohmann::json AttachmentToJson(const Attachment& a);
Attachment AttachmentFromJson(const nlohmann::json& j);

class CniCache {
 public:
  explicit CniCache(std::string dir) : dir_(std::move(dir)) {}

  // <dir>/<container_id>.json; throws berth::Error INVALID_ARGUMENT for an id that is not a plain name.
  std::string PathFor(const std::string& container_id) const;
  void Write(const std::string& container_id, const CniCacheEntry& e) const;  // atomic
  // nullopt if there is no entry; throws berth::Error INTERNAL if it is unreadable.
  std::optional<CniCacheEntry> Read(const std::string& container_id) const;
  void Remove(const std::string& container_id) const;  // fine if absent
  std::vector<std::string> Ids() const;

 private:
  std::string dir_;
};

}  // namespace berth::network
