#include "image/image_match.h"

#include <gtest/gtest.h>

namespace berth::image {
namespace {

const std::string kId = "sha256:" + std::string(64, 'a');
const std::string kList = "sha256:" + std::string(64, 'b');
const std::string kManifest = "sha256:" + std::string(64, 'c');
const std::string kRepo = "127.0.0.1:5000/test/busybox";

// An image pulled by tag through a manifest list: the list is its repo digest.
ImageRecord Pulled() {
  ImageRecord r;
  r.id = kId;
  r.repo_tags = {kRepo + ":latest"};
  r.repo_digests = {kRepo + "@" + kList};
  r.manifest_digests = {kList, kManifest};
  return r;
}

MatchKind Match(const ImageRecord& r, std::string_view s, std::string* tag = nullptr) {
  return MatchExact(r, ParseImageQuery(s), tag);
}

TEST(ImageMatch, EveryNameAUserHasForAnImage) {
  const ImageRecord r = Pulled();
  EXPECT_EQ(Match(r, kId), MatchKind::kId);
  EXPECT_EQ(Match(r, kId.substr(7)), MatchKind::kId);
  EXPECT_EQ(Match(r, "@" + kId), MatchKind::kId);
  std::string tag;
  EXPECT_EQ(Match(r, kRepo + ":latest", &tag), MatchKind::kTag);
  EXPECT_EQ(tag, kRepo + ":latest");
  EXPECT_EQ(Match(r, kRepo, &tag), MatchKind::kTag);  // "latest" is implied
  EXPECT_EQ(Match(r, kRepo + "@" + kList), MatchKind::kDigest);
  EXPECT_EQ(Match(r, kRepo + "@" + kManifest), MatchKind::kDigest);      // the platform manifest
  EXPECT_EQ(Match(r, kRepo + ":other@" + kManifest), MatchKind::kDigest);  // a tag beside a digest is ignored
}

TEST(ImageMatch, WhatNamesAnotherImage) {
  const ImageRecord r = Pulled();
  EXPECT_EQ(Match(r, kRepo + ":1.0"), MatchKind::kNone);
  EXPECT_EQ(Match(r, "127.0.0.1:5000/other@" + kManifest), MatchKind::kNone);  // not pulled in that repository
  EXPECT_EQ(Match(r, kRepo + "@" + kId), MatchKind::kNone);                    // the config is no manifest
  EXPECT_EQ(Match(r, "sha256:" + std::string(64, 'd')), MatchKind::kNone);
  EXPECT_EQ(Match(r, ""), MatchKind::kNone);
  EXPECT_EQ(Match(r, "not a reference!"), MatchKind::kNone);
}

TEST(ImageMatch, QueryForms) {
  auto q = ParseImageQuery("@" + kId);
  EXPECT_EQ(q.id, kId);
  EXPECT_FALSE(q.ref);
  q = ParseImageQuery("sha256:abc");
  EXPECT_TRUE(q.id.empty());
  EXPECT_EQ(q.id_prefix, "abc");
  EXPECT_FALSE(q.ref);
  q = ParseImageQuery("cafe");  // a hex prefix and a Docker Hub name both
  EXPECT_EQ(q.id_prefix, "cafe");
  ASSERT_TRUE(q.ref);
  EXPECT_EQ(q.ref->String(), "docker.io/library/cafe:latest");
  q = ParseImageQuery("busybox");
  EXPECT_TRUE(q.id_prefix.empty());
  q = ParseImageQuery(std::string(65, 'a'));
  EXPECT_TRUE(q.id.empty());
  EXPECT_TRUE(q.id_prefix.empty());
}

TEST(ImageMatch, RepositoriesOfARecord) {
  ImageRecord r = Pulled();
  r.repo_tags.push_back("docker.io/library/busybox:1.36");
  EXPECT_EQ(Repositories(r), (std::vector<std::string>{kRepo, "docker.io/library/busybox"}));
}

TEST(ImageMatch, TheImageAContainerShows) {
  ImageRecord r = Pulled();
  r.repo_tags.push_back(kRepo + ":v2");
  // By tag: as the user wrote it.
  EXPECT_EQ(ContainerImageName(r, MatchKind::kTag, "busybox-alias", ""), "busybox-alias");
  // By id or digest: the first tag, or the user's spec when it is a tag of the image.
  EXPECT_EQ(ContainerImageName(r, MatchKind::kId, kId, ""), kRepo + ":latest");
  EXPECT_EQ(ContainerImageName(r, MatchKind::kDigest, kRepo + "@" + kList, ""), kRepo + ":latest");
  EXPECT_EQ(ContainerImageName(r, MatchKind::kId, kId, kRepo + ":v2"), kRepo + ":v2");
  EXPECT_EQ(ContainerImageName(r, MatchKind::kId, kId, "docker.io/library/nginx:1"), kRepo + ":latest");
  // Untagged: the reference as given.
  r.repo_tags.clear();
  EXPECT_EQ(ContainerImageName(r, MatchKind::kIdPrefix, "aaaa", ""), "aaaa");
}

}  // namespace
}  // namespace berth::image
