#include "storage/blob_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

TEST(Digest, ParsesAndRejects) {
  const std::string hex(64, 'a');
  Digest d = Digest::Parse("sha256:" + hex);
  EXPECT_EQ(d.algorithm, "sha256");
  EXPECT_EQ(d.hex, hex);
  EXPECT_EQ(d.String(), "sha256:" + hex);
  for (const std::string& bad : {"sha256:" + std::string(63, 'a'), "sha256:" + std::string(64, 'A'),
                                "sha512:" + hex, hex, "sha256:" + std::string(63, 'a') + "g"}) {
    try {
      Digest::Parse(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
    EXPECT_FALSE(Digest::Valid(bad));
  }
}

TEST(Digest, Sha256KnownValuesAndStreaming) {
  EXPECT_EQ(Sha256Of(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Of("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Final(), Sha256Of("abc"));
}

class BlobStoreTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_;
  BlobStore store_{tmp_.path().string() + "/blobs"};
};

TEST_F(BlobStoreTest, PutVerifiesAndStoresByDigest) {
  Digest d = Digest::Parse(Sha256Of("hello"));
  EXPECT_FALSE(store_.Has(d));
  store_.Put(d, "hello");
  EXPECT_TRUE(store_.Has(d));
  EXPECT_EQ(store_.Path(d), tmp_.path().string() + "/blobs/sha256/" + d.hex);
  EXPECT_EQ(store_.Size(d), 5);
  EXPECT_EQ(store_.Read(d), "hello");
  EXPECT_EQ(store_.List(), std::vector<Digest>{d});
  try {
    store_.Put(Digest::Parse(Sha256Of("other")), "hello");
    ADD_FAILURE() << "mismatched Put accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
  }
  EXPECT_EQ(store_.List().size(), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(tmp_ / "blobs/ingest"));  // failed temp file gone
  EXPECT_THROW(store_.Read(d, 2), Error);
  EXPECT_TRUE(store_.Remove(d));
  EXPECT_FALSE(store_.Remove(d));
  EXPECT_FALSE(store_.Has(d));
  try {
    store_.Size(d);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kNotFound);
  }
}

TEST_F(BlobStoreTest, WriterChecksSizeAndDiscardsUncommitted) {
  const std::string data(100000, 'x');
  Digest d = Digest::Parse(Sha256Of(data));
  {
    auto w = store_.Ingest(d, static_cast<int64_t>(data.size()));
    w->Write(std::string_view(data).substr(0, 10));
    EXPECT_EQ(w->Written(), 10);
    EXPECT_FALSE(std::filesystem::is_empty(tmp_ / "blobs/ingest"));
  }  // abandoned: temp file removed
  EXPECT_TRUE(std::filesystem::is_empty(tmp_ / "blobs/ingest"));
  EXPECT_FALSE(store_.Has(d));

  auto short_w = store_.Ingest(d, static_cast<int64_t>(data.size()));
  short_w->Write(std::string_view(data).substr(0, 99));
  EXPECT_THROW(short_w->Commit(), Error);  // too short
  auto long_w = store_.Ingest(d, 5);
  EXPECT_THROW(long_w->Write(data), Error);  // more than announced

  auto w = store_.Ingest(d, -1);
  w->Write(std::string_view(data).substr(0, 500));
  w->Write(std::string_view(data).substr(500));
  w->Commit();
  EXPECT_EQ(store_.Read(d), data);
}

TEST_F(BlobStoreTest, CleanIngestRemovesLeftovers) {
  tmp_.Write("blobs/ingest/deadbeef-abc123", "partial");
  tmp_.Write("blobs/trash/deadbeef-def456", "doomed");
  store_.CleanIngest();
  EXPECT_TRUE(std::filesystem::is_empty(tmp_ / "blobs/ingest"));
  EXPECT_TRUE(std::filesystem::is_empty(tmp_ / "blobs/trash"));
}

TEST_F(BlobStoreTest, MoveToTrashHidesTheBlobAtOnce) {
  const Digest d = Digest::Parse(Sha256Of("doomed"));
  store_.Put(d, "doomed");
  const std::string first = store_.MoveToTrash(d);
  EXPECT_FALSE(store_.Has(d));
  EXPECT_TRUE(store_.List().empty());
  ASSERT_TRUE(std::filesystem::exists(first));
  store_.Put(d, "doomed");  // pulled again before the first trash copy went
  const std::string second = store_.MoveToTrash(d);
  EXPECT_NE(first, second);
  EXPECT_TRUE(std::filesystem::exists(first));
  EXPECT_EQ(store_.MoveToTrash(d), "");  // absent
  EXPECT_FALSE(store_.Remove(d));
}

TEST_F(BlobStoreTest, ConcurrentFetchDownloadsOnce) {
  const std::string data = "shared layer";
  Digest d = Digest::Parse(Sha256Of(data));
  std::atomic<int> downloads{0};
  std::atomic<bool> release{false};
  auto download = [&](BlobStore::Writer& w) {
    downloads++;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    w.Write(data);
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { store_.Fetch(d, static_cast<int64_t>(data.size()), download); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  release = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(downloads, 1);
  EXPECT_EQ(store_.Read(d), data);
  store_.Fetch(d, -1, [&](BlobStore::Writer&) { downloads++; });  // present: no download
  EXPECT_EQ(downloads, 1);
}

TEST_F(BlobStoreTest, FetchFailureReachesEveryWaiterAndAllowsRetry) {
  const std::string data = "flaky";
  Digest d = Digest::Parse(Sha256Of(data));
  std::atomic<bool> release{false};
  std::atomic<int> failures{0};
  auto bad = [&](BlobStore::Writer& w) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    w.Write("corrupt");  // wrong digest: Commit fails
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      try {
        store_.Fetch(d, -1, bad);
      } catch (const Error&) {
        failures++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  release = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 3);
  EXPECT_FALSE(store_.Has(d));
  store_.Fetch(d, -1, [&](BlobStore::Writer& w) { w.Write(data); });
  EXPECT_TRUE(store_.Has(d));
}

}  // namespace
}  // namespace berth::storage
