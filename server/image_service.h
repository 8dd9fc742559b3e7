#pragma once
// The CRI ImageService: one file per RPC (image_pull.cc, image_status.cc,
// image_list.cc, image_remove.cc, image_fs_info.cc) over image::Images.

#include <functional>
#include <optional>
#include <string>

#include "config/config.h"
#include "cri/cri.h"
#include "image/images.h"
#include "server/unimplemented.h"

namespace berth::server {

class ImageService final : public runtime::v1::ImageService::Service {
 public:
  ImageService(const config::Config& cfg, image::Images& images) : cfg_(cfg), images_(images) {}

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

  // Tells RemoveImage which container (if any) uses an image; set by the
  // container side once it exists. Unset: no image is in use.
  void set_in_use(image::InUseFn fn) { in_use_ = std::move(fn); }

 private:
  const config::Config& cfg_;
  image::Images& images_;
  image::InUseFn in_use_;
};

// The CRI view of an image record (shared by ImageStatus and ListImages).
void ToCri(const image::ImageRecord& rec, runtime::v1::Image* out);

}  // namespace berth::server
