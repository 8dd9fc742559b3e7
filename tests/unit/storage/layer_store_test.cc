#include "storage/layer_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <optional>
#include <stop_token>
#include <thread>

#include "storage/base/error.h"
#include "tests/support/layer_tar.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {
namespace fs = std::filesystem;

TEST(ChainID, FollowsTheOciImageSpec) {
  Digest d0 = Digest::Parse(Sha256Of("layer0"));
  Digest d1 = Digest::Parse(Sha256Of("layer1"));
  EXPECT_EQ(ChainID(std::nullopt, d0), d0);
  Digest c1 = ChainID(d0, d1);
  EXPECT_EQ(c1.String(), Sha256Of(d0.String() + " " + d1.String()));
}

class LayerStoreTest : public ::testing::Test {
 protected:
  // Writes a gzipped layer blob; returns its path and the diff_id.
  std::pair<std::string, Digest> Blob(const std::string& name, const std::vector<testing::TarEntry>& entries) {
    std::string tar = testing::MakeTar(entries);
    return {tmp_.Write("blobs/" + name, testing::Gzip(tar)), Digest::Parse(Sha256Of(tar))};
  }
  testing::TempDir tmp_;
  LayerStore store_{tmp_.path().string() + "/layers"};
};

TEST_F(LayerStoreTest, UnpacksRecordsAndRemoves) {
  auto [b0, d0] = Blob("l0", {testing::File("bin/sh", "sh")});
  auto [b1, d1] = Blob("l1", {testing::File("etc/hosts", "h")});
  LayerInfo l0 = store_.Unpack(b0, d0, std::nullopt);
  EXPECT_EQ(l0.chain_id, d0);
  EXPECT_FALSE(l0.parent);
  EXPECT_GT(l0.size, 0);
  LayerInfo l1 = store_.Unpack(b1, d1, l0.chain_id);
  EXPECT_EQ(l1.chain_id, ChainID(l0.chain_id, d1));
  EXPECT_EQ(l1.parent, l0.chain_id);
  EXPECT_TRUE(fs::exists(store_.DiffPath(l1.chain_id) + "/etc/hosts"));
  EXPECT_EQ(store_.DiffPath(l1.chain_id), tmp_ / ("layers/" + l1.chain_id.hex + "/diff"));

  // Persisted: a fresh store sees the same layers.
  LayerStore again(tmp_.path().string() + "/layers");
  LayerInfo got = again.Get(l1.chain_id);
  EXPECT_EQ(got.diff_id, d1);
  EXPECT_EQ(got.parent, l0.chain_id);
  EXPECT_EQ(got.size, l1.size);
  EXPECT_EQ(again.List().size(), 2u);

  EXPECT_TRUE(store_.Remove(l1.chain_id));
  EXPECT_FALSE(store_.Remove(l1.chain_id));
  EXPECT_FALSE(store_.Has(l1.chain_id));
  try {
    store_.Get(l1.chain_id);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kNotFound);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ / "layers"), fs::directory_iterator{}), 1);
}

TEST_F(LayerStoreTest, DiffIdMismatchKeepsNothing) {
  auto [b0, d0] = Blob("l0", {testing::File("f", "x")});
  Digest wrong = Digest::Parse(Sha256Of("not this"));
  try {
    store_.Unpack(b0, wrong, std::nullopt);
    ADD_FAILURE() << "mismatch accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find(wrong.String()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(tmp_ / "layers"));
}

TEST_F(LayerStoreTest, MissingParentIsRefused) {
  auto [b0, d0] = Blob("l0", {testing::File("f", "x")});
  try {
    store_.Unpack(b0, d0, Digest::Parse(Sha256Of("absent")));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
  }
}

TEST_F(LayerStoreTest, ConcurrentUnpackOfOneChainIdSucceedsOnce) {
  std::vector<testing::TarEntry> files;
  for (int i = 0; i < 200; ++i) files.push_back(testing::File("f" + std::to_string(i), std::string(4096, 'a')));
  auto [b0, d0] = Blob("l0", files);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, b = b0, d = d0] {
      if (store_.Unpack(b, d, std::nullopt).chain_id == d) ok++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ / "layers"), fs::directory_iterator{}), 1);
}

