#include "storage/beneath.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "storage/base/error.h"

namespace berth::storage {
namespace {

namespace fs = std::filesystem;

class PrepareFileBeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-beneath-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "outside");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Logs() const { return (dir_ / "logs").string(); }
  Code Refused(const std::string& rel) {
    try {
      PrepareFileBeneath(Logs(), rel, "log_path");
    } catch (const Error& e) {
      return e.code();
    }
    ADD_FAILURE() << rel << " accepted";
    return Code::kInternal;
  }
  fs::path dir_;
};

TEST_F(PrepareFileBeneathTest, MakesTheBaseAndTheDirsOnTheWay) {
  PrepareFileBeneath(Logs(), "app/0.log", "log_path");
  EXPECT_TRUE(fs::is_directory(dir_ / "logs" / "app"));
  EXPECT_FALSE(fs::exists(dir_ / "logs" / "app" / "0.log")) << "the file is the monitor's to create";
  std::ofstream(dir_ / "logs" / "app" / "0.log") << "x";
  EXPECT_NO_THROW(PrepareFileBeneath(Logs(), "app/0.log", "log_path"));
}

TEST_F(PrepareFileBeneathTest, AnExistingBaseKeepsItsMode) {
  fs::create_directories(dir_ / "logs");
  ::chmod((dir_ / "logs").c_str(), 0710);
  PrepareFileBeneath(Logs(), "a.log", "log_path");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "logs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0710u);
}

TEST_F(PrepareFileBeneathTest, SymlinksOnTheWayAreRefusedAndNothingIsMadeOutside) {
  fs::create_directories(dir_ / "logs");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "logs" / "app");
  EXPECT_EQ(Refused("app/sub/0.log"), Code::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(dir_ / "outside"));
  fs::create_symlink(dir_ / "outside" / "victim", dir_ / "logs" / "file.log");
  EXPECT_EQ(Refused("file.log"), Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ / "outside" / "victim"));
  EXPECT_EQ(Refused("../outside/x.log"), Code::kInvalidArgument);
  EXPECT_EQ(Refused("/abs.log"), Code::kInvalidArgument);
  fs::create_directories(dir_ / "logs" / "adir");
  EXPECT_EQ(Refused("adir"), Code::kInvalidArgument) << "a directory is no log file";
}

}  // namespace
}  // namespace berth::storage
