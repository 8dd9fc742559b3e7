#include "pod/mount_propagation.h"

#include <gtest/gtest.h>

namespace berth::pod {
namespace {

const char* kMountinfo =
    "22 1 254:1 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 22 0:25 / /run rw,nosuid shared:5 - tmpfs tmpfs rw\n"
    "41 22 0:40 / /tmp/shared rw shared:12 - tmpfs tmpfs rw\n"
    "42 41 0:41 / /tmp/shared/inner rw master:12 - tmpfs tmpfs rw\n"
    "43 22 0:42 / /tmp/with\\040space rw master:3 - tmpfs tmpfs rw\n"
    "44 41 0:43 / /tmp/shared rw - tmpfs tmpfs rw\n";

TEST(MountHolding, TheLongestMountPointThenTheTopOfAStack) {
  auto m = MountHolding(kMountinfo, "/etc/passwd");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mount_point, "/");
  EXPECT_FALSE(m->shared);
  m = MountHolding(kMountinfo, "/run/berth/x");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mount_point, "/run");
  EXPECT_TRUE(m->shared);
  m = MountHolding(kMountinfo, "/tmp/shared/inner/dir");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mount_point, "/tmp/shared/inner");
  EXPECT_TRUE(m->slave);
  EXPECT_FALSE(m->shared);
  // /tmp/shared is stacked: the last mount (private) is the one paths see.
  m = MountHolding(kMountinfo, "/tmp/shared/file");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->shared);
  m = MountHolding(kMountinfo, "/tmp/sharedx");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mount_point, "/");
  m = MountHolding(kMountinfo, "/tmp/with space/a");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mount_point, "/tmp/with space");
  EXPECT_TRUE(m->slave);
}

}  // namespace
}  // namespace berth::pod
