// PullImage: fetch an image into berth's store; answers the image id.
#include "server/image_service.h"
#include "server/rpc.h"

namespace berth::server {
namespace {

image::Credentials FromCri(const runtime::v1::AuthConfig& a) {
  image::Credentials c;
  c.username = a.username();
  c.password = a.password();
  c.auth = a.auth();
  c.server_address = a.server_address();
  c.identity_token = a.identity_token();
  c.registry_token = a.registry_token();
  return c;
}

}  // namespace

grpc::Status ImageService::PullImage(grpc::ServerContext*, const runtime::v1::PullImageRequest* req,
                                     runtime::v1::PullImageResponse* resp) {
  return RunRpc("PullImage", [&] {
    const std::string& ref = req->image().image();
    if (ref.empty()) throw InvalidArgument("PullImage: image.image is empty");
    resp->set_image_ref(images_.puller.Pull(ref, FromCri(req->auth())));
  });
}

}  // namespace berth::server
