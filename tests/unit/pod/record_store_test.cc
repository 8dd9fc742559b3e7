// RecordStore: records survive a reload, and ids resolve exactly or by a
// unique prefix; an ambiguous prefix names every id it matches.
#include "pod/record_store.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::pod {
namespace {

struct Rec {
  std::string id;
  int n = 0;
};
void to_json(nlohmann::json& j, const Rec& r) { j = {{"id", r.id}, {"n", r.n}}; }
void from_json(const nlohmann::json& j, Rec& r) {
  j.at("id").get_to(r.id);
  j.at("n").get_to(r.n);
}

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"abc111", "abc222", "abd333", "xyz"}) store_.Save({id, 1});
  }
  testing::TempDir dir_;
  RecordStore<Rec> store_{dir_.path() / "recs", "rec.json"};
};

TEST_F(RecordStoreTest, ResolvesExactIdsAndUniquePrefixes) {
  EXPECT_EQ(store_.Resolve("xyz", "F: id"), "xyz");
  EXPECT_EQ(store_.Resolve("abd", "F: id"), "abd333");
  EXPECT_EQ(store_.Resolve("abc1", "F: id"), "abc111");
  EXPECT_EQ(store_.Resolve("q", "F: id"), std::nullopt);
  EXPECT_EQ(store_.Resolve("abc1111", "F: id"), std::nullopt);  // longer than the id
}

TEST_F(RecordStoreTest, AnAmbiguousPrefixNamesEveryMatch) {
  try {
    store_.Resolve("abc", "StopContainer: container_id");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    const std::string m = e.what();
    EXPECT_NE(m.find("StopContainer: container_id \"abc\" is ambiguous"), std::string::npos) << m;
    EXPECT_NE(m.find("abc111"), std::string::npos) << m;
    EXPECT_NE(m.find("abc222"), std::string::npos) << m;
    EXPECT_EQ(m.find("abd333"), std::string::npos) << m;
  }
  EXPECT_THROW(store_.Resolve("", "F: id"), Error);
}

TEST_F(RecordStoreTest, ReloadsWhatWasSavedAndForgetsWhatWasRemoved) {
  store_.Remove("xyz");
  RecordStore<Rec> again(dir_.path() / "recs", "rec.json");
  again.Load();
  EXPECT_EQ(again.List().size(), 3u);
  EXPECT_FALSE(again.Get("xyz"));
  EXPECT_EQ(again.Get("abd333")->n, 1);
}

TEST_F(RecordStoreTest, ASnapshotSharesTheRecordsAndALaterSaveLeavesItAlone) {
  const auto snap = store_.Snapshot();
  ASSERT_EQ(snap.size(), 4u);
  EXPECT_EQ(snap[0]->id, "abc111");  // in id order, as List
  store_.Save({"abc111", 2});
  store_.Remove("xyz");
  EXPECT_EQ(snap[0]->n, 1);  // the snapshot keeps the record it was given
  EXPECT_EQ(snap[3]->id, "xyz");
  EXPECT_EQ(store_.Get("abc111")->n, 2);
  EXPECT_EQ(store_.Snapshot().size(), 3u);
}

TEST(Quoted, EscapesControlBytesAndCutsLongValues) {
  EXPECT_EQ(Quoted("abc"), "\"abc\"");
  EXPECT_EQ(Quoted(std::string("a\nb\0c", 5)), "\"a\\x0ab\\x00c\"");
  EXPECT_EQ(Quoted(std::string(100, 'x'), 4), "\"xxxx\"... (100 bytes)");
}

}  // namespace
}  // namespace berth::pod
