#include "pod/oci/sealed_binary.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/fs.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace berth::pod::oci {
namespace {
namespace fs = std::filesystem;
using berth::testing::TempDir;

TEST(SealedBinary, AnElfBinaryRunsFromASealedCopyThatStaysUntilTheFileChanges) {
  TempDir t;
  const std::string bin = t / "true";
  fs::copy_file("/bin/true", bin);
  const auto first = SealedBinary::For(bin);
  ASSERT_TRUE(first->sealed());
  EXPECT_EQ(first->exec_path().rfind("/proc/" + std::to_string(::getpid()) + "/fd/", 0), 0u) << first->exec_path();
  EXPECT_EQ(storage::ReadFile(first->exec_path()), storage::ReadFile(bin));
  // Sealed as runc requires, so it cannot be written.
  const int fd = ::open(first->exec_path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::fcntl(fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  ::close(fd);
  EXPECT_EQ(SealedBinary::For(bin), first);  // the same copy while the file is unchanged
  EXPECT_EQ(berth::testing::Sh(first->exec_path() + "; echo $?").second, "0\n");

  // An upgrade (a new file at the path) gets a new copy; the old one stays
  // valid for whoever still holds it.
  fs::remove(bin);
  fs::copy_file("/bin/true", bin);
  std::ofstream(bin, std::ios::app) << "upgraded";  // a different size, whatever the clock's granularity
  const auto second = SealedBinary::For(bin);
  ASSERT_TRUE(second->sealed());
  EXPECT_NE(second->exec_path(), first->exec_path());
  EXPECT_EQ(storage::ReadFile(second->exec_path()), storage::ReadFile(bin));
  EXPECT_EQ(storage::ReadFile(first->exec_path()), storage::ReadFile("/bin/true"));
}

TEST(SealedBinary, AScriptOrAMissingFileRunsFromItsPath) {
  TempDir t;
  const std::string script = t.Write("runtime.sh", "#!/bin/sh\nexit 0\n");
  ::chmod(script.c_str(), 0755);
  EXPECT_FALSE(SealedBinary::For(script)->sealed());
  EXPECT_EQ(SealedBinary::For(script)->exec_path(), script);
  EXPECT_FALSE(SealedBinary::For(t / "missing")->sealed());
  EXPECT_EQ(SealedBinary::For(t / "missing")->exec_path(), t / "missing");
}

}  // namespace
}  // namespace berth::pod::oci
