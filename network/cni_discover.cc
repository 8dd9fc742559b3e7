// Cni::Discover: the default network, re-read only when the conf dir changed.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "network/cni.h"

namespace berth::network {
namespace {

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

// The dir's mtime changes when a file is added, removed or renamed; a file's
// own mtime (and size) when it is rewritten in place.
std::vector<Cni::FileStamp> Cni::ConfDirStamp() const {
  std::vector<FileStamp> out;
  auto add = [&](const std::string& path) {
    FileStamp s{path};
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      s.mtime_ns = MtimeNs(st);
      s.size = static_cast<int64_t>(st.st_size);
    }
    out.push_back(std::move(s));
  };
  add(conf_dir_);
  std::vector<std::string> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(conf_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext == ".conflist" || ext == ".conf" || ext == ".json") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) add(f);
  return out;
}

CniDiscovery Cni::Discover() {
  std::lock_guard lock(mu_);
  // Cheap path: stat the dir and the files seen last time; re-list and re-parse only on a change.
  bool same = discovered_.has_value() && !stamp_.empty();
  for (size_t i = 0; same && i < stamp_.size(); ++i) {
    struct stat st {};
    const bool exists = ::stat(stamp_[i].path.c_str(), &st) == 0;
    same = exists ? (MtimeNs(st) == stamp_[i].mtime_ns && static_cast<int64_t>(st.st_size) == stamp_[i].size)
                  : stamp_[i].mtime_ns == -1;
  }
  if (same) return *discovered_;
  stamp_ = ConfDirStamp();  // taken before reading, so a change during the read shows next time
  discovered_ = FindDefaultNetwork(conf_dir_);
  return *discovered_;
}

}  // namespace berth::network
