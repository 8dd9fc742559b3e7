#include "image/image_cri.h"

#include <nlohmann/json.hpp>

namespace berth::image {

void ToCri(const ImageRecord& rec, runtime::v1::Image* out) {
  out->set_id(rec.id);
  for (const auto& t : rec.repo_tags) out->add_repo_tags(t);
  for (const auto& d : rec.repo_digests) out->add_repo_digests(d);
  out->set_size(rec.size);
  if (rec.uid) out->mutable_uid()->set_value(*rec.uid);
  out->set_username(rec.username);
  out->mutable_spec()->set_image(rec.id);
  out->set_pinned(rec.pinned);
}

std::string VerboseInfo(const ImageRecord& rec) {
  const nlohmann::json info = {{"imageSpec", nlohmann::json::parse(rec.config_json, nullptr, false)},
                               {"chainIDs", rec.chain_ids},
                               {"blobs", rec.blobs}};
  return info.dump();
}

Credentials FromCri(const runtime::v1::AuthConfig& a) {
  Credentials c;
  c.username = a.username();
  c.password = a.password();
  c.auth = a.auth();
  c.server_address = a.server_address();
  c.identity_token = a.identity_token();
  c.registry_token = a.registry_token();
  return c;
}

}  // namespace berth::image
