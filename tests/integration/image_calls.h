#pragma once
// ImageService calls the integration tests make, failing the test (not
// throwing) when berthd answers with an error.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/berthd_harness.h"

namespace berth::testing {

inline std::vector<runtime::v1::Image> ListImages(Berthd& d) {
  runtime::v1::ListImagesResponse resp;
  auto st = d.images().ListImages(Ctx().get(), {}, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return {resp.images().begin(), resp.images().end()};
}

// Verbose: the info map holds the image config.
inline runtime::v1::ImageStatusResponse ImageStatus(Berthd& d, const std::string& ref) {
  runtime::v1::ImageStatusRequest req;
  req.mutable_image()->set_image(ref);
  req.set_verbose(true);
  runtime::v1::ImageStatusResponse resp;
  auto st = d.images().ImageStatus(Ctx().get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp;
}

inline grpc::Status RemoveImage(Berthd& d, const std::string& ref) {
  runtime::v1::RemoveImageRequest req;
  req.mutable_image()->set_image(ref);
  runtime::v1::RemoveImageResponse resp;
  return d.images().RemoveImage(Ctx().get(), req, &resp);
}

}  // namespace berth::testing
