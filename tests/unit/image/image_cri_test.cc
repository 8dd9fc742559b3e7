#include "image/image_cri.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth::image {
namespace {

ImageRecord Record() {
  ImageRecord rec;
  rec.id = "sha256:" + std::string(64, 'a');
  rec.repo_tags = {"docker.io/library/busybox:latest"};
  rec.repo_digests = {"docker.io/library/busybox@sha256:" + std::string(64, 'b')};
  rec.chain_ids = {"sha256:" + std::string(64, 'c')};
  rec.blobs = {rec.id};
  rec.size = 2048;
  rec.config_json = R"({"config":{"User":"1000"}})";
  rec.uid = 1000;
  rec.pinned = true;
  return rec;
}

TEST(ImageCriTest, ARecordAsTheCriReportsIt) {
  runtime::v1::Image out;
  ToCri(Record(), &out);
  EXPECT_EQ(out.id(), Record().id);
  ASSERT_EQ(out.repo_tags_size(), 1);
  EXPECT_EQ(out.repo_tags(0), "docker.io/library/busybox:latest");
  EXPECT_EQ(out.repo_digests(0), Record().repo_digests[0]);
  EXPECT_EQ(out.size(), 2048u);
  EXPECT_EQ(out.uid().value(), 1000);
  EXPECT_EQ(out.username(), "");
  EXPECT_EQ(out.spec().image(), Record().id);
  EXPECT_TRUE(out.pinned());

  ImageRecord named = Record();
  named.uid.reset();
  named.username = "www-data";
  ToCri(named, &out);
  EXPECT_EQ(out.username(), "www-data");
}

TEST(ImageCriTest, VerboseInfoCarriesTheConfigChainIdsAndBlobs) {
  const auto info = nlohmann::json::parse(VerboseInfo(Record()));
  EXPECT_EQ(info["imageSpec"]["config"]["User"], "1000");
  EXPECT_EQ(info["chainIDs"][0], Record().chain_ids[0]);
  EXPECT_EQ(info["blobs"][0], Record().id);
}

TEST(ImageCriTest, PullAuthFromTheCri) {
  runtime::v1::AuthConfig a;
  a.set_username("u");
  a.set_password("p");
  a.set_auth("dTpw");
  a.set_server_address("127.0.0.1:5000");
  a.set_identity_token("id");
  a.set_registry_token("reg");
  const Credentials c = FromCri(a);
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "p");
  EXPECT_EQ(c.auth, "dTpw");
  EXPECT_EQ(c.server_address, "127.0.0.1:5000");
  EXPECT_EQ(c.identity_token, "id");
  EXPECT_EQ(c.registry_token, "reg");
}

}  // namespace
}  // namespace berth::image
