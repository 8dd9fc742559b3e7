#include "storage/disk_usage.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <utility>

#include "storage/base/error.h"

namespace berth::storage {
namespace fs = std::filesystem;

DiskUsage DirUsage(const std::string& dir) {
  DiskUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;  // hard-linked inodes, counted once
  auto count = [&](const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;  // removed while walking
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && !seen.emplace(st.st_dev, st.st_ino).second) return;
    usage.inodes++;
    usage.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  };
  std::error_code ec;
  if (!fs::exists(dir, ec)) return usage;
  count(dir);
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw SysError("walk " + dir, ec.value());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    count(it->path().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) throw SysError("walk " + dir, ec.value());
  return usage;
}

}  // namespace berth::storage
