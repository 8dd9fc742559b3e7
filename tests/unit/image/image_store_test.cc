#include "image/image_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>

#include "storage/base/error.h"
#include "tests/support/layer_tar.h"
#include "tests/support/temp_dir.h"

namespace berth::image {
namespace {
namespace fs = std::filesystem;
using storage::Digest;
using storage::Sha256Of;

class ImageStoreTest : public ::testing::Test {
 protected:
  ImageStoreTest() { store_ = std::make_unique<ImageStore>(root() + "/images", blobs_, layers_); }

  std::string root() const { return tmp_.path().string(); }

  // Stores an image with one layer unique to it plus a shared base layer.
  ImageRecord MakeImage(const std::string& name, const std::vector<std::string>& tags) {
    std::string base_tar = testing::MakeTar({testing::File("base", "shared")});
    std::string own_tar = testing::MakeTar({testing::File("own", name)});
    Digest base_diff = Digest::Parse(Sha256Of(base_tar)), own_diff = Digest::Parse(Sha256Of(own_tar));
    std::string base_gz = testing::Gzip(base_tar), own_gz = testing::Gzip(own_tar);
    Digest base_blob = Digest::Parse(Sha256Of(base_gz)), own_blob = Digest::Parse(Sha256Of(own_gz));
    blobs_.Put(base_blob, base_gz);
    blobs_.Put(own_blob, own_gz);
    auto l0 = layers_.Unpack(blobs_.Path(base_blob), base_diff, std::nullopt);
    auto l1 = layers_.Unpack(blobs_.Path(own_blob), own_diff, l0.chain_id);
    std::string config = R"({"config":{"User":"1000:1000"},"rootfs":{"type":"layers","diff_ids":[")" +
                         base_diff.String() + R"(",")" + own_diff.String() + R"("]},"name":")" + name + R"("})";
    Digest config_digest = Digest::Parse(Sha256Of(config));
    blobs_.Put(config_digest, config);
    std::string manifest = R"({"schemaVersion":2,"config":")" + config_digest.String() + R"("})";
    Digest manifest_digest = Digest::Parse(Sha256Of(manifest));
    blobs_.Put(manifest_digest, manifest);

    ImageRecord rec;
    rec.id = config_digest.String();
    rec.repo_tags = tags;
    rec.repo_digests = {"docker.io/library/" + name + "@" + manifest_digest.String()};
    rec.blobs = {manifest_digest.String(), config_digest.String(), base_blob.String(), own_blob.String()};
    rec.chain_ids = {l0.chain_id.String(), l1.chain_id.String()};
    rec.size = config.size() + base_gz.size() + own_gz.size();
    rec.config_json = config;
    SetUserFromConfig(rec);
    return rec;
  }

  static InUseFn NotInUse() {
    return [](const std::string&) { return std::optional<std::string>(); };
  }

  testing::TempDir tmp_;
  storage::BlobStore blobs_{root() + "/blobs"};
  storage::LayerStore layers_{root() + "/layers"};
  std::unique_ptr<ImageStore> store_;
};

TEST_F(ImageStoreTest, AddPersistsAndResolvesEveryWay) {
  ImageRecord rec = store_->Add(MakeImage("busybox", {"docker.io/library/busybox:latest"}));
  EXPECT_EQ(rec.uid, 1000);
  EXPECT_TRUE(fs::exists(tmp_ / ("images/" + Digest::Parse(rec.id).hex + ".json")));
  const std::string hex = Digest::Parse(rec.id).hex;
  for (const std::string& ref : {rec.id, hex, hex.substr(0, 12), "sha256:" + hex.substr(0, 8),
                                 std::string("docker.io/library/busybox:latest"), std::string("busybox"),
                                 std::string("busybox:latest"), rec.repo_digests[0],
                                 std::string("docker.io/library/busybox:latest@") + rec.repo_digests[0].substr(
                                     rec.repo_digests[0].find('@') + 1)}) {
    auto found = store_->Find(ref);
    ASSERT_TRUE(found) << ref;
    EXPECT_EQ(found->id, rec.id) << ref;
  }
  EXPECT_FALSE(store_->Find("alpine"));
  try {
    store_->Resolve("alpine");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kNotFound);
    EXPECT_NE(std::string(e.what()).find("alpine"), std::string::npos);
  }

  ImageStore reloaded(root() + "/images", blobs_, layers_);
  reloaded.Load();
  ASSERT_EQ(reloaded.List().size(), 1u);
  EXPECT_EQ(reloaded.List()[0], rec);
}

