// The trash: a discarded tree leaves its place at once and is deleted by the
// reaper; what an earlier berthd left is deleted at start; the reaper never
// crosses into a mount inside a discarded tree.
#include "storage/trash.h"

#include <sys/mount.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/base/error.h"
#include "storage/mount.h"
#include "tests/support/tmpfs_test.h"

namespace berth::storage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TrashTest : public testing::TmpfsTest {
 protected:
  std::string P(const std::string& rel) const { return root_ + "/" + rel; }
  void Tree(const std::string& rel) const {
    fs::create_directories(P(rel + "/upper/a/b"));
    std::ofstream(P(rel + "/record.json")) << "{}";
    std::ofstream(P(rel + "/upper/a/b/file")) << "data";
    fs::create_directories(P("outside"));
    std::ofstream(P("outside/kept")) << "x";
    fs::create_symlink(P("outside"), P(rel + "/upper/link-out"));  // never followed
  }
};

TEST_F(TrashTest, ADiscardedTreeLeavesAtOnceAndIsDeletedAfter) {
  Trash trash({P("trash")});
  Tree("records/c1");
  trash.Discard(P("records/c1"), true);
  EXPECT_FALSE(fs::exists(P("records/c1")));
  ASSERT_TRUE(trash.WaitEmpty(10s));
  EXPECT_TRUE(fs::is_empty(P("trash")));
  EXPECT_TRUE(fs::exists(P("outside/kept")));  // the link went, not what it named
}

TEST_F(TrashTest, DiscardingWhatIsNotThereIsFine) {
  Trash trash({P("trash")});
  EXPECT_NO_THROW(trash.Discard(P("missing"), true));
  EXPECT_TRUE(trash.WaitEmpty(1s));
}

TEST_F(TrashTest, TheSameNameTwiceGetsTwoEntries) {
  Trash trash({P("trash")});
  for (int i = 0; i < 2; ++i) {
    Tree("records/same");
    trash.Discard(P("records/same"), false);
    EXPECT_FALSE(fs::exists(P("records/same"))) << i;
  }
  ASSERT_TRUE(trash.WaitEmpty(10s));
  EXPECT_TRUE(fs::is_empty(P("trash")));
}

TEST_F(TrashTest, WhatAnEarlierRunLeftIsDeletedAtStart) {
  Tree("trash/c-left.0");
  Tree("trash/c-left.1");
  Trash trash({P("trash")});
  ASSERT_TRUE(trash.WaitEmpty(10s));
  EXPECT_TRUE(fs::is_empty(P("trash")));
}

TEST_F(TrashTest, TheReaperNeverEntersAMountAndRetriesLater) {
  Tree("run/c2");
  fs::create_directories(P("run/c2/rootfs"));
  ASSERT_EQ(::mount("tmpfs", P("run/c2/rootfs").c_str(), "tmpfs", 0, nullptr), 0);
  std::ofstream(P("run/c2/rootfs/image-file")) << "must survive";
  Trash trash({P("trash")});
  trash.Discard(P("run/c2"), false);
  EXPECT_FALSE(trash.WaitEmpty(300ms));  // stuck on the mount
  const std::string moved = P("trash/c2.0");
  ASSERT_TRUE(fs::exists(moved + "/rootfs/image-file"));
  EXPECT_FALSE(fs::exists(moved + "/record.json"));  // what is not behind the mount went
  UnmountAll(moved + "/rootfs", "test mount");
  trash.Discard(P("nothing"), false);  // a later discard does not wake it: only its retry
  RemoveTree(moved);
  EXPECT_TRUE(fs::is_empty(P("trash")));
}

TEST_F(TrashTest, RemoveTreeStopsAtAMountWithItsName) {
  fs::create_directories(P("t/m"));
  ASSERT_EQ(::mount("tmpfs", P("t/m").c_str(), "tmpfs", 0, nullptr), 0);
  std::ofstream(P("t/m/kept")) << "x";
  try {
    RemoveTree(P("t"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rmdir " + P("t")), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(P("t/m/kept")));
  UnmountAll(P("t/m"), "test mount");
  RemoveTree(P("t"));
  EXPECT_FALSE(fs::exists(P("t")));
  EXPECT_NO_THROW(RemoveTree(P("t")));
}

}  // namespace
}  // namespace berth::storage
