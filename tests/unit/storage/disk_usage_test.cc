#include "storage/disk_usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

TEST(DiskUsageTest, CountsEveryInodeOnceWithTheDirItself) {
  testing::TempDir dir;
  const DiskUsage empty = DirUsage(dir.path().string());
  EXPECT_EQ(empty.inodes, 1u) << "the dir itself";
  dir.Write("d/a", std::string(64 * 1024, 'x'));
  const DiskUsage one = DirUsage(dir.path().string());
  EXPECT_EQ(one.inodes, 3u);  // ., d, a
  EXPECT_GE(one.bytes, empty.bytes + 64 * 1024);
  // A hard link is the same inode and the same blocks.
  ASSERT_EQ(::link((dir / "d/a").c_str(), (dir / "d/b").c_str()), 0);
  const DiskUsage linked = DirUsage(dir.path().string());
  EXPECT_EQ(linked.inodes, one.inodes);
  EXPECT_EQ(linked.bytes, one.bytes);
}

TEST(DiskUsageTest, AMissingDirUsesNothing) {
  testing::TempDir dir;
  const DiskUsage u = DirUsage(dir / "none");
  EXPECT_EQ(u.bytes, 0u);
  EXPECT_EQ(u.inodes, 0u);
}

}  // namespace
}  // namespace berth::storage