TEST_F(ImageStoreTest, AmbiguousPrefixIsRejected) {
  // Ids are random-ish: find two sharing a first hex digit by making several images.
  std::map<char, std::vector<std::string>> by_first;
  for (int i = 0; i < 20; ++i) {
    ImageRecord r = store_->Add(MakeImage("img" + std::to_string(i), {}));
    by_first[Digest::Parse(r.id).hex[0]].push_back(r.id);
  }
  for (const auto& [c, ids] : by_first) {
    if (ids.size() < 2) continue;
    try {
      store_->Find(std::string(1, c));
      ADD_FAILURE() << "ambiguous prefix resolved";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kInvalidArgument);
    }
    return;
  }
  FAIL() << "no two of 20 ids share a first digit";
}

TEST_F(ImageStoreTest, TagMovesToTheNewImage) {
  ImageRecord old_img = store_->Add(MakeImage("v1", {"docker.io/library/app:latest", "docker.io/library/app:1"}));
  ImageRecord new_img = store_->Add(MakeImage("v2", {"docker.io/library/app:latest"}));
  EXPECT_EQ(store_->Resolve("app").id, new_img.id);
  ImageRecord old_now = store_->Resolve(old_img.id);
  EXPECT_EQ(old_now.repo_tags, std::vector<std::string>{"docker.io/library/app:1"});
  // Moving the last tag leaves the old image untagged but present.
  store_->Add(MakeImage("v2", {"docker.io/library/app:1"}));
  EXPECT_TRUE(store_->Resolve(old_img.id).repo_tags.empty());
  EXPECT_EQ(store_->Resolve(new_img.id).repo_tags.size(), 2u);
  // Re-adding merges digests and tags instead of replacing.
  EXPECT_EQ(store_->Resolve(new_img.id).repo_digests.size(), 1u);
  ImageStore reloaded(root() + "/images", blobs_, layers_);
  reloaded.Load();
  EXPECT_TRUE(reloaded.Resolve(old_img.id).repo_tags.empty());
}

TEST_F(ImageStoreTest, RemoveByTagUntagsUntilTheLastReference) {
  ImageRecord rec = store_->Add(MakeImage("app", {"docker.io/library/app:a", "docker.io/library/app:b"}));
  EXPECT_TRUE(store_->Remove("app:a", NotInUse()));
  EXPECT_EQ(store_->Resolve(rec.id).repo_tags, std::vector<std::string>{"docker.io/library/app:b"});
  EXPECT_TRUE(store_->Remove("app:b", NotInUse()));
  EXPECT_FALSE(store_->Find(rec.id));
  EXPECT_FALSE(store_->Remove("app:b", NotInUse()));  // absent: not an error
  EXPECT_TRUE(blobs_.List().empty());
  EXPECT_TRUE(layers_.List().empty());
  EXPECT_TRUE(fs::is_empty(tmp_ / "images"));
}

TEST_F(ImageStoreTest, RemoveByIdDeletesDespiteTags) {
  ImageRecord rec = store_->Add(MakeImage("app", {"docker.io/library/app:a", "docker.io/library/app:b"}));
  EXPECT_TRUE(store_->Remove(Digest::Parse(rec.id).hex.substr(0, 12), NotInUse()));
  EXPECT_TRUE(store_->List().empty());
}

TEST_F(ImageStoreTest, UntagLeavesTheImage) {
  ImageRecord rec = store_->Add(MakeImage("app", {"docker.io/library/app:a"}));
  store_->Untag("app:a");
  EXPECT_TRUE(store_->Resolve(rec.id).repo_tags.empty());
  EXPECT_THROW(store_->Untag("app:a"), Error);
}

TEST_F(ImageStoreTest, InUseAndPinnedImagesStay) {
  ImageRecord used = store_->Add(MakeImage("used", {"docker.io/library/used:latest"}));
  ImageRecord pin = MakeImage("pause", {"docker.io/library/pause:latest"});
  pin.pinned = true;
  store_->Add(pin);
  try {
    store_->Remove("used", [&](const std::string& id) {
      return id == used.id ? std::optional<std::string>("ctr-123") : std::nullopt;
    });
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("ctr-123"), std::string::npos) << e.what();
  }
  EXPECT_THROW(store_->Remove(pin.id, NotInUse()), Error);
  EXPECT_EQ(store_->List().size(), 2u);
}

TEST_F(ImageStoreTest, DeleteKeepsSharedLayersAndBlobs) {
  ImageRecord a = store_->Add(MakeImage("a", {"docker.io/library/a:latest"}));
  ImageRecord b = store_->Add(MakeImage("b", {"docker.io/library/b:latest"}));
  ASSERT_EQ(a.chain_ids[0], b.chain_ids[0]);  // same base layer
  EXPECT_EQ(layers_.List().size(), 3u);
  store_->Remove("a", NotInUse());
  EXPECT_EQ(layers_.List().size(), 2u);
  EXPECT_TRUE(layers_.Has(Digest::Parse(b.chain_ids[0])));
  EXPECT_FALSE(layers_.Has(Digest::Parse(a.chain_ids[1])));
  EXPECT_EQ(blobs_.List().size(), b.blobs.size());
  for (const auto& blob : b.blobs) EXPECT_TRUE(blobs_.Has(Digest::Parse(blob))) << blob;
}

