// ReadInRoot: a file of an image's rootfs is read as a process inside the
// image would see it, so absolute symlinks and ".." resolve within the
// rootfs and never reach the host's files; missing files read as "".
#include "storage/rootfs_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>

#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

namespace fs = std::filesystem;

class ReadInRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("rootfs/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    dir_.Write("rootfs/etc/shadow", "root:!:19000::::::\n");
    // Outside the rootfs: what an escaping symlink would reach.
    dir_.Write("host/secret", "host secret\n");
  }
  void Link(const std::string& target, const std::string& rel) const {
    fs::create_directories(fs::path(root_ + "/" + rel).parent_path());
    fs::create_symlink(target, root_ + "/" + rel);
  }

  testing::TempDir dir_;
  const std::string root_ = dir_ / "rootfs";
};

TEST_F(ReadInRootTest, ReadsAFileWithOrWithoutALeadingSlash) {
  EXPECT_EQ(ReadInRoot(root_, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
  EXPECT_EQ(ReadInRoot(root_, "/etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
}

TEST_F(ReadInRootTest, MissingFilesAndMissingDirsReadAsEmpty) {
  EXPECT_EQ(ReadInRoot(root_, "etc/group"), "");
  EXPECT_EQ(ReadInRoot(root_, "no/such/dir/file"), "");
  // A path through a regular file (ENOTDIR) is as absent as a missing one.
  EXPECT_EQ(ReadInRoot(root_, "etc/passwd/x"), "");
  // A symlink to nowhere, too.
  Link("/etc/nothing", "etc/dangling");
  EXPECT_EQ(ReadInRoot(root_, "etc/dangling"), "");
}

TEST_F(ReadInRootTest, AbsoluteSymlinksResolveInsideTheRootfs) {
  // The image's /etc/group -> /etc/shadow is the image's shadow, not the host's.
  Link("/etc/shadow", "etc/group");
  EXPECT_EQ(ReadInRoot(root_, "etc/group"), "root:!:19000::::::\n");
  // A link whose target exists on the host only is missing in the rootfs.
  Link(dir_ / "host/secret", "etc/hostlink");
  EXPECT_EQ(ReadInRoot(root_, "etc/hostlink"), "");
}

TEST_F(ReadInRootTest, DotDotCannotClimbOutOfTheRootfs) {
  // ".." at the rootfs's top stays at the top, as in a chroot.
  EXPECT_EQ(ReadInRoot(root_, "../host/secret"), "");
  EXPECT_EQ(ReadInRoot(root_, "../../../etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
  Link("../../host/secret", "etc/climb");
  EXPECT_EQ(ReadInRoot(root_, "etc/climb"), "");
  // A directory symlink to / is the rootfs's /.
  Link("/", "etc/up");
  EXPECT_EQ(ReadInRoot(root_, "etc/up/etc/shadow"), "root:!:19000::::::\n");
}

TEST_F(ReadInRootTest, FilesLargerThanTheLimitAreInvalidArgument) {
  dir_.Write("rootfs/etc/big", std::string(100, 'x'));
  EXPECT_EQ(ReadInRoot(root_, "etc/big", 100), std::string(100, 'x'));  // exactly at the limit: fine
  try {
    ReadInRoot(root_, "etc/big", 99);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image file etc/big is larger than 99 bytes"), std::string::npos) << e.what();
  }
  // Larger than the 16 KiB read buffer, below the default limit.
  dir_.Write("rootfs/etc/group", std::string(100000, 'g'));
  EXPECT_EQ(ReadInRoot(root_, "etc/group").size(), 100000u);
  EXPECT_GT(kMaxRootfsFileBytes, 100000u);
}

TEST_F(ReadInRootTest, AMissingRootOrADirectoryIsAnError) {
  EXPECT_THROW(ReadInRoot(dir_ / "no-rootfs", "etc/passwd"), Error);
  // Reading a directory fails at read(2) (EISDIR), which is no "missing file".
  try {
    ReadInRoot(root_, "etc");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("read etc in rootfs " + root_), std::string::npos) << e.what();
  }
}

// An image layer can hold a FIFO (libarchive creates one as root) at
// etc/passwd: it is refused, not waited on (which would hang CreateContainer).
// Should it block, the test unblocks it itself rather than hang.
TEST_F(ReadInRootTest, AFifoIsRefusedNotWaitedOn) {
  const std::string fifo = root_ + "/etc/group";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto read = std::async(std::launch::async, [&] { return ReadInRoot(root_, "etc/group"); });
  const bool finished = read.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
  if (!finished) {
    // A writer that opens and closes lets the blocked open return (and read EOF).
    const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (w >= 0) ::close(w);
  }
  EXPECT_TRUE(finished) << "ReadInRoot blocked on a FIFO";
  if (finished) {
    EXPECT_THROW(read.get(), Error);
  }
}

}  // namespace
}  // namespace berth::storage
