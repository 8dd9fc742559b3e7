// What a real kubelet sends and expects, through the CRI against a real
// berthd, runc, berth-conmon, CNI (bridge berthkub<N>, subnet
// 10.195.<N>.0/24) and the test busybox image: hugepage limits on a node
// without the controller, ids by prefix, the handler as named, refused
// requests (host network + hostname, user namespaces), PID namespaces, and
// a last line without a newline in the CRI log. Checked from inside the
// containers or through the CRI.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "pod/cgroups.h"
#include "tests/integration/container_fixture.h"

namespace berth::testing {
namespace {

class KubeletPathTest : public ContainerFixture {
 protected:
  void Boot(int n) { StartBerthd(n, "berthkub", 195); }

  // Runs a container to its end and returns its stdout (its id in `id`).
  std::string Output(const std::string& pod_name, const runtime::v1::CreateContainerRequest& req,
                     std::string* id_out = nullptr) {
    const std::string id = MustRunContainer(req);
    if (id_out) *id_out = id;
    EXPECT_TRUE(WaitState(id, runtime::v1::CONTAINER_EXITED)) << berthd_->log();
    const std::string name = req.config().metadata().name();
    EXPECT_EQ(Status(id).status().exit_code(), 0) << Stdout(pod_name, name);
    return Stdout(pod_name, name);
  }

  static bool Alive(pid_t pid) { return pid > 0 && fs::exists("/proc/" + std::to_string(pid)); }

  static std::string NsOf(pid_t pid, const char* ns) {
    std::error_code ec;
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + ns, ec).string();
  }

