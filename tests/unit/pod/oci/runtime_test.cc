#include "pod/oci/runtime.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"
#include "tests/unit/pod/oci/fake_runtime.h"

namespace berth::pod::oci {
namespace {

TEST(OciRuntimeTest, KillOfAContainerThatDoesNotRunIsFalseNotAnError) {
  testing::FakeRuntime fake;
  const Runtime rt("fake", fake.path, fake.root);
  EXPECT_FALSE(rt.Kill("c1", "TERM"));
  fake.Set("running", "");
  EXPECT_TRUE(rt.Kill("c1", "KILL", true));
  EXPECT_EQ(fake.Calls(), "kill c1 TERM\nkill --all c1 KILL\n");
}

TEST(OciRuntimeTest, StateOfAnUnknownContainerIsNulloptAndListParses) {
  testing::FakeRuntime fake;
  const Runtime rt("fake", fake.path, fake.root);
  EXPECT_FALSE(rt.State("c1").has_value());
  fake.Set("state", R"({"id":"c1","status":"running"})");
  EXPECT_EQ(rt.State("c1")->value("status", ""), "running");
  fake.Set("list", R"([{"id":"a"},{"id":"b"}])");
  EXPECT_EQ(rt.List().size(), 2u);
  fake.Set("state", "not json");
  EXPECT_THROW(rt.State("c1"), Error);
}

TEST(OciRuntimeTest, AFailedCallSaysTheCommandTheHandlerAndTheRuntimesWords) {
  testing::FakeRuntime fake;
  fake.Set("start_fails", "");
  const Runtime rt("fake", fake.path, fake.root);
  try {
    rt.Start("c1");
    FAIL() << "start succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInternal);
    const std::string what = e.what();
    EXPECT_NE(what.find(fake.path + " start c1 (runtime handler fake) failed with exit code 1"), std::string::npos)
        << what;
    EXPECT_NE(what.find("exec: no such file"), std::string::npos) << what;
  }
  rt.Delete("c1");  // delete --force of what may be gone is fine
}

TEST(OciRuntimeTest, AFailedDeleteCountsOnlyWhileTheRuntimeStillKnowsTheContainer) {
  testing::FakeRuntime fake;
  fake.Set("delete_fails", "destroying container: container \"c1\" not found");
  const Runtime rt("fake", fake.path, fake.root);
  rt.Delete("c1");  // the runtime's state says it is gone: deleted
  EXPECT_EQ(fake.Calls(), "delete --force c1\nstate c1\n");
  fake.Set("state", R"({"id":"c1","status":"stopped"})");
  try {
    rt.Delete("c1");
    FAIL() << "a delete that left the container passed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInternal);
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
  }
}

TEST(OciRuntimeTest, AHandlerWithoutRootGetsOneUnderTheRunRoot) {
  config::Config cfg;
  cfg.run_root = "/run/x";
  config::RuntimeHandler h, k;
  h.path = "/bin/h";
  k.path = "/bin/k";
  k.root = "/opt/k";
  cfg.runtime.handlers = {{"h", h}, {"k", k}};
  EXPECT_EQ(Runtime::ForHandler(cfg, "h").root(), "/run/x/runtimes/h");
  EXPECT_EQ(Runtime::ForHandler(cfg, "k").root(), "/opt/k");
  EXPECT_THROW(Runtime::ForHandler(cfg, "none"), Error);
}

}  // namespace
}  // namespace berth::pod::oci
