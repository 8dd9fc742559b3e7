#include "pod/cgroup_cleanup.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace berth::pod {
namespace {
namespace fs = std::filesystem;
using berth::testing::TempDir;

// Plain dirs stand in for hierarchies: an empty cgroup dir goes with rmdir, as they do.
TEST(CgroupCleanup, RemovesTheDirAndItsChildrenFromEveryHierarchyAndNothingAbove) {
  TempDir t;
  CgroupSupport cg;
  cg.hierarchies = {t / "memory", t / "pids", t / "unified"};
  fs::create_directories(t / "memory/kubepods/ctr1/child");
  fs::create_directories(t / "pids/kubepods/ctr1");
  fs::create_directories(t / "unified/kubepods/other");
  EXPECT_TRUE(RemoveCgroupLeftovers("/kubepods/ctr1", cg).empty());
  EXPECT_FALSE(fs::exists(t / "memory/kubepods/ctr1"));
  EXPECT_FALSE(fs::exists(t / "pids/kubepods/ctr1"));
  EXPECT_TRUE(fs::exists(t / "memory/kubepods"));
  EXPECT_TRUE(fs::exists(t / "unified/kubepods/other"));
}

TEST(CgroupCleanup, RefusesPathsThatAreEmptyTheRootOrClimb) {
  TempDir t;
  CgroupSupport cg;
  cg.hierarchies = {t / "memory"};
  fs::create_directories(t / "memory/a");
  fs::create_directories(t / "victim");
  for (const char* bad : {"", "/", "/a/../../victim", ".."}) {
    EXPECT_TRUE(RemoveCgroupLeftovers(bad, cg).empty()) << bad;
  }
  EXPECT_TRUE(fs::exists(t / "victim"));
  EXPECT_TRUE(fs::exists(t / "memory/a"));
}

TEST(CgroupCleanup, AFileWhereTheDirWouldBeIsLeftAlone) {
  TempDir t;
  CgroupSupport cg;
  cg.hierarchies = {t / "memory"};
  fs::create_directories(t / "memory/kubepods");
  std::ofstream(t / "memory/kubepods/ctr1") << "not a cgroup";
  EXPECT_TRUE(RemoveCgroupLeftovers("/kubepods/ctr1", cg).empty());
  EXPECT_TRUE(fs::exists(t / "memory/kubepods/ctr1"));
}

// A real v1 pids cgroup with a process left in it: the process is killed
// and the dir goes.
TEST(CgroupCleanup, AProcessLeftInTheCgroupIsKilledAndTheDirRemoved) {
  const std::string root = "/sys/fs/cgroup/pids";
  if (::geteuid() != 0 || !fs::exists(root + "/cgroup.procs")) GTEST_SKIP() << "needs root and a v1 pids hierarchy";
  const std::string rel = "/berth-unit-cleanup-" + std::to_string(::getpid());
  ASSERT_TRUE(fs::create_directory(root + rel));
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  std::ofstream(root + rel + "/cgroup.procs") << child << std::endl;
  CgroupSupport cg;
  cg.hierarchies = {root};
  EXPECT_TRUE(RemoveCgroupLeftovers(rel, cg).empty());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(fs::exists(root + rel));
  ::rmdir((root + rel).c_str());
}

}  // namespace
}  // namespace berth::pod
