// ImageStatus: one image by id, tag or digest; an absent image is an empty
// answer (not an error), as the CRI asks. Verbose info carries the config.
#include "image/image_cri.h"
#include "server/image_service.h"
#include "server/rpc.h"

namespace berth::server {

grpc::Status ImageService::ImageStatus(grpc::ServerContext*, const runtime::v1::ImageStatusRequest* req,
                                       runtime::v1::ImageStatusResponse* resp) {
  return RunRpc("ImageStatus", [&] {
    const std::string& ref = req->image().image();
    if (ref.empty()) throw InvalidArgument("ImageStatus: image.image is empty");
    auto rec = images_.store.Find(ref);
    if (!rec) return;
    image::ToCri(*rec, resp->mutable_image());
    if (req->verbose()) (*resp->mutable_info())["info"] = image::VerboseInfo(*rec);
  });
}

}  // namespace berth::server
