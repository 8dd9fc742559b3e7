#include "network/cni_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::network {
using nlohmann::json;
namespace {
constexpr const char* kKind = "berth-cni-cache/v1";
constexpr const char* kSuffix = ".json";
}  // namespace

json AttachmentToJson(const Attachment& a) {
  json pms = json::array();
  for (const auto& p : a.port_mappings)
    pms.push_back({{"protocol", p.protocol}, {"containerPort", p.container_port}, {"hostPort", p.host_port}, {"hostIP", p.host_ip}});
  json j = {{"containerId", a.container_id}, {"netns", a.netns_path}, {"ifname", a.ifname},
            {"podName", a.pod_name},         {"podNamespace", a.pod_namespace}, {"podUid", a.pod_uid},
            {"portMappings", std::move(pms)}};
  if (a.bandwidth) {
    const auto& b = *a.bandwidth;
    j["bandwidth"] = {{"ingressRate", b.ingress_rate}, {"ingressBurst", b.ingress_burst},
                      {"egressRate", b.egress_rate}, {"egressBurst", b.egress_burst}};
  }
  return j;
}

Attachment AttachmentFromJson(const json& j) {
  Attachment a;
  a.container_id = j.at("containerId").get<std::string>();
  a.netns_path = j.value("netns", "");
  a.ifname = j.value("ifname", "eth0");
  a.pod_name = j.value("podName", "");
  a.pod_namespace = j.value("podNamespace", "");
  a.pod_uid = j.value("podUid", "");
  for (const auto& p : j.value("portMappings", json::array())) {
    a.port_mappings.push_back({p.value("protocol", "tcp"), p.value("containerPort", 0), p.value("hostPort", 0),
                               p.value("hostIP", "")});
  }
  if (j.contains("bandwidth")) {
    const auto& b = j["bandwidth"];
    a.bandwidth = Bandwidth{b.value("ingressRate", int64_t{0}), b.value("ingressBurst", int64_t{0}),
                            b.value("egressRate", int64_t{0}), b.value("egressBurst", int64_t{0})};
  }
  return a;
}

std::string CniCache::PathFor(const std::string& id) const {
  const bool plain = !id.empty() && id[0] != '.' &&
                     std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
  if (!plain) throw InvalidArgument("container id '" + id + "' is not usable as a CNI cache file name");
  return dir_ + "/" + id + kSuffix;
}

void CniCache::Write(const std::string& id, const CniCacheEntry& e) const {
  const std::string path = PathFor(id);
  storage::MakeDirs(dir_, 0700);
  json j = {{"kind", kKind}, {"config", e.conflist}, {"result", e.result}, {"attachment", AttachmentToJson(e.attachment)}};
  storage::WriteFileAtomic(path, j.dump(), 0600);
}

std::optional<CniCacheEntry> CniCache::Read(const std::string& id) const {
  const std::string path = PathFor(id);
  const auto found = storage::ReadFileIfExists(path);
  if (!found) return std::nullopt;
  const std::string& text = *found;
  try {
    json j = json::parse(text);
    if (j.value("kind", "") != kKind) throw std::runtime_error("unknown kind");
    return CniCacheEntry{j.at("config"), j.at("result"), AttachmentFromJson(j.at("attachment"))};
  } catch (const std::exception& e) {
    throw Internal("CNI cache file " + path + " is unreadable: " + e.what());
  }
}

void CniCache::Remove(const std::string& id) const {
  const std::string path = PathFor(id);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    throw SysError("unlink " + path);
  }
  storage::SyncDir(dir_);
}

std::vector<std::string> CniCache::Ids() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.ends_with(kSuffix) && name[0] != '.') ids.push_back(name.substr(0, name.size() - std::string(kSuffix).size()));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace berth::network