  // Pods until two ids share their first hex digit (at most 17: pigeonhole).
  std::pair<std::string, std::string> TwoPodsSharingAPrefix() {
    std::map<char, std::string> by_first;
    for (int i = 0; i < 17; ++i) {
      const std::string id = RunPod("p" + std::to_string(i));
      if (id.empty()) break;
      auto [it, fresh] = by_first.emplace(id[0], id);
      if (!fresh) return {it->second, id};
    }
    ADD_FAILURE() << "no two pods share a first digit";
    return {};
  }
};

// kubelet puts a limit of 0 for every huge page size the node has into every
// container; this node's cgroup v1 has no hugetlb controller.
TEST_F(KubeletPathTest, HugepageLimitsWithoutAControllerAreDroppedAndTheContainerRuns) {
  Boot(1);
  const pod::CgroupSupport cg = pod::CgroupSupport::Detect();
  const std::string pod = RunPod("huge");
  auto req = CtrRequest(pod, "app", {"sh", "-c", "echo ran"});
  auto* res = req.mutable_config()->mutable_linux()->mutable_resources();
  res->set_memory_limit_in_bytes(64 << 20);
  for (const char* size : {"2MB", "1GB"}) {
    auto* h = res->add_hugepage_limits();
    h->set_page_size(size);
    h->set_limit(0);
  }
  std::string id;
  EXPECT_EQ(Output("huge", req, &id), "ran\n");
  const json info = CtrInfo(id);
  if (!cg.Has("hugetlb")) {
    ASSERT_TRUE(info.contains("droppedLimits")) << info.dump(2);
    std::set<std::string> dropped;
    for (const auto& d : info["droppedLimits"]) {
      dropped.insert(d["resource"].get<std::string>());
      EXPECT_NE(d["reason"].get<std::string>().find("hugetlb"), std::string::npos) << d.dump();
      EXPECT_TRUE(d["zero"].get<bool>());
    }
    EXPECT_TRUE(dropped.contains("hugepage_limits[2MB]")) << info["droppedLimits"].dump();
    EXPECT_FALSE(info["runtimeSpec"]["linux"]["resources"].contains("hugepageLimits"));
    EXPECT_NE(berthd_->log().find("hugepage_limits[2MB] = 0 is left out of the spec"), std::string::npos);
  } else {
    EXPECT_TRUE(info["runtimeSpec"]["linux"]["resources"].contains("hugepageLimits")) << info.dump(2);
  }
  // What the node has is applied: the memory limit is in the container's cgroup.
  EXPECT_EQ(info["runtimeSpec"]["linux"]["resources"]["memory"]["limit"], 64 << 20);
}

TEST_F(KubeletPathTest, IdsByUniquePrefix) {
  Boot(2);
  const std::string pod = RunPod("prefix");
  const std::string prefix = pod.substr(0, 10);
  EXPECT_EQ(PodStatus(prefix).status().id(), pod);
  const std::string ctr = MustRunContainer(CtrRequest(pod, "app", {"sleep", "1000"}));
  EXPECT_EQ(Status(ctr.substr(0, 8)).status().id(), ctr);
  ASSERT_TRUE(Stop(ctr.substr(0, 8), 0).ok());
  EXPECT_EQ(Status(ctr).status().state(), runtime::v1::CONTAINER_EXITED);
  ASSERT_TRUE(RemovePod(prefix).ok()) << berthd_->log();
  grpc::Status st;
  PodStatus(pod, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectNothingLeft(ctr);
  ExpectNoPodLeft();
}

TEST_F(KubeletPathTest, AnAmbiguousPrefixNamesBothAndTouchesNeither) {
  Boot(3);
  auto [a, b] = TwoPodsSharingAPrefix();
  ASSERT_FALSE(a.empty());
  const std::string shared = a.substr(0, 1);
  auto expect_ambiguous = [&](const grpc::Status& st, const char* rpc) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << rpc << ": " << st.error_message();
    EXPECT_NE(st.error_message().find(a), std::string::npos) << st.error_message();
    EXPECT_NE(st.error_message().find(b), std::string::npos) << st.error_message();
    EXPECT_NE(st.error_message().find("ambiguous"), std::string::npos) << st.error_message();
  };
  expect_ambiguous(StopPod(shared), "StopPodSandbox");
  expect_ambiguous(RemovePod(shared), "RemovePodSandbox");
  grpc::Status st;
  PodStatus(shared, &st);
  expect_ambiguous(st, "PodSandboxStatus");
  for (const auto& id : {a, b}) {
    EXPECT_EQ(PodStatus(id).status().state(), runtime::v1::SANDBOX_READY) << id;
    EXPECT_TRUE(Alive(PodInfo(id)["pid"].get<pid_t>()));
  }

  // Containers: two in one pod until their ids share a first digit.
  std::map<char, std::string> by_first;
  std::string c1, c2;
  for (int i = 0; i < 17 && c2.empty(); ++i) {
    const std::string id = MustCreate(CtrRequest(a, "c" + std::to_string(i), {"sleep", "1000"}));
    auto [it, fresh] = by_first.emplace(id[0], id);
    if (!fresh) c1 = it->second, c2 = id;
  }
  ASSERT_FALSE(c2.empty());
  std::swap(a, c1);  // expect_ambiguous names a and b
  std::swap(b, c2);
  expect_ambiguous(Start(a.substr(0, 1)), "StartContainer");
  expect_ambiguous(RemoveCtr(a.substr(0, 1)), "RemoveContainer");
  expect_ambiguous(Stop(a.substr(0, 1), 0), "StopContainer");
  for (const auto& id : {a, b}) EXPECT_EQ(Status(id).status().state(), runtime::v1::CONTAINER_CREATED) << id;
}

TEST_F(KubeletPathTest, TheRuntimeHandlerIsReportedAsNamed) {
  Boot(4);
  const std::string unnamed = RunPod("unnamed");
  auto req = PodRequest("named");
  req.set_runtime_handler("runc");
  const std::string named = MustRunPod(req);
  EXPECT_EQ(PodStatus(unnamed).status().runtime_handler(), "");
  EXPECT_EQ(PodStatus(named).status().runtime_handler(), "runc");
  EXPECT_EQ(PodInfo(unnamed)["runtimeHandler"], "runc") << "it runs on the default handler all the same";
  for (const auto& p : ListPods()) {
    EXPECT_EQ(p.runtime_handler(), p.id() == named ? "runc" : "") << p.id();
  }
}

TEST_F(KubeletPathTest, HostNetworkWithAHostnameIsRefusedAndLeavesNothing) {
  Boot(5);
  auto req = PodRequest("hostnet");
  req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      runtime::v1::NODE);
  std::string id;
  auto st = RunPod(req, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_NE(st.error_message().find("config.hostname \"hostnet\""), std::string::npos) << st.error_message();
  ExpectNoPodLeft();
  req.mutable_config()->clear_hostname();
  ASSERT_TRUE(RunPod(req, &id).ok()) << "without the hostname it runs";
}

TEST_F(KubeletPathTest, UserNamespaceRequestsWithoutMappingsAreRefusedAndLeaveNothing) {
  Boot(6);
  auto req = PodRequest("userns");
  auto* nso = req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  nso->mutable_userns_options()->set_mode(runtime::v1::POD);
  std::string id;
  auto st = RunPod(req, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_NE(st.error_message().find("userns_options"), std::string::npos) << st.error_message();
  ExpectNoPodLeft();

  nso->mutable_userns_options()->set_mode(runtime::v1::NODE);  // what kubelet sends for hostUsers
  const std::string pod = MustRunPod(req);
  auto ctr = CtrRequest(pod, "app", {"true"});
  ctr.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()
      ->mutable_userns_options()->set_mode(runtime::v1::POD);
  st = Create(ctr, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_NE(st.error_message().find("userns_options"), std::string::npos) << st.error_message();
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(fs::is_empty(layout().ContainerRecords()));

  runtime::v1::StatusResponse status;
  ASSERT_TRUE(berthd_->runtime().Status(Ctx().get(), {}, &status).ok());
  // runc (and the default, "", which is runc) runs user namespace pods; the others are not known to.
  for (const auto& h : status.runtime_handlers()) {
    const bool runc = h.name().empty() || h.name() == "runc";
    EXPECT_EQ(h.features().user_namespaces(), runc) << "handler " << h.name();
  }
}

TEST_F(KubeletPathTest, PidModePodJoinsTheHostsInAHostPidPodAndThePausesOtherwise) {
  Boot(7);
  // A host-PID pod: a container in mode POD sees the host's processes (berthd's among them).
  auto host = PodRequest("hostpid");
  host.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::NODE);
  const std::string host_pod = MustRunPod(host);
  auto see = CtrRequest(host_pod, "see", {"sh", "-c", "test -d /proc/" + std::to_string(berthd_->pid()) +
                                                          " && echo host-pids; readlink /proc/self/ns/pid"});
  const std::string seen = Output("hostpid", see);
  EXPECT_NE(seen.find("host-pids"), std::string::npos) << seen;
  EXPECT_NE(seen.find(NsOf(::getpid(), "pid")), std::string::npos) << seen;

  // A default pod (kubelet sends CONTAINER for the pod): two containers in
  // mode POD share the pause's PID namespace, which is not the host's.
  auto def = PodRequest("podpid");
  def.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::CONTAINER);
  const std::string pod = MustRunPod(def);
  const std::string pause_ns = NsOf(PodInfo(pod)["pid"].get<pid_t>(), "pid");
  ASSERT_FALSE(pause_ns.empty());
  EXPECT_NE(pause_ns, NsOf(::getpid(), "pid"));
  std::string ns[2];
  for (int i = 0; i < 2; ++i) {
    const std::string name = "c" + std::to_string(i);
    auto r = CtrRequest(pod, name, {"readlink", "/proc/self/ns/pid"});
    r.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
        runtime::v1::POD);
    ns[i] = Trim(Output("podpid", r));
  }
  EXPECT_EQ(ns[0], pause_ns);
  EXPECT_EQ(ns[1], pause_ns);
  // Mode CONTAINER: one of its own.
  auto own = CtrRequest(pod, "own", {"readlink", "/proc/self/ns/pid"});
  own.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::CONTAINER);
  const std::string own_ns = Trim(Output("podpid", own));
  EXPECT_NE(own_ns, pause_ns);
  EXPECT_NE(own_ns, NsOf(::getpid(), "pid"));
}

TEST_F(KubeletPathTest, OutputEndingWithoutANewlineIsLoggedAsPartial) {
  Boot(8);
  const std::string pod = RunPod("partial");
  const std::string id = MustRunContainer(CtrRequest(pod, "app", {"sh", "-c", "echo whole; printf tail"}));
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_EXITED));
  ASSERT_TRUE(WaitFor([&] { return LogLines(LogPath("partial", "app"), "stdout").size() == 2; },
                      std::chrono::seconds(10)))
      << Slurp(LogPath("partial", "app"));
  const auto lines = LogLines(LogPath("partial", "app"), "stdout");
  EXPECT_EQ(lines[0], "F whole");
  EXPECT_EQ(lines[1], "P tail") << "kubelet must not see a newline that was never written";
}

}  // namespace
}  // namespace berth::testing
