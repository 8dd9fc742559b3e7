// berthd as a process: served over its unix socket, locked against a second
// instance, configured from files and flags, shut down gracefully.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <filesystem>

#include "tests/integration/berthd_harness.h"

namespace berth::testing {
namespace {

using runtime::v1::RuntimeCondition;

TEST(Daemon, AnswersVersionOverItsSocket) {
  Berthd d;
  runtime::v1::VersionRequest req;
  runtime::v1::VersionResponse resp;
  ASSERT_TRUE(d.runtime().Version(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.runtime_name(), "berth");
  EXPECT_EQ(resp.runtime_api_version(), "v1");
}

TEST(Daemon, SocketIsMode0660) {
  Berthd d;
  struct stat st {};
  ASSERT_EQ(::stat(d.socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST(Daemon, StatusFollowsTheCniConfDir) {
  Berthd d;
  runtime::v1::StatusRequest req;
  req.set_verbose(true);
  runtime::v1::StatusResponse resp;
  ASSERT_TRUE(d.runtime().Status(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.status().conditions_size(), 2);
  EXPECT_TRUE(resp.status().conditions(0).status());
  EXPECT_FALSE(resp.status().conditions(1).status());
  EXPECT_EQ(resp.status().conditions(1).reason(), "NetworkPluginNotReady");
  EXPECT_EQ(nlohmann::json::parse(resp.info().at("config"))["root"], d.dir() / "root");

  d.dir().Write("cni/10-pods.conflist", R"({"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge"}]})");
  resp.Clear();
  ASSERT_TRUE(d.runtime().Status(Ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.status().conditions(1).status());
}

TEST(Daemon, UnimplementedRpcsNameThemselves) {
  Berthd d;
  {
    runtime::v1::CheckpointContainerRequest req;
    runtime::v1::CheckpointContainerResponse resp;
    auto st = d.runtime().CheckpointContainer(Ctx().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_NE(st.error_message().find("CheckpointContainer"), std::string::npos);
  }
  {
    auto ctx = Ctx();
    runtime::v1::StreamImagesRequest req;
    auto reader = d.images().StreamImages(ctx.get(), req);
    runtime::v1::StreamImagesResponse msg;
    EXPECT_FALSE(reader->Read(&msg));
    auto st = reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_NE(st.error_message().find("StreamImages"), std::string::npos);
  }
  {
    auto ctx = Ctx();
    runtime::v1::StreamContainersRequest req;
    auto reader = d.runtime().StreamContainers(ctx.get(), req);
    runtime::v1::StreamContainersResponse msg;
    EXPECT_FALSE(reader->Read(&msg));
    auto st = reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_NE(st.error_message().find("StreamContainers"), std::string::npos);
  }
}

TEST(Daemon, SecondBerthdOnTheSameSocketRefusesAndTheFirstKeepsServing) {
  Berthd first;
  ExitResult second = Berthd::Run(first.args());
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.output.find("another berthd (pid " + std::to_string(first.pid()) + ")"), std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find(first.endpoint()), std::string::npos) << second.output;

  runtime::v1::VersionResponse resp;
  EXPECT_TRUE(first.runtime().Version(Ctx().get(), {}, &resp).ok());
  EXPECT_TRUE(std::filesystem::exists(first.socket_path()));
}

TEST(Daemon, SigtermAndSigintShutDownGracefullyAndRemoveTheSocket) {
  for (int sig : {SIGTERM, SIGINT}) {
    Berthd d;
    EXPECT_EQ(d.Stop(sig), 0) << d.log();
    EXPECT_FALSE(std::filesystem::exists(d.socket_path()));
    EXPECT_NE(d.log().find("shutting down"), std::string::npos) << d.log();
  }
}

TEST(Daemon, StartsAfterAKillNineLeftAStaleSocket) {
  Berthd d;
  EXPECT_EQ(d.Stop(SIGKILL), -1);
  ASSERT_TRUE(std::filesystem::exists(d.socket_path()));
  d.Start();
  runtime::v1::VersionResponse resp;
  EXPECT_TRUE(d.runtime().Version(Ctx().get(), {}, &resp).ok());
  EXPECT_NE(d.log().find("removing stale socket"), std::string::npos);
}

TEST(Daemon, ConfigFileErrorsExitNonZeroNamingFileLineAndKey) {
  TempDir t;
  std::string unknown = t.Write("unknown.yaml", "root: /tmp/x\nruntime:\n  handlerz: {}\n");
  ExitResult r = Berthd::Run({"serve", "--config", unknown, "--config-dir", ""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(unknown + ":3:3: key 'runtime.handlerz': unknown key"), std::string::npos) << r.output;

  std::string wrong_type = t.Write("type.yaml", "images:\n  max_parallel_downloads: three\n");
  r = Berthd::Run({"serve", "--config", wrong_type, "--config-dir", ""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(wrong_type + ":2:27: key 'images.max_parallel_downloads': expected a number"),
            std::string::npos)
      << r.output;

  r = Berthd::Run({"serve", "--config", t / "absent.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("does not exist"), std::string::npos);

  r = Berthd::Run({"serve", "--bogus-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown flag '--bogus-flag'"), std::string::npos);
}

TEST(Daemon, ConfigCommandPrintsTheEffectiveConfigFromFileDropInsAndFlags) {
  TempDir t;
  std::string main = t.Write("berth.yaml", "log_level: warn\nruntime: {default_handler: crun}\n");
  t.Write("d/10-a.yaml", "cni: {conf_dir: /srv/cni}\n");
  ExitResult r = Berthd::Run({"config", "--config", main, "--config-dir", t / "d", "--root", "/srv/berth"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("log_level: warn"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("default_handler: crun"), std::string::npos);
  EXPECT_NE(r.output.find("conf_dir: /srv/cni"), std::string::npos);
  EXPECT_NE(r.output.find("root: /srv/berth"), std::string::npos);

  // The printed config is itself a valid config that yields the same output.
  std::string dumped = t.Write("dumped.yaml", r.output);
  ExitResult again = Berthd::Run({"config", "--config", dumped, "--config-dir", ""});
  EXPECT_EQ(again.output, r.output);
}

}  // namespace
}  // namespace berth::testing
