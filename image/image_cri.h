#pragma once
// The CRI view of images, as pod/sandbox_cri.h and pod/container_cri.h are
// of pods and containers: records to CRI messages and back.

#include <string>

#include "cri/cri.h"
#include "image/image_store.h"
#include "image/registry_auth.h"

namespace berth::image {

// ImageStatus and ListImages.
void ToCri(const ImageRecord& rec, runtime::v1::Image* out);
// ImageStatus verbose info: the image config, chain ids and blobs, as JSON.
std::string VerboseInfo(const ImageRecord& rec);
// PullImage's auth.
Credentials FromCri(const runtime::v1::AuthConfig& a);

}  // namespace berth::image
