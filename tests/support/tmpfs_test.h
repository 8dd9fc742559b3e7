#pragma once
// A test fixture with a tmpfs of its own at <tmp>/fs (so overlays never stack
// on whatever /tmp is), lazily unmounted with everything on it at the end;
// skipped where tmpfs cannot be mounted (not root).

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace berth::testing {

class TmpfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(root_);
    if (::mount("tmpfs", root_.c_str(), "tmpfs", 0, "size=16m") != 0) {
      GTEST_SKIP() << "cannot mount tmpfs (not root?): " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(root_.c_str(), MNT_DETACH);  // detaches the mounts below it too
  }

  TempDir dir_;
  const std::string root_ = dir_ / "fs";
  bool mounted_ = false;
};

}  // namespace berth::testing
