// ImageFsInfo: bytes and inodes used by the image layers and by container
// writable layers, with the directories they live in.
#include "server/image_service.h"
#include "server/rpc.h"
#include "storage/base/clock.h"

namespace berth::server {
namespace {

void AddUsage(runtime::v1::FilesystemUsage* u, const std::string& dir, const storage::DiskUsage& usage) {
  u->set_timestamp(NowNs());
  u->mutable_fs_id()->set_mountpoint(dir);
  u->mutable_used_bytes()->set_value(usage.bytes);
  u->mutable_inodes_used()->set_value(usage.inodes);
}

}  // namespace

grpc::Status ImageService::ImageFsInfo(grpc::ServerContext*, const runtime::v1::ImageFsInfoRequest*,
                                       runtime::v1::ImageFsInfoResponse* resp) {
  return RunRpc("ImageFsInfo", [&] {
    AddUsage(resp->add_image_filesystems(), images_.layers.dir(), images_.layers.DiskUsage());
    AddUsage(resp->add_container_filesystems(), containers_.WritableLayerDir(), containers_.WritableLayerUsage());
  });
}

}  // namespace berth::server
