#include "storage/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

namespace fs = std::filesystem;

TEST(FsTest, WriteFileAtomicReplacesTheFileWithItsModeAndLeavesNoTempFile) {
  testing::TempDir dir;
  const std::string path = dir / "state.json";
  WriteFileAtomic(path, "old");
  WriteFileAtomic(path, "new", 0600, Durability::kProcessCrash);
  EXPECT_EQ(ReadFile(path), "new");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(DirEntries(dir.path().string()), std::vector<std::string>{"state.json"});
}

TEST(FsTest, TheTempFilesOfCutShortWritesAreRemovedAndNothingElse) {
  testing::TempDir dir;
  dir.Write("record.json", "{}");
  dir.Write("record.json.tmp-AbC123", "{\"half");
  dir.Write("x.json.tmp-zzzzzz", "");
  dir.Write("notes.tmp-short", "");   // not mkostemp's pattern
  dir.Write(".tmp-abcdef", "");       // a name of its own, not a temp of one
  EXPECT_EQ(RemoveAtomicWriteLeftovers(dir.path()), 2);
  std::vector<std::string> left = DirEntries(dir.path());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{".tmp-abcdef", "notes.tmp-short", "record.json"}));
  EXPECT_EQ(RemoveAtomicWriteLeftovers(dir / "missing"), 0);
}

TEST(FsTest, AMissingFileIsAnErrnoNotACode) {
  testing::TempDir dir;
  try {
    ReadFile(dir / "none");
    FAIL() << "read a missing file";
  } catch (const Error& e) {
    EXPECT_TRUE(e.missing());
    EXPECT_EQ(e.code(), Code::kInternal) << "what a missing file means is the caller's to say";
    EXPECT_NE(std::string(e.what()).find(dir / "none"), std::string::npos);
  }
  EXPECT_FALSE(ReadFileIfExists(dir / "none").has_value());
  EXPECT_EQ(ReadFileIfExists(dir.Write("a", "x")), "x");
  // Anything else than "missing" is still thrown.
  EXPECT_THROW(ReadFileIfExists(dir.path().string()), Error) << "a directory cannot be read as a file";
}

TEST(FsTest, MakeDirsRemoveAllAndDirEntries) {
  testing::TempDir dir;
  MakeDirs(dir / "a/b/c", 0700);
  dir.Write("a/b/c/f", "x");
  dir.Write("a/g", "y");
  auto names = DirEntries(dir / "a");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"b", "g"}));
  RemoveAll(dir / "a");
  EXPECT_FALSE(fs::exists(dir / "a"));
  RemoveAll(dir / "a");  // fine when gone
  EXPECT_TRUE(DirEntries(dir / "a").empty());
}

}  // namespace
}  // namespace berth::storage
