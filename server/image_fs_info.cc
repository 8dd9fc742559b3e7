// ImageFsInfo: bytes and inodes used by the image layers and by container
// writable layers, with the directories they live in.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "server/image_service.h"
#include "server/rpc.h"

namespace berth::server {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AddUsage(runtime::v1::FilesystemUsage* u, const std::string& dir, const storage::LayerStore::Usage& usage) {
  u->set_timestamp(NowNs());
  u->mutable_fs_id()->set_mountpoint(dir);
  u->mutable_used_bytes()->set_value(usage.bytes);
  u->mutable_inodes_used()->set_value(usage.inodes);
}

// Bytes (allocated blocks) and inodes under dir, hard links counted once.
storage::LayerStore::Usage DirUsage(const std::string& dir) {
  storage::LayerStore::Usage u;
  std::error_code ec;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !seen.insert({st.st_dev, st.st_ino}).second) continue;
    u.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    u.inodes++;
  }
  return u;
}

}  // namespace

grpc::Status ImageService::ImageFsInfo(grpc::ServerContext*, const runtime::v1::ImageFsInfoRequest*,
                                       runtime::v1::ImageFsInfoResponse* resp) {
  return RunRpc("ImageFsInfo", [&] {
    AddUsage(resp->add_image_filesystems(), images_.layers.dir(), images_.layers.DiskUsage());
    const std::string containers = cfg_.root + "/containers";  // writable layers (containers issue)
    AddUsage(resp->add_container_filesystems(), containers, DirUsage(containers));
  });
}

}  // namespace berth::server
