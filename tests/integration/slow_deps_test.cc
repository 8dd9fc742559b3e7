// Slow, stuck or dying dependencies against a real berthd: a CNI plugin that
// hangs, an OCI runtime that hangs, a monitor killed -9, a disk that fills
// up, and a container flooding its log. Each call fails (or the container
// ends) with a clear code after the configured time, and nothing is left.
// Bridge berthslw<N> on 10.188.<N>.0/24.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <fstream>

#include "tests/integration/container_fixture.h"
#include "tests/integration/leak_check.h"

namespace berth::testing {
namespace {


double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class SlowDepsTest : public ContainerFixture {
 protected:
  // Each test its own cgroup parent (its bridge's name): ctest runs them side by side.
  std::string Cgroup() const { return "/" + bridge_; }

  runtime::v1::RunPodSandboxRequest SlowPod(const std::string& name, const std::string& handler = "") {
    auto req = PodRequest(name);
    req.mutable_config()->mutable_linux()->set_cgroup_parent(Cgroup());
    req.set_runtime_handler(handler);
    return req;
  }

  // An executable script at <work>/<name>.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = work_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }

  void ExpectAllGone() {
    EXPECT_TRUE(ListPods().empty());
    EXPECT_TRUE(List().empty());
    ExpectNoProcessAndNothingLeaked(layout(), run_root(), work_ / "ipam", Cgroup());
  }
};

TEST_F(SlowDepsTest, AHangingCniPluginFailsRunPodSandboxAfterTheTimeoutAndCleansUp) {
  // After bridge and host-local have set up (an IP is reserved), the chain's
  // last plugin hangs on ADD; its DEL works.
  fs::create_directories(work_ / "cni-bin");
  const std::string plugin = work_ / "cni-bin/berth-hang";
  std::ofstream(plugin) << "#!/bin/sh\n"
                           "case \"$CNI_COMMAND\" in\n"
                           "  ADD) exec sleep 3600 ;;\n"
                           "  VERSION) echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"1.0.0\"]}' ;;\n"
                           "esac\n"
                           "exit 0\n";
  fs::permissions(plugin, fs::perms::owner_all);
  extra_plugins_.push_back({{"type", "berth-hang"}});
  StartBerthd(1, "berthslw", 188,
              "cni:\n  plugin_timeout: 2\n  bin_dirs: [\"" + std::string(work_ / "cni-bin") + "\", /usr/lib/cni]\n");
  const auto started = Clock::now();
  std::string id;
  const grpc::Status st = RunPodSandbox(*berthd_, SlowPod("hang-cni"), &id);
  const double took = SecondsSince(started);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_NE(st.error_message().find("berth-hang"), std::string::npos) << st.error_message();
  EXPECT_LT(took, 30) << "the 2 s plugin timeout did not end the call";
  ExpectAllGone();
}

TEST_F(SlowDepsTest, AHangingRuntimeFailsItsCallAfterTheTimeoutAndCleansUp) {
  // runc, except that `create` hangs while the flag file exists.
  const std::string flag = work_ / "hang-now";
  const std::string runtime = Script("hanging-runc",
                                     "if [ -e " + flag + " ]; then\n"
                                     "  for a in \"$@\"; do [ \"$a\" = create ] && exec sleep 3600; done\n"
                                     "fi\n"
                                     "exec runc \"$@\"\n");
  StartBerthd(2, "berthslw", 188,
              "runtime:\n  timeout: 3\n  handlers:\n    hangs: {path: \"" + runtime + "\"}\n");
  const std::string pod = MustRunPod(SlowPod("hang-rt", "hangs"));
  std::ofstream(flag) << "";

  auto req = CtrRequest(pod, "stuck", {"sleep", "60"});
  *req.mutable_sandbox_config() = SlowPod("hang-rt", "hangs").config();
  auto started = Clock::now();
  std::string id;
  grpc::Status st = Create(req, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_LT(SecondsSince(started), 30);
  EXPECT_TRUE(List().empty()) << "a timed-out create left a container";
  EXPECT_TRUE(DirNames(layout().ContainerRunDirs()).empty());
  EXPECT_TRUE(DirNames(layout().RuntimeRoot("hangs")).size() == 1) << "only the pause may be known to the runtime";

  started = Clock::now();
  std::string pod2;
  st = RunPodSandbox(*berthd_, SlowPod("hang-rt2", "hangs"), &pod2);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_LT(SecondsSince(started), 30);
  EXPECT_EQ(ListPods().size(), 1u) << "a timed-out RunPodSandbox left a pod";

  fs::remove(flag);
  ASSERT_TRUE(StopPod(pod).ok());
  ASSERT_TRUE(RemovePod(pod).ok());
  ExpectAllGone();
}

TEST_F(SlowDepsTest, AMonitorKilledLeavesTheContainerExitedWithAReasonAndRemovable) {
  StartBerthd(3, "berthslw", 188);
  const std::string pod = MustRunPod(SlowPod("lost-mon"));
  auto req = CtrRequest(pod, "orphan", {"sleep", "3600"});
  *req.mutable_sandbox_config() = SlowPod("lost-mon").config();
  const std::string id = MustRunContainer(req);
  const json info = CtrInfo(id);
  const pid_t monitor = info.at("monitorPid").get<pid_t>(), init = info.at("pid").get<pid_t>();
  ASSERT_GT(monitor, 0);
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_EXITED)) << berthd_->log();
  const auto status = Status(id).status();
  EXPECT_EQ(status.reason(), "MonitorLost");
  EXPECT_NE(status.message().find("monitor"), std::string::npos) << status.message();
  EXPECT_EQ(status.exit_code(), 255);
  EXPECT_TRUE(WaitFor([&] { return !fs::exists("/proc/" + std::to_string(init)); }, std::chrono::seconds(10)))
      << "the container's process " << init << " outlived its monitor: " << Slurp("/proc/" + std::to_string(init) + "/stat");
  ASSERT_TRUE(RemoveCtr(id).ok());
  ExpectNothingLeft(id);
  ASSERT_TRUE(StopPod(pod).ok());
  ASSERT_TRUE(RemovePod(pod).ok());
  ExpectAllGone();
}

TEST_F(SlowDepsTest, AFullDiskGivesResourceExhaustedOnCreateAndLeavesTheStoreConsistent) {
  // berthd's root on a small tmpfs: the test image fits, then a filler takes the rest.
  const std::string disk = work_ / "disk";
  fs::create_directories(disk);
  ASSERT_EQ(::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=48m"), 0);
  extra_args_ = {"--root", disk + "/root"};
  StartBerthd(4, "berthslw", 188);
  const std::string pod = MustRunPod(SlowPod("full"));
  {
    std::ofstream filler(disk + "/filler");
    const std::string mib(1 << 20, 'f');
    while (filler.write(mib.data(), static_cast<std::streamsize>(mib.size())) && filler.flush()) {
    }
  }
  auto req = CtrRequest(pod, "nospace", {"sleep", "60"});
  *req.mutable_sandbox_config() = SlowPod("full").config();
  std::string id;
  grpc::Status st = Create(req, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(DirNames(layout().ContainerRecords()).empty()) << JoinLines(DirNames(layout().ContainerRecords()));
  fs::remove(disk + "/filler");
  // The store is whole: the same create works once there is room.
  const std::string ok = MustRunContainer(req);
  ASSERT_TRUE(RemoveCtr(ok).ok());
  ASSERT_TRUE(StopPod(pod).ok());
  ASSERT_TRUE(RemovePod(pod).ok());
  TearDownBerthd(berthd_, bridge_);
  ::umount2(disk.c_str(), MNT_DETACH);
}

TEST_F(SlowDepsTest, AContainerFloodingItsLogDoesNotSlowOtherCalls) {
  StartBerthd(5, "berthslw", 188);
  const std::string pod = MustRunPod(SlowPod("flood"));
  auto quiet_req = CtrRequest(pod, "quiet", {"sleep", "3600"});
  *quiet_req.mutable_sandbox_config() = SlowPod("flood").config();
  const std::string quiet = MustRunContainer(quiet_req);
  // About 400 MB as fast as it can write, then quiet.
  auto req = CtrRequest(pod, "flood", {"sh", "-c", "yes 0123456789abcdef0123456789abcdef | head -c 400000000; sleep 3600"});
  *req.mutable_sandbox_config() = SlowPod("flood").config();
  const std::string flood = MustRunContainer(req);
  const std::string log = LogPath("flood", "flood");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(log) && fs::file_size(log) > (1 << 20); }, std::chrono::seconds(20)));
  double worst = 0;
  int calls = 0;
  const auto started = Clock::now();
  while (SecondsSince(started) < 4) {
    const auto t = Clock::now();
    runtime::v1::VersionResponse v;
    ASSERT_TRUE(berthd_->runtime().Version(Ctx(5).get(), {}, &v).ok());
    EXPECT_EQ(Status(quiet).status().state(), runtime::v1::CONTAINER_RUNNING);
    List();
    worst = std::max(worst, SecondsSince(t));
    ++calls;
  }
  const auto size = fs::file_size(log);
  std::cout << calls << " rounds of Version+ContainerStatus+ListContainers during the flood, the slowest "
            << worst * 1000 << " ms; the log grew to " << size << " bytes" << std::endl;
  EXPECT_GT(size, 8u << 20) << "the container did not flood";
  EXPECT_LT(worst, 2.0) << "calls stalled while a container flooded its log";
  ASSERT_TRUE(StopPod(pod).ok());
  ASSERT_TRUE(RemovePod(pod).ok());
  ExpectAllGone();
}

}  // namespace
}  // namespace berth::testing