TEST_F(LayerStoreTest, PreparesOutOfOrderAndPublishesBottomUp) {
  auto [b0, d0] = Blob("l0", {testing::File("bin/sh", "sh")});
  auto [b1, d1] = Blob("l1", {testing::File("etc/hosts", "h")});
  // The upper layer first: it needs only its parent's chain id.
  LayerStore::Prepared upper = store_.Prepare(b1, d1, d0);
  LayerStore::Prepared lower = store_.Prepare(b0, d0, std::nullopt);
  EXPECT_FALSE(store_.Has(upper.info().chain_id));
  try {
    store_.Publish(std::move(upper));
    ADD_FAILURE() << "published above an absent parent";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find(d0.String()), std::string::npos) << e.what();
  }
  // The refused one was dropped with its temp dir; prepared again, it publishes.
  store_.Publish(std::move(lower));
  LayerInfo l1 = store_.Publish(store_.Prepare(b1, d1, d0));
  EXPECT_EQ(l1.chain_id, ChainID(d0, d1));
  EXPECT_EQ(l1.size, store_.Get(l1.chain_id).size);
  EXPECT_TRUE(fs::exists(store_.DiffPath(l1.chain_id) + "/etc/hosts"));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ / "layers"), fs::directory_iterator{}), 2);
}

TEST_F(LayerStoreTest, ADroppedPreparationLeavesNothingAndFreesTheChainId) {
  auto [b0, d0] = Blob("l0", {testing::File("f", "x")});
  std::optional<LayerStore::Prepared> held = store_.Prepare(b0, d0, std::nullopt);
  std::atomic<bool> got{false};
  std::thread waiter([&, b = b0, d = d0] {
    store_.Unpack(b, d, std::nullopt);  // waits out the claim, then unpacks itself
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(got) << "a second unpack of a claimed chain id did not wait";
  held.reset();
  waiter.join();
  EXPECT_TRUE(store_.Has(d0));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ / "layers"), fs::directory_iterator{}), 1);
}

TEST_F(LayerStoreTest, AStopEndsTheWaitForAChainIdAnotherHolds) {
  auto [b0, d0] = Blob("l0", {testing::File("f", "x")});
  LayerStore::Prepared held = store_.Prepare(b0, d0, std::nullopt);
  std::stop_source cancel;
  std::atomic<bool> stopped{false};
  std::thread waiter([&, b = b0, d = d0] {
    try {
      store_.Prepare(b, d, std::nullopt, cancel.get_token());
    } catch (const Error& e) {
      stopped = e.code() == Code::kInternal;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  cancel.request_stop();
  waiter.join();  // ends while `held` still holds the chain id
  EXPECT_TRUE(stopped);
  EXPECT_EQ(store_.Publish(std::move(held)).chain_id, d0);
}

TEST_F(LayerStoreTest, PreparingAStoredLayerReturnsIt) {
  auto [b0, d0] = Blob("l0", {testing::File("f", "x")});
  LayerInfo stored = store_.Unpack(b0, d0, std::nullopt);
  LayerStore::Prepared again = store_.Prepare(b0, d0, std::nullopt);
  EXPECT_EQ(again.info().size, stored.size);
  EXPECT_EQ(store_.Publish(std::move(again)).chain_id, d0);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ / "layers"), fs::directory_iterator{}), 1);
}

TEST_F(LayerStoreTest, CleanPartialRemovesUnpublishedDirs) {
  auto [b0, d0] = Blob("l0", {testing::File("f", "x")});
  store_.Unpack(b0, d0, std::nullopt);
  tmp_.Write("layers/.tmp-abc-123456/diff/f", "x");
  tmp_.Write("layers/.rm-abc-123456/layer/diff/f", "x");
  tmp_.Write("layers/" + std::string(64, 'b') + "/diff/f", "no layer.json");
  store_.CleanPartial();
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ / "layers"), fs::directory_iterator{}), 1);
  EXPECT_TRUE(store_.Has(d0));
}

TEST_F(LayerStoreTest, DiskUsageCountsHardLinksOnce) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to keep tar ownership";
  const std::string big(1 << 20, 'q');
  auto [b0, d0] = Blob("l0", {testing::File("a", big)});
  store_.Unpack(b0, d0, std::nullopt);
  LayerStore::Usage one = store_.DiskUsage();
  store_.Remove(d0);
  auto [b1, d1] = Blob("l1", {testing::File("a", big), testing::Hardlink("b", "a")});
  store_.Unpack(b1, d1, std::nullopt);
  LayerStore::Usage linked = store_.DiskUsage();
  EXPECT_GE(one.bytes, big.size());
  EXPECT_EQ(linked.inodes, one.inodes);  // "b" is the same inode as "a"
  EXPECT_LT(linked.bytes, one.bytes + big.size() / 2);
}

}  // namespace
}  // namespace berth::storage
