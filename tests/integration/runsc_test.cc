// Runtime handler runsc (gVisor, handler type sandbox) against a real berthd,
// runsc and runc (bridge berthgv<N>, 10.189.<N>.0/24): a gVisor pod gets an
// IP and reaches a runc neighbour over the bridge, its containers run on
// gVisor's kernel, ExecSync, logs, stats, stop, remove and a berthd restart
// work, and afterwards nothing of it is left: mounts, netns, runsc state,
// cgroups, IPs, processes (zombies included).
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/container_fixture.h"

namespace berth::testing {
namespace {

constexpr const char* kRunsc = "/usr/bin/runsc";

class RunscTest : public ContainerFixture {
 protected:
  void SetUp() override {
    ContainerFixture::SetUp();
    if (IsSkipped()) return;
    if (::access(kRunsc, X_OK) != 0) GTEST_SKIP() << kRunsc << " is not installed";
  }

  std::string RunscPod(const std::string& name) {
    auto req = PodRequest(name);
    req.set_runtime_handler("runsc");
    return MustRunPod(req);
  }

  std::string PodIp(const std::string& pod) { return PodStatus(pod).status().network().ip(); }

  runtime::v1::ExecSyncResponse Run(const std::string& id, const std::string& script, int timeout = 20) {
    runtime::v1::ExecSyncResponse r;
    auto st = Exec(id, {"sh", "-c", script}, timeout, &r);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return r;
  }

  std::string RunscList() {
    return Sh(std::string(kRunsc) + " --root " + layout().RuntimeRoot("runsc") + " list -quiet").second;
  }

