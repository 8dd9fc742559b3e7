// A configured pause image (pause.image) in place of the built-in pause
// rootfs: pulled from a registry on 127.0.0.1, pinned, run read-only.
// The image (hack/build-pause-image.sh) holds berth-pause at
// /usr/bin/pod-pause, so its process cannot be mistaken for the built-in
// /pause.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>

#include "tests/integration/image_calls.h"
#include "tests/integration/sandbox_fixture.h"
#include "tests/support/registry.h"

namespace berth::testing {
namespace {

constexpr const char* kPausePath = "/usr/bin/pod-pause";

class PauseImageTest : public SandboxTest {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    layout_ = new TempDir();
    RunOrThrow({"/bin/bash", std::string(BERTH_SOURCE_DIR) + "/hack/build-pause-image.sh", layout_->path().string(),
                BERTH_PAUSE_BIN, kPausePath, "test"});
    reg_ = new TestRegistry();
    reg_->PushLayout(layout_->path().string(), "test/pause");
  }
  static void TearDownTestSuite() {
    delete reg_;
    reg_ = nullptr;
    delete layout_;
    layout_ = nullptr;
  }

  static std::string Ref() { return reg_->host() + "/test/pause:test"; }

  void StartWithPauseImage(int n, const std::string& ref) {
    StartBerthd(n, nullptr, {"--pause-image", ref},
                "images:\n  registries:\n    \"" + reg_->host() + "\": {insecure: true}\n");
  }

  std::string RootfsMount(const std::string& id) { return config::Layout::Rootfs(layout().SandboxRunDir(id)); }

  static TempDir* layout_;
  static TestRegistry* reg_;
};

TempDir* PauseImageTest::layout_ = nullptr;
TestRegistry* PauseImageTest::reg_ = nullptr;

// The options of the mount at `mount_point` in a process's mount table.
std::string MountOptions(pid_t pid, const std::string& mount_point) {
  std::istringstream in(Slurp("/proc/" + std::to_string(pid) + "/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, options;
    if (f >> id >> parent >> dev >> root >> point >> options && point == mount_point) return options;
  }
  return "";
}

TEST_F(PauseImageTest, PodRunsTheImagesCommandReadOnlyAndSurvivesARestart) {
  StartWithPauseImage(41, Ref());
  // Nothing is pulled until a pod needs it.
  EXPECT_FALSE(ImageStatus(*berthd_, Ref()).has_image());
  const std::string id = MustRun(PodRequest("img"));
  const auto image = ImageStatus(*berthd_, Ref());
  ASSERT_TRUE(image.has_image());
  EXPECT_TRUE(image.image().pinned());

  const json info = Info(id);
  EXPECT_EQ(info.at("pauseImage"), image.image().id());
  EXPECT_EQ(info.at("runtimeSpec").at("root").at("path"), RootfsMount(id));
  const pid_t pid = info.at("pid").get<pid_t>();
  ASSERT_TRUE(ProcessAlive(pid));
  EXPECT_EQ(Trim(Slurp("/proc/" + std::to_string(pid) + "/cmdline").c_str()), kPausePath);
  const std::string status = Slurp("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("Uid:\t65535\t65535\t65535\t65535\n"), std::string::npos) << status;  // the image's User
  EXPECT_NE((" " + MountOptions(pid, "/") + ",").find("ro,"), std::string::npos) << MountOptions(pid, "/");
  EXPECT_NE(MountOptions(::getpid(), RootfsMount(id)), "") << "no overlay at " << RootfsMount(id);
  const std::string ip = Status(id).status().network().ip();
  EXPECT_TRUE(ip.starts_with(subnet_prefix_)) << ip;

  // Pinned: RemoveImage refuses it while berthd runs pods from it.
  auto st = RemoveImage(*berthd_, Ref());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();

  berthd_->Stop(SIGKILL);
  berthd_->Start();
  EXPECT_EQ(Status(id).status().state(), runtime::v1::SANDBOX_READY);
  EXPECT_TRUE(ProcessAlive(pid));
  // A second pod reuses the stored image.
  const std::string second = MustRun(PodRequest("img2"));
  EXPECT_EQ(Info(second).at("pauseImage"), image.image().id());

  ASSERT_TRUE(Stop(id).ok());
  EXPECT_EQ(MountOptions(::getpid(), RootfsMount(id)), "") << "rootfs still mounted after stop";
  EXPECT_TRUE(Stop(id).ok());
  ASSERT_TRUE(Remove(id).ok());
  EXPECT_TRUE(Remove(id).ok());
  ExpectGone(id, pid, ip);
  const pid_t second_pid = PausePid(second);
  ASSERT_TRUE(Remove(second).ok());
  ExpectGone(second, second_pid, "");
}

TEST_F(PauseImageTest, AnUnpullableImageFailsTheRunNamingItAndLeaksNothing) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const std::string ref = "127.0.0.1:1/test/pause:none";
  StartWithPauseImage(42, ref);
  std::string id;
  auto st = Run(PodRequest("nopull"), &id);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error_message().find("pause.image"), std::string::npos) << st.error_message();
  EXPECT_NE(st.error_message().find(ref), std::string::npos) << st.error_message();
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(fs::is_empty(layout().NetnsDir()));
  EXPECT_TRUE(fs::is_empty(layout().SandboxRunDirs()));
  if (fs::exists(ipam_dir() + "/" + net_name())) {
    for (const auto& e : fs::directory_iterator(ipam_dir() + "/" + net_name())) {
      EXPECT_FALSE(e.path().filename().string().starts_with(subnet_prefix_)) << e.path() << " is allocated";
    }
  }
  EXPECT_EQ(Slurp("/proc/self/mountinfo").find(layout().SandboxRunDirs() + "/"), std::string::npos);
}

}  // namespace
}  // namespace berth::testing
