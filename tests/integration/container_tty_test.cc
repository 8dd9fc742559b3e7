// A tty container through the CRI against a real berthd, runc and
// berth-conmon (bridge berthtty0, subnet 10.197.1.0/24; the test busybox
// image from a docker-registry on 127.0.0.1): its stdio is a pty and what it
// prints lands in the CRI log as stdout lines.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/integration/berthd_harness.h"
#include "tests/support/registry.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class ContainerTtyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (runc, network namespaces, mounts)";
    reg_ = std::make_unique<TestRegistry>();
    reg_->PushTestImages("test/busybox");
    json conf = {{"cniVersion", "1.0.0"},
                 {"name", "net-berthtty0"},
                 {"plugins",
                  {{{"type", "bridge"},
                    {"bridge", "berthtty0"},
                    {"ipam",
                     {{"type", "host-local"},
                      {"ranges", {{{{"subnet", "10.197.1.0/24"}}}}},
                      {"dataDir", work_ / "ipam"}}}}}}};
    Berthd::Options o;
    o.cni_conflist = conf.dump(2);
    o.config_yaml = "images:\n  registries:\n    \"" + reg_->host() + "\": {insecure: true}\n";
    berthd_ = std::make_unique<Berthd>(std::move(o));
    runtime::v1::PullImageRequest pull;
    pull.mutable_image()->set_image(Image());
    runtime::v1::PullImageResponse resp;
    auto st = berthd_->images().PullImage(Ctx(120).get(), pull, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void TearDown() override {
    if (berthd_ && berthd_->running()) {
      if (!pod_.empty()) {
        runtime::v1::RemovePodSandboxRequest r;
        r.set_pod_sandbox_id(pod_);
        runtime::v1::RemovePodSandboxResponse resp;
        berthd_->runtime().RemovePodSandbox(Ctx(60).get(), r, &resp);
      }
      berthd_->Stop();
    }
    if (berthd_) ::umount2((std::string(berthd_->dir() / "run") + "/netns").c_str(), MNT_DETACH);
    berthd_.reset();
    Sh("ip link del berthtty0");
  }

  std::string Image() const { return reg_->host() + "/test/busybox:amd64"; }

  std::unique_ptr<TestRegistry> reg_;
  TempDir work_;
  std::unique_ptr<Berthd> berthd_;
  std::string pod_;
};

TEST_F(ContainerTtyTest, TtyContainerGetsAPtyAndItsOutputIsLogged) {
  runtime::v1::RunPodSandboxRequest run;
  auto* pc = run.mutable_config();
  pc->mutable_metadata()->set_name("tty");
  pc->mutable_metadata()->set_namespace_("container-tty-test");
  pc->mutable_metadata()->set_uid("uid-tty");
  std::filesystem::create_directories(work_ / "logs");
  pc->set_log_directory(work_ / "logs");
  runtime::v1::RunPodSandboxResponse ran;
  auto st = berthd_->runtime().RunPodSandbox(Ctx(120).get(), run, &ran);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << berthd_->log();
  pod_ = ran.pod_sandbox_id();

  runtime::v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_);
  auto* c = req.mutable_config();
  c->mutable_metadata()->set_name("tty");
  c->mutable_image()->set_image(Image());
  for (const char* a : {"sh", "-c", "tty; echo hi >&2; exit 3"}) c->add_command(a);
  c->set_tty(true);
  c->set_log_path("tty.log");
  *req.mutable_sandbox_config() = run.config();
  runtime::v1::CreateContainerResponse created;
  st = berthd_->runtime().CreateContainer(Ctx(60).get(), req, &created);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << berthd_->log();
  runtime::v1::StartContainerRequest start;
  start.set_container_id(created.container_id());
  runtime::v1::StartContainerResponse started;
  st = berthd_->runtime().StartContainer(Ctx(30).get(), start, &started);
  ASSERT_TRUE(st.ok()) << st.error_message();

  runtime::v1::ContainerStatusRequest sreq;
  sreq.set_container_id(created.container_id());
  runtime::v1::ContainerStatusResponse status;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    st = berthd_->runtime().ContainerStatus(Ctx().get(), sreq, &status);
    ASSERT_TRUE(st.ok()) << st.error_message();
  } while (status.status().state() != runtime::v1::CONTAINER_EXITED && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(status.status().state(), runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(status.status().exit_code(), 3);

  // "<ts> <stream> <tag> <content>": both lines (stderr too: one tty) as stdout.
  std::vector<std::string> lines;
  std::istringstream in(Slurp(std::string(work_ / "logs") + "/tty.log"));
  for (std::string line; std::getline(in, line);) lines.push_back(line.substr(line.find(' ') + 1));
  EXPECT_EQ(lines, (std::vector<std::string>{"stdout F /dev/pts/0", "stdout F hi"}));
}

}  // namespace
}  // namespace berth::testing
