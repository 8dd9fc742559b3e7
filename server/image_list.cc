// ListImages: every image, or the one the filter names.
#include "image/image_cri.h"
#include "server/image_service.h"
#include "server/rpc.h"

namespace berth::server {

grpc::Status ImageService::ListImages(grpc::ServerContext*, const runtime::v1::ListImagesRequest* req,
                                      runtime::v1::ListImagesResponse* resp) {
  return RunRpc("ListImages", [&] {
    const std::string& want = req->filter().image().image();
    if (!want.empty()) {
      if (auto rec = images_.store.Find(want)) image::ToCri(*rec, resp->add_images());
      return;
    }
    for (const auto& rec : images_.store.List()) image::ToCri(rec, resp->add_images());
  });
}

}  // namespace berth::server
