// RemoveImage: by id deletes the image; by tag untags, deleting the image
// with its last tag. Removing an absent image succeeds (the CRI asks for
// idempotence); an image a container uses, or a pinned one, is kept.
#include "server/image_service.h"
#include "server/rpc.h"

namespace berth::server {

grpc::Status ImageService::RemoveImage(grpc::ServerContext*, const runtime::v1::RemoveImageRequest* req,
                                       runtime::v1::RemoveImageResponse*) {
  return RunRpc("RemoveImage", [&] {
    const std::string& ref = req->image().image();
    if (ref.empty()) throw InvalidArgument("RemoveImage: image.image is empty");
    auto in_use = [this](const std::string& id) { return containers_.ImageInUse(id); };
    if (!images_.store.Remove(ref, in_use)) spdlog::debug("RemoveImage {}: no such image", ref);
  });
}

}  // namespace berth::server
