// PullImage: fetch an image into berth's store; answers the image id.
#include "image/image_cri.h"
#include "server/image_service.h"
#include "server/rpc.h"

namespace berth::server {

grpc::Status ImageService::PullImage(grpc::ServerContext*, const runtime::v1::PullImageRequest* req,
                                     runtime::v1::PullImageResponse* resp) {
  return RunRpc("PullImage", [&] {
    const std::string& ref = req->image().image();
    if (ref.empty()) throw InvalidArgument("PullImage: image.image is empty");
    resp->set_image_ref(images_.puller.Pull(ref, image::FromCri(req->auth())));
  });
}

}  // namespace berth::server
