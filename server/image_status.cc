// ImageStatus: one image by id, tag or digest; an absent image is an empty
// answer (not an error), as the CRI asks. Verbose info carries the config.
#include <nlohmann/json.hpp>

#include "server/image_service.h"
#include "server/rpc.h"

namespace berth::server {

void ToCri(const image::ImageRecord& rec, runtime::v1::Image* out) {
  out->set_id(rec.id);
  for (const auto& t : rec.repo_tags) out->add_repo_tags(t);
  for (const auto& d : rec.repo_digests) out->add_repo_digests(d);
  out->set_size(rec.size);
  if (rec.uid) out->mutable_uid()->set_value(*rec.uid);
  out->set_username(rec.username);
  out->mutable_spec()->set_image(rec.id);
  out->set_pinned(rec.pinned);
}

grpc::Status ImageService::ImageStatus(grpc::ServerContext*, const runtime::v1::ImageStatusRequest* req,
                                       runtime::v1::ImageStatusResponse* resp) {
  return RunRpc("ImageStatus", [&] {
    const std::string& ref = req->image().image();
    if (ref.empty()) throw InvalidArgument("ImageStatus: image.image is empty");
    auto rec = images_.store.Find(ref);
    if (!rec) return;
    ToCri(*rec, resp->mutable_image());
    if (req->verbose()) {
      nlohmann::json info = {{"imageSpec", nlohmann::json::parse(rec->config_json, nullptr, false)},
                             {"chainIDs", rec->chain_ids},
                             {"blobs", rec->blobs}};
      (*resp->mutable_info())["info"] = info.dump();
    }
  });
}

}  // namespace berth::server
