// Mount primitives against the real kernel, inside a tmpfs of the test's own
// temp dir: mount points are seen in mountinfo, stacked mounts are all
// undone, overlays put the first lower on top and send writes to the upper
// dir, and option strings longer than mount(2) takes are refused up front.
#include "storage/mount.h"

#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "storage/base/error.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tmpfs_test.h"

namespace berth::storage {
namespace {

namespace fs = std::filesystem;
using berth::testing::Slurp;

class MountTest : public testing::TmpfsTest {
 protected:
  std::string P(const std::string& rel) const { return root_ + "/" + rel; }
  void Write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(P(rel)).parent_path());
    std::ofstream(P(rel)) << text;
  }
};

TEST_F(MountTest, IsMountPointFollowsMountinfo) {
  EXPECT_TRUE(IsMountPoint("/"));
  EXPECT_TRUE(IsMountPoint("/proc"));
  EXPECT_TRUE(IsMountPoint(root_));
  EXPECT_FALSE(IsMountPoint(dir_.path().string()));  // a plain dir holding the mount
  fs::create_directories(P("sub"));
  EXPECT_FALSE(IsMountPoint(P("sub")));
  EXPECT_FALSE(IsMountPoint(P("missing")));
  ASSERT_EQ(::mount("tmpfs", P("sub").c_str(), "tmpfs", 0, nullptr), 0);
  EXPECT_TRUE(IsMountPoint(P("sub")));
  ASSERT_EQ(::umount(P("sub").c_str()), 0);
  EXPECT_FALSE(IsMountPoint(P("sub")));
}

TEST_F(MountTest, UnmountAllRemovesEveryStackedMount) {
  // Three mounts on one path, as a crash between mount and record can leave.
  fs::create_directories(P("m"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(::mount("tmpfs", P("m").c_str(), "tmpfs", 0, nullptr), 0) << i;
    Write("m/layer" + std::to_string(i), "x");
  }
  EXPECT_TRUE(fs::exists(P("m/layer2")));
  UnmountAll(P("m"), "test mount");
  EXPECT_FALSE(IsMountPoint(P("m")));
  EXPECT_TRUE(fs::is_empty(P("m")));  // the dir of the base tmpfs, as it was before
}

TEST_F(MountTest, UnmountAllOfNothingMountedIsFine) {
  fs::create_directories(P("plain"));
  Write("plain/f", "kept");
  EXPECT_NO_THROW(UnmountAll(P("plain"), "test mount"));
  EXPECT_NO_THROW(UnmountAll(P("missing"), "test mount"));
  EXPECT_EQ(Slurp(P("plain/f")), "kept");
}

TEST_F(MountTest, OverlayPutsTheFirstLowerOnTopAndWritesToUpper) {
  Write("top/shared", "top");
  Write("top/only-top", "t");
  Write("bottom/shared", "bottom");
  Write("bottom/only-bottom", "b");
  // upper, work and the target do not exist yet: MountOverlay makes them.
  MountOverlay({P("top"), P("bottom")}, P("upper"), P("work"), P("merged"));
  EXPECT_TRUE(IsMountPoint(P("merged")));
  EXPECT_EQ(Slurp(P("merged/shared")), "top");
  EXPECT_EQ(Slurp(P("merged/only-top")), "t");
  EXPECT_EQ(Slurp(P("merged/only-bottom")), "b");

  Write("merged/new", "written");
  EXPECT_EQ(Slurp(P("upper/new")), "written");
  EXPECT_FALSE(fs::exists(P("top/new")));
  EXPECT_FALSE(fs::exists(P("bottom/new")));
  EXPECT_EQ(fs::status(P("work")).permissions() & fs::perms::all, fs::perms::owner_all);  // 0700

  UnmountAll(P("merged"), "overlay");
  EXPECT_FALSE(IsMountPoint(P("merged")));
  EXPECT_EQ(Slurp(P("upper/new")), "written");  // the writable layer outlives the mount
}

TEST_F(MountTest, OverlayWithoutLowersUsesAnEmptyDirNextToWork) {
  MountOverlay({}, P("upper"), P("work"), P("merged"));
  EXPECT_TRUE(fs::is_directory(P("work.empty")));
  EXPECT_TRUE(fs::is_empty(P("merged")));
  Write("merged/f", "data");
  EXPECT_EQ(Slurp(P("upper/f")), "data");
  EXPECT_TRUE(fs::is_empty(P("work.empty")));
}

TEST_F(MountTest, ReadOnlyOverlayIsReadOnlyWithTheFirstLowerOnTop) {
  Write("a/f", "from a");
  Write("b/f", "from b");
  Write("b/g", "only b");
  MountReadOnlyOverlay({P("a"), P("b")}, P("ro"));
  EXPECT_EQ(Slurp(P("ro/f")), "from a");
  EXPECT_EQ(Slurp(P("ro/g")), "only b");
  std::ofstream out(P("ro/new"));
  EXPECT_FALSE(out.is_open());
  EXPECT_EQ(::mkdir(P("ro/d").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
}

TEST_F(MountTest, ReadOnlyOverlayNeedsTwoLowers) {
  Write("a/f", "x");
  for (const std::vector<std::string>& lowers : {std::vector<std::string>{}, std::vector<std::string>{P("a")}}) {
    try {
      MountReadOnlyOverlay(lowers, P("ro"));
      ADD_FAILURE() << "mounted with " << lowers.size() << " lowers";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("needs at least 2 lower dirs, got " + std::to_string(lowers.size())),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_FALSE(IsMountPoint(P("ro")));
}

TEST_F(MountTest, OptionsLongerThanAPageAreRefusedBeforeMounting) {
  // 60 lowers of ~100 bytes each: about 6 KB of options, more than a 4 KiB page.
  std::vector<std::string> lowers;
  for (int i = 0; i < 60; ++i) {
    lowers.push_back(P(std::string(90, 'l') + std::to_string(i)));
    fs::create_directories(lowers.back());
  }
  for (bool read_only : {false, true}) {
    try {
      if (read_only) {
        MountReadOnlyOverlay(lowers, P("target"));
      } else {
        MountOverlay(lowers, P("upper"), P("work"), P("target"));
      }
      ADD_FAILURE() << "mounted; read_only " << read_only;
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("60 layers make mount options of"), std::string::npos) << m;
      EXPECT_NE(m.find("more than the kernel takes"), std::string::npos) << m;
    }
    EXPECT_FALSE(fs::exists(P("target")));  // refused before the target was made
  }
}

TEST_F(MountTest, AFailedMountIsASysErrorNamingTheTarget) {
  // A lower dir that does not exist: the kernel refuses.
  try {
    MountReadOnlyOverlay({P("nope1"), P("nope2")}, P("target"));
    ADD_FAILURE() << "mounted missing lowers";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("mount overlay on " + P("target") + " (2 layers)"), std::string::npos) << m;
    EXPECT_NE(m.find("errno"), std::string::npos) << m;
  }
  EXPECT_FALSE(IsMountPoint(P("target")));
}

}  // namespace
}  // namespace berth::storage
