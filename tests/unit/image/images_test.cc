#include "image/images.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "config/layout.h"
#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::image {
namespace {

class ImagesTest : public ::testing::Test {
 protected:
  static config::Config In(const testing::TempDir& dir) {
    config::Config cfg;
    cfg.root = dir / "root";
    cfg.run_root = dir / "run";
    return cfg;
  }
  testing::TempDir dir_;
  const config::Config cfg_ = In(dir_);
  Images images_{cfg_};
};

TEST_F(ImagesTest, TheStoresLiveWhereTheLayoutSays) {
  const config::Layout layout(cfg_);
  Images& images = images_;
  EXPECT_EQ(images.layers.dir(), layout.Layers());
  EXPECT_EQ(images.blobs.dir(), layout.Blobs());
  EXPECT_TRUE(std::filesystem::is_directory(layout.Blobs() + "/sha256"));
  EXPECT_TRUE(std::filesystem::is_directory(layout.Images()));
}

TEST_F(ImagesTest, AContainerRunsOnlyAStoredImage) {
  try {
    runtime::v1::ImageSpec spec;
    spec.set_image("docker.io/library/busybox:latest");
    images_.ForContainer(spec);
    FAIL() << "an image that was never pulled resolved";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kNotFound);
    EXPECT_NE(std::string(e.what()).find("busybox"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace berth::image
