#pragma once
// The CRI ImageService: one file per RPC (image_pull.cc, image_status.cc,
// image_list.cc, image_remove.cc, image_fs_info.cc) over image::Images; the
// containers say which images are in use and what their layers take.

#include <functional>
#include <optional>
#include <string>

#include "cri/cri_grpc.h"
#include "image/images.h"
#include "pod/container_manager.h"
#include "server/unimplemented.h"

namespace berth::server {

class ImageService final : public runtime::v1::ImageService::Service {
 public:
  ImageService(image::Images& images, pod::ContainerManager& containers) : images_(images), containers_(containers) {}

  grpc::Status PullImage(grpc::ServerContext* ctx, const runtime::v1::PullImageRequest* req,
                         runtime::v1::PullImageResponse* resp) override;
  grpc::Status ImageStatus(grpc::ServerContext* ctx, const runtime::v1::ImageStatusRequest* req,
                           runtime::v1::ImageStatusResponse* resp) override;
  grpc::Status ListImages(grpc::ServerContext* ctx, const runtime::v1::ListImagesRequest* req,
                          runtime::v1::ListImagesResponse* resp) override;
  grpc::Status RemoveImage(grpc::ServerContext* ctx, const runtime::v1::RemoveImageRequest* req,
                           runtime::v1::RemoveImageResponse* resp) override;
  grpc::Status ImageFsInfo(grpc::ServerContext* ctx, const runtime::v1::ImageFsInfoRequest* req,
                           runtime::v1::ImageFsInfoResponse* resp) override;
  BERTH_IMAGE_STREAM_UNIMPLEMENTED(BERTH_DECLARE_STREAM)


 private:
  image::Images& images_;
  pod::ContainerManager& containers_;
};

}  // namespace berth::server