  // Processes naming `id` in their command line (monitors, runsc's sandbox
  // and gofers), and zombies berthd has not reaped.
  std::string ProcessesOf(const std::string& id) {
    return Sh("ps -eo pid,ppid,stat,args | grep -F " + id + " | grep -v grep; ps -eo pid,ppid,stat,args | awk '$2 == " +
              std::to_string(berthd_->pid()) + " && $3 ~ /Z/'")
        .second;
  }
};

TEST_F(RunscTest, GvisorPodRunsEndToEndBesideARuncPod) {
  StartBerthd(1, "berthgv", 189);

  // The runc neighbour serves a page on the bridge.
  const std::string web = RunPod("web");
  auto web_req = CtrRequest(web, "httpd", {"sh", "-c", "mkdir -p /www && echo neighbour-page > /www/index.html && "
                                                       "exec httpd -f -p 8080 -h /www"});
  MustRunContainer(web_req);
  const std::string web_ip = PodIp(web);
  ASSERT_FALSE(web_ip.empty());

  const std::string pod = RunscPod("gvisor");
  const std::string ip = PodIp(pod);
  ASSERT_FALSE(ip.empty()) << berthd_->log();
  EXPECT_EQ(PodStatus(pod).status().runtime_handler(), "runsc");
  const std::string ctr =
      MustRunContainer(CtrRequest(pod, "app", {"sh", "-c", "echo app-started; exec sleep 1000"}));
  ASSERT_TRUE(WaitFor([&] { return Stdout("gvisor", "app").find("app-started") != std::string::npos; },
                      std::chrono::seconds(20)))
      << Slurp(LogPath("gvisor", "app")) << berthd_->log();

  // gVisor's kernel, the pod's address, the pause as PID 1 of the pod.
  EXPECT_NE(Run(ctr, "dmesg").stdout().find("gVisor"), std::string::npos);
  EXPECT_NE(Run(ctr, "ip -4 addr show eth0").stdout().find(ip + "/"), std::string::npos);
  EXPECT_NE(Run(ctr, "cat /proc/1/cmdline").stdout().find("pause"), std::string::npos);
  // nc, not wget: busybox's wget segfaults on gVisor 2022's ptrace platform.
  std::string page;
  EXPECT_TRUE(WaitFor(
      [&] {
        page = Run(ctr, "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc " + web_ip + " 8080").stdout();
        return page.find("neighbour-page") != std::string::npos;
      },
      std::chrono::seconds(15)))
      << page;

  auto r = Run(ctr, "echo out; echo err >&2; exit 7");
  EXPECT_EQ(r.exit_code(), 7);
  EXPECT_EQ(r.stdout(), "out\n");
  EXPECT_EQ(r.stderr(), "err\n");
  // A timed-out command is killed inside the sandbox, not only runsc's exec.
  runtime::v1::ExecSyncResponse slow;
  EXPECT_EQ(Exec(ctr, {"sleep", "77"}, 1, &slow).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(WaitFor([&] { return Run(ctr, "ps").stdout().find("sleep 77") == std::string::npos; },
                      std::chrono::seconds(10)));

  // Usage from runsc's own figures (its cgroups hold the whole sandbox).
  runtime::v1::ContainerStatsRequest sreq;
  sreq.set_container_id(ctr);
  runtime::v1::ContainerStatsResponse sresp;
  ASSERT_TRUE(berthd_->runtime().ContainerStats(Ctx().get(), sreq, &sresp).ok());
  EXPECT_GT(sresp.stats().cpu().usage_core_nano_seconds().value(), 0u);
  EXPECT_GT(sresp.stats().memory().working_set_bytes().value(), 0u);

  // What runsc cannot do is said, not failed obscurely.
  runtime::v1::UpdateContainerResourcesRequest ureq;
  ureq.set_container_id(ctr);
  ureq.mutable_linux()->set_cpu_shares(512);
  runtime::v1::UpdateContainerResourcesResponse uresp;
  auto ust = berthd_->runtime().UpdateContainerResources(Ctx().get(), ureq, &uresp);
  EXPECT_EQ(ust.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(ust.error_message().find("runsc"), std::string::npos) << ust.error_message();

  // berthd killed -9 and restarted: the pod and its container kept running.
  berthd_->Stop(SIGKILL);
  berthd_->Start();
  EXPECT_EQ(Status(ctr).status().state(), runtime::v1::CONTAINER_RUNNING);
  EXPECT_EQ(Run(ctr, "echo still-here").stdout(), "still-here\n");

  // A container created and never started goes with RemoveContainer.
  const std::string idle = MustCreate(CtrRequest(pod, "idle", {"sleep", "1000"}));
  EXPECT_TRUE(RemoveCtr(idle).ok());
  ExpectNothingLeft(idle);
  // Its monitor exits at once; berthd reaps it within a second.
  EXPECT_TRUE(WaitFor([&] { return ProcessesOf(idle).empty(); }, std::chrono::seconds(5))) << ProcessesOf(idle);

  // A start that fails (no such binary) ends the container and its monitor.
  const std::string broken = MustCreate(CtrRequest(pod, "broken", {"/no/such/binary"}));
  EXPECT_FALSE(Start(broken).ok());
  EXPECT_EQ(Status(broken).status().state(), runtime::v1::CONTAINER_EXITED);
  EXPECT_TRUE(WaitFor([&] { return ProcessesOf(broken).empty(); }, std::chrono::seconds(5))) << ProcessesOf(broken);
  EXPECT_TRUE(RemoveCtr(broken).ok());
  ExpectNothingLeft(broken);

  const auto ctr_stopped = Stop(ctr, 5);
  ASSERT_TRUE(ctr_stopped.ok()) << ctr_stopped.error_message() << "\n" << berthd_->log();
  EXPECT_EQ(Status(ctr).status().state(), runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(Status(ctr).status().exit_code(), 128 + SIGTERM);
  EXPECT_TRUE(RemoveCtr(ctr).ok());
  ExpectNothingLeft(ctr);

  // A running container goes with its pod too.
  const std::string second = MustRunContainer(CtrRequest(pod, "second", {"sleep", "1000"}));
  const auto stopped = StopPod(pod);
  ASSERT_TRUE(stopped.ok()) << stopped.error_message() << "\n" << berthd_->log();
  EXPECT_EQ(Status(second).status().state(), runtime::v1::CONTAINER_EXITED);
  ASSERT_TRUE(RemovePod(pod).ok());
  ExpectNothingLeft(second);
  EXPECT_FALSE(MountTableMentions(pod));
  EXPECT_FALSE(fs::exists(layout().Netns(pod)));
  EXPECT_FALSE(fs::exists(fs::path(work_ / "ipam") / ("net-" + bridge_) / ip)) << ip << " is still reserved";
  EXPECT_FALSE(fs::exists(CgroupDir("memory", pod)));
  const std::string left = RunscList();
  EXPECT_EQ(left.find(pod), std::string::npos) << left;
  EXPECT_EQ(left.find(second), std::string::npos) << left;
  EXPECT_TRUE(WaitFor([&] { return ProcessesOf(pod).empty(); }, std::chrono::seconds(5))) << ProcessesOf(pod);
}

TEST_F(RunscTest, WhatTheSandboxCannotShareIsRefused) {
  StartBerthd(2, "berthgv", 189);
  auto req = PodRequest("hostpid");
  req.set_runtime_handler("runsc");
  req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::NODE);
  std::string id;
  auto st = RunPod(req, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("runsc"), std::string::npos) << st.error_message();
  EXPECT_NE(st.error_message().find("PID"), std::string::npos) << st.error_message();

  const std::string pod = RunscPod("target");
  const std::string first = MustRunContainer(CtrRequest(pod, "first", {"sleep", "1000"}));
  auto target = CtrRequest(pod, "second", {"sleep", "1000"});
  auto* nso = target.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  nso->set_pid(runtime::v1::TARGET);
  nso->set_target_id(first);
  std::string second;
  st = Create(target, &second);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(st.error_message().find("TARGET"), std::string::npos) << st.error_message();
  ASSERT_TRUE(StopPod(pod).ok());
  ASSERT_TRUE(RemovePod(pod).ok());
  ExpectNoPodLeft();
}

}  // namespace
}  // namespace berth::testing