TEST_F(ImageStoreTest, LoadDropsBrokenRecordsAndCollectsOrphans) {
  ImageRecord keep = store_->Add(MakeImage("keep", {"docker.io/library/keep:latest"}));
  ImageRecord broken = store_->Add(MakeImage("broken", {"docker.io/library/broken:latest"}));
  layers_.Remove(Digest::Parse(broken.chain_ids[1]));  // its own layer vanished
  blobs_.Put(Digest::Parse(Sha256Of("orphan")), "orphan");
  tmp_.Write("images/garbage.json.tmp-123456", "{");

  ImageStore reloaded(root() + "/images", blobs_, layers_);
  reloaded.Load();
  ASSERT_EQ(reloaded.List().size(), 1u);
  EXPECT_EQ(reloaded.List()[0].id, keep.id);
  EXPECT_FALSE(blobs_.Has(Digest::Parse(Sha256Of("orphan"))));
  EXPECT_FALSE(blobs_.Has(Digest::Parse(broken.id)));
  EXPECT_EQ(blobs_.List().size(), keep.blobs.size());
  EXPECT_EQ(layers_.List().size(), 2u);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ / "images"), fs::directory_iterator{}), 1);
}

TEST_F(ImageStoreTest, RemoveLeavesNoTrashAndCrashLeftTrashGoesAtStart) {
  ImageRecord a = store_->Add(MakeImage("a", {"docker.io/library/a:latest"}));
  store_->Remove("a", NotInUse());
  EXPECT_TRUE(fs::is_empty(tmp_ / "blobs/trash"));
  EXPECT_TRUE(fs::is_empty(tmp_ / "layers"));

  // A crash between moving to trash and deleting it: the trash is all that stays.
  ImageRecord b = store_->Add(MakeImage("b", {"docker.io/library/b:latest"}));
  const std::string layer_trash = layers_.MoveToTrash(Digest::Parse(b.chain_ids[1]));
  const std::string blob_trash = blobs_.MoveToTrash(Digest::Parse(b.blobs[0]));
  ASSERT_TRUE(fs::exists(layer_trash));
  ASSERT_TRUE(fs::exists(blob_trash));
  EXPECT_EQ(layers_.List().size(), 1u);  // the trashed layer is out of sight

  // Start-up as berthd does it (image/images.cc).
  storage::BlobStore blobs(root() + "/blobs");
  storage::LayerStore layers(root() + "/layers");
  blobs.CleanIngest();
  layers.CleanPartial();
  ImageStore reloaded(root() + "/images", blobs, layers);
  reloaded.Load();
  EXPECT_FALSE(fs::exists(layer_trash));
  EXPECT_FALSE(fs::exists(blob_trash));
  EXPECT_TRUE(reloaded.List().empty());  // b lost a layer and a blob: dropped
  EXPECT_TRUE(fs::is_empty(tmp_ / "blobs/trash"));
  EXPECT_TRUE(fs::is_empty(tmp_ / "blobs/sha256"));
  EXPECT_TRUE(fs::is_empty(tmp_ / "layers"));
}

TEST_F(ImageStoreTest, ProtectionShieldsAPullInProgress) {
  Digest pulled = Digest::Parse(Sha256Of("pulling"));
  blobs_.Put(pulled, "pulling");
  {
    auto guard = store_->Protect();
    guard.Add({pulled.String()}, {});
    store_->GarbageCollect();
    EXPECT_TRUE(blobs_.Has(pulled));
  }
  store_->GarbageCollect();
  EXPECT_FALSE(blobs_.Has(pulled));
}

TEST_F(ImageStoreTest, AddRefusesMissingContent) {
  ImageRecord rec = MakeImage("x", {"docker.io/library/x:latest"});
  rec.blobs.push_back(Sha256Of("never stored"));
  EXPECT_THROW(store_->Add(rec), Error);
  EXPECT_TRUE(store_->List().empty());
}

TEST(ImageUser, FromConfig) {
  ImageRecord r;
  r.config_json = R"({"config":{"User":"nobody:nogroup"}})";
  SetUserFromConfig(r);
  EXPECT_EQ(r.username, "nobody");
  EXPECT_FALSE(r.uid);
  r.config_json = R"({"config":{"User":"0"}})";
  SetUserFromConfig(r);
  EXPECT_EQ(r.uid, 0);
  EXPECT_TRUE(r.username.empty());
  r.config_json = R"({"config":{}})";
  SetUserFromConfig(r);
  EXPECT_FALSE(r.uid);
  EXPECT_TRUE(r.username.empty());
  r.config_json = "not json";
  EXPECT_THROW(SetUserFromConfig(r), Error);
}

}  // namespace
}  // namespace berth::image
