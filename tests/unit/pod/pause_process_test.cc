// What the pause process runs: built-in /pause or a pause image's command.
#include "pod/pause_process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/base/error.h"
#include "tests/support/pod_sandbox.h"

namespace berth::pod {
namespace {

using nlohmann::json;

PauseImage Image(json config) {
  json body = {{"architecture", "amd64"}, {"os", "linux"}, {"config", std::move(config)},
               {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  return {"registry.example/pause:1", "sha256:" + std::string(64, 'c'), {}, body.dump()};
}

std::optional<Code> CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

TEST(PauseProcess, BuiltinRunsPauseUnprivileged) {
  const PauseProcess p = BuiltinPauseProcess(testing::PodSandbox());
  EXPECT_EQ(p.args, std::vector<std::string>{"/pause"});
  EXPECT_EQ(p.cwd, "/");
  EXPECT_EQ(p.user.uid, 65535u);
  EXPECT_EQ(p.user.gid, 65535u);
  ASSERT_EQ(p.env.size(), 1u);
  EXPECT_EQ(p.env[0].rfind("PATH=", 0), 0u);
}

TEST(PauseProcess, PodRunAsUserAndGroupWin) {
  Sandbox sb = testing::PodSandbox();
  sb.run_as_user = 1000;
  sb.run_as_group = 2000;
  EXPECT_EQ(BuiltinPauseProcess(sb).user.uid, 1000u);
  EXPECT_EQ(BuiltinPauseProcess(sb).user.gid, 2000u);
  const PauseProcess p = ImagePauseProcess(sb, Image({{"Entrypoint", {"/pause"}}, {"User", "7:7"}}), "", "");
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 2000u);
}

TEST(PauseProcess, ImageEntrypointThenCmdEnvAndWorkingDir) {
  const PauseProcess p =
      ImagePauseProcess(testing::PodSandbox(),
                        Image({{"Entrypoint", {"/bin/pause", "-v"}},
                               {"Cmd", {"--quiet"}},
                               {"Env", {"PATH=/bin", "A=1"}},
                               {"WorkingDir", "/w"}}),
                        "", "");
  EXPECT_EQ(p.args, (std::vector<std::string>{"/bin/pause", "-v", "--quiet"}));
  EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/bin", "A=1"}));
  EXPECT_EQ(p.cwd, "/w");
}

TEST(PauseProcess, ImageWithoutPathGetsTheDefaultOne) {
  const PauseProcess p = ImagePauseProcess(testing::PodSandbox(), Image({{"Cmd", {"/pause"}}, {"Env", {"A=1"}}}), "", "");
  ASSERT_EQ(p.env.size(), 2u);
  EXPECT_EQ(p.env[1].rfind("PATH=", 0), 0u);
  EXPECT_EQ(p.cwd, "/");
}

TEST(PauseProcess, ImageUserNumericNamedOrUnset) {
  const Sandbox sb = testing::PodSandbox();
  EXPECT_EQ(ImagePauseProcess(sb, Image({{"Cmd", {"/p"}}, {"User", "65535:65535"}}), "", "").user.uid, 65535u);
  const std::string passwd = "pause:x:123:456::/:/sbin/nologin\n";
  const PauseProcess named = ImagePauseProcess(sb, Image({{"Cmd", {"/p"}}, {"User", "pause"}}), passwd, "");
  EXPECT_EQ(named.user.uid, 123u);
  EXPECT_EQ(named.user.gid, 456u);
  // No User: unprivileged, not root.
  const PauseProcess unset = ImagePauseProcess(sb, Image({{"Cmd", {"/p"}}}), "", "");
  EXPECT_EQ(unset.user.uid, 65535u);
  EXPECT_EQ(unset.user.gid, 65535u);
}

TEST(PauseProcess, BadImagesAreRefusedClearly) {
  const Sandbox sb = testing::PodSandbox();
  EXPECT_EQ(CodeOf([&] { ImagePauseProcess(sb, Image({{"User", "1"}}), "", ""); }),
            Code::kFailedPrecondition);
  EXPECT_EQ(CodeOf([&] { ImagePauseProcess(sb, Image({{"Cmd", {"/p"}}, {"WorkingDir", "rel"}}), "", ""); }),
            Code::kFailedPrecondition);
  EXPECT_EQ(CodeOf([&] { ImagePauseProcess(sb, Image({{"Cmd", {"/p"}}, {"User", "nobody"}}), "", ""); }),
            Code::kInvalidArgument);
  Sandbox group_only = sb;
  group_only.run_as_group = 5;
  EXPECT_EQ(CodeOf([&] { BuiltinPauseProcess(group_only); }), Code::kInvalidArgument);
  try {
    ImagePauseProcess(sb, Image({{"Env", {"A=1"}}}), "", "");
    FAIL() << "no command accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("registry.example/pause:1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace berth::pod
