#include "pod/oci/container.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "pod/oci/recovery.h"
#include "storage/base/error.h"
#include "tests/unit/pod/oci/fake_runtime.h"

namespace berth::pod::oci {
namespace {

using namespace std::chrono_literals;

class OciContainerTest : public ::testing::Test {
 protected:
  testing::FakeRuntime fake_;
  Container c_{Runtime("fake", fake_.path, fake_.root), "c1", fake_.run_dir};
};

TEST_F(OciContainerTest, StopAsksNicelyAndStopsThereWhenItExits) {
  fake_.Set("running", "");
  fake_.Set("dies_on", "TERM\n");
  c_.Stop("TERM", 5s, "container c1");
  EXPECT_EQ(fake_.Calls(), "kill c1 TERM\n");
  ASSERT_TRUE(c_.Exit().has_value());
  EXPECT_EQ(c_.Exit()->exit_code, 137);
}

TEST_F(OciContainerTest, StopKillsEveryProcessAfterTheGracePeriod) {
  fake_.Set("running", "");
  fake_.Set("dies_on", "KILL\n");
  fake_.Set("state", R"({"status":"running"})");
  c_.Stop("SIGQUIT", 100ms, "container c1");
  EXPECT_EQ(fake_.Calls().find("kill c1 SIGQUIT\n"), 0u) << fake_.Calls();
  EXPECT_NE(fake_.Calls().find("kill --all c1 KILL\n"), std::string::npos) << fake_.Calls();
  EXPECT_TRUE(c_.Exit().has_value());
}

TEST_F(OciContainerTest, NoGraceMeansNoStopSignalAndAnExitedOneIsLeftAlone) {
  fake_.Set("running", "");
  fake_.Set("dies_on", "KILL\n");
  c_.Stop("TERM", 0ms, "container c1");
  EXPECT_EQ(fake_.Calls(), "kill --all c1 KILL\n");
  c_.Stop("TERM", 5s, "container c1");
  EXPECT_EQ(fake_.Calls(), "kill --all c1 KILL\n") << "the exit file says it is gone: no runtime call";
}

TEST_F(OciContainerTest, WithoutAMonitorTheRuntimesStoppedIsAnExit) {
  fake_.Set("state", R"({"status":"stopped"})");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c_.WaitExited(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  fake_.Set("state", R"({"status":"running"})");
  EXPECT_FALSE(c_.WaitExited(50ms));
}

TEST_F(OciContainerTest, KillAndDeleteForgetsItAndInfoShowsTheSpecWhileItIsThere) {
  EXPECT_TRUE(c_.Info()["runtimeSpec"].is_null());
  std::filesystem::create_directories(fake_.run_dir + "/bundle");
  std::ofstream(fake_.run_dir + "/bundle/config.json") << R"({"ociVersion":"1.0.2"})";
  const nlohmann::json info = c_.Info();
  EXPECT_EQ(info["runtimeSpec"]["ociVersion"], "1.0.2");
  EXPECT_EQ(info["runtimeHandler"], "fake");
  EXPECT_EQ(info["runDir"], fake_.run_dir);
  c_.KillAndDelete();
  EXPECT_EQ(fake_.Calls(), "kill --all c1 KILL\ndelete --force c1\n") << "not running: no wait, straight to delete";
}

TEST(OciSweepTest, DeletesOnlyUnknownContainersWhoseBundleIsUnderTheRunDirs) {
  testing::FakeRuntime fake;
  const std::string run_dirs = (fake.dir.path() / "run").string();
  fake.Set("list", R"([{"id":"orphan","bundle":")" + run_dirs + R"(/orphan/bundle"},
                       {"id":"known","bundle":")" + run_dirs + R"(/known/bundle"},
                       {"id":"foreign","bundle":"/elsewhere/foreign/bundle"}])");
  config::Config cfg;
  config::RuntimeHandler handler;
  handler.path = fake.path;
  handler.root = fake.root;
  cfg.runtime.handlers = {{"fake", handler}};
  SweepOrphans(cfg, run_dirs, {"known"}, "container");
  EXPECT_EQ(fake.Calls(), "list --format json\nkill --all orphan KILL\ndelete --force orphan\n");
}

}  // namespace
}  // namespace berth::pod::oci
