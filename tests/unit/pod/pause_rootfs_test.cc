// The pause container's rootfs: the built-in one holds a copy of the pause
// binary (replaced atomically, and only when its content changed) and the
// mount points runc needs; a pause image is mounted read-only, its top layer
// first, under a layer of those mount points (in a tmpfs of the test's own).
#include "pod/pause_rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "config/layout.h"
#include "storage/base/error.h"
#include "storage/mount.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tmpfs_test.h"

namespace berth::pod {
namespace {

namespace fs = std::filesystem;
using berth::testing::Slurp;

ino_t Inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(EnsurePauseRootfs, CopiesTheBinaryAndMakesTheMountPoints) {
  testing::TempDir dir;
  const std::string bin = dir.Write("libexec/berth-pause", "\x7f" "ELF pause v1");
  const std::string rootfs = EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin);
  EXPECT_EQ(rootfs, dir / "root/pause-rootfs");
  EXPECT_EQ(Slurp(rootfs + "/pause"), "\x7f" "ELF pause v1");
  EXPECT_EQ(fs::status(rootfs + "/pause").permissions() & fs::perms::all,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                fs::perms::others_exec);  // 0755
  for (const char* d : {"/proc", "/dev", "/sys", "/etc"}) EXPECT_TRUE(fs::is_directory(rootfs + d)) << d;
}

TEST(EnsurePauseRootfs, RewritesOnlyWhenTheContentChanged) {
  testing::TempDir dir;
  const std::string bin = dir.Write("berth-pause", "v1");
  const std::string rootfs = EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin);
  const ino_t first = Inode(rootfs + "/pause");
  EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin);
  EXPECT_EQ(Inode(rootfs + "/pause"), first);  // same content: left alone

  // A pause exec'd from the old file keeps its inode: the new one is renamed over it.
  const int old_fd = ::open((rootfs + "/pause").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(old_fd, 0);
  dir.Write("berth-pause", "v2, a new build");
  EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin);
  EXPECT_EQ(Slurp(rootfs + "/pause"), "v2, a new build");
  EXPECT_NE(Inode(rootfs + "/pause"), first);
  char buf[8] = {};
  EXPECT_EQ(::pread(old_fd, buf, sizeof buf, 0), 2);
  EXPECT_STREQ(buf, "v1");
  ::close(old_fd);
}

TEST(EnsurePauseRootfs, RestoresADeletedOrDamagedCopy) {
  testing::TempDir dir;
  const std::string bin = dir.Write("berth-pause", "pause");
  const std::string rootfs = EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin);
  fs::remove(rootfs + "/pause");
  fs::remove(rootfs + "/proc");
  EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin);
  EXPECT_EQ(Slurp(rootfs + "/pause"), "pause");
  EXPECT_TRUE(fs::is_directory(rootfs + "/proc"));
  dir.Write("root/pause-rootfs/pause", "truncat");
  EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin);
  EXPECT_EQ(Slurp(rootfs + "/pause"), "pause");
}

TEST(EnsurePauseRootfs, AMissingBinaryIsAFailedPreconditionNamingTheSetting) {
  testing::TempDir dir;
  try {
    EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), dir / "no-such-pause");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("pause binary (config pause.binary) unusable"), std::string::npos) << m;
    EXPECT_NE(m.find(dir / "no-such-pause"), std::string::npos) << m;
  }
  EXPECT_FALSE(fs::exists(dir / "root/pause-rootfs/pause"));
}

TEST(EnsurePauseRootfs, ConcurrentCallersAllGetTheSameRootfs) {
  testing::TempDir dir;
  const std::string bin = dir.Write("berth-pause", std::string(200000, 'p'));
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = EnsurePauseRootfs(config::Layout(dir / "root", dir / "run"), bin); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, dir / "root/pause-rootfs");
  EXPECT_EQ(Slurp(dir / "root/pause-rootfs/pause"), std::string(200000, 'p'));
  // No temp files of the atomic writes left behind.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "root/pause-rootfs")) ++entries;
  EXPECT_EQ(entries, 5u);  // pause, proc, dev, sys, etc
}

// Pause image mounts, in a tmpfs of the test's own.
class PauseImageRootfs : public testing::TmpfsTest {};

TEST_F(PauseImageRootfs, MountsTheLayersTopFirstUnderTheMountPointsReadOnly) {
  dir_.Write("fs/layers/base/pause", "base pause");
  dir_.Write("fs/layers/base/etc/os-release", "base");
  dir_.Write("fs/layers/top/pause", "top pause");
  PauseImage image;
  image.ref = "registry.k8s.io/pause:3.9";
  image.layer_dirs = {root_ + "/layers/base", root_ + "/layers/top"};  // bottom first, as the store lists them
  const std::string target = root_ + "/sandboxes/p1/rootfs";
  MountPauseImageRootfs(config::Layout(root_, dir_ / "run"), image, target);
  EXPECT_TRUE(storage::IsMountPoint(target));
  EXPECT_EQ(Slurp(target + "/pause"), "top pause");
  EXPECT_EQ(Slurp(target + "/etc/os-release"), "base");
  for (const char* d : {"/proc", "/dev", "/sys", "/etc"}) EXPECT_TRUE(fs::is_directory(target + d)) << d;
  EXPECT_TRUE(fs::is_directory(root_ + "/pause-mountpoints/proc"));
  EXPECT_EQ(::mkdir((target + "/new").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);

  storage::UnmountAll(target, "pause rootfs");
  EXPECT_FALSE(storage::IsMountPoint(target));
  EXPECT_EQ(Slurp(root_ + "/layers/top/pause"), "top pause");  // layers untouched
}

TEST_F(PauseImageRootfs, ASingleLayerImageWorksAndNoLayersIsRefused) {
  dir_.Write("fs/layers/only/pause", "only");
  PauseImage image;
  image.layer_dirs = {root_ + "/layers/only"};
  MountPauseImageRootfs(config::Layout(root_, dir_ / "run"), image, root_ + "/one");
  EXPECT_EQ(Slurp(root_ + "/one/pause"), "only");
  EXPECT_TRUE(fs::is_directory(root_ + "/one/sys"));

  image.layer_dirs.clear();
  EXPECT_THROW(MountPauseImageRootfs(config::Layout(root_, dir_ / "run"), image, root_ + "/none"), Error);
  EXPECT_FALSE(storage::IsMountPoint(root_ + "/none"));
}

}  // namespace
}  // namespace berth::pod
