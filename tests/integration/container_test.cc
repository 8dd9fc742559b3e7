// Containers through the CRI against a real berthd, runc, berth-conmon, CNI
// (bridge berthctr<N>, subnet 10.196.<N>.0/24) and the test busybox image
// pulled from a docker-registry on 127.0.0.1. What a container sees is
// checked from inside it: its log, ExecSync, and its cgroup files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/integration/container_fixture.h"
#include "tests/integration/image_calls.h"

namespace berth::testing {
namespace {

using ContainerTest = ContainerFixture;

TEST_F(ContainerTest, LifecycleSeenFromInside) {
  StartBerthd(1);
  const std::string pod = RunPod("life");
  auto req = CtrRequest(pod, "main",
                        {"sh", "-c", "id; cat /proc/self/cgroup; echo FOO=$FOO; pwd; cat /proc/mounts; hostname"});
  auto* env = req.mutable_config()->add_envs();
  env->set_key("FOO");
  env->set_value("bar");
  req.mutable_config()->set_working_dir("/work/dir");
  const std::string id = MustCreate(req);
  ASSERT_EQ(id.size(), 64u);
  EXPECT_EQ(Status(id).status().state(), runtime::v1::CONTAINER_CREATED);
  ASSERT_TRUE(Start(id).ok());
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_EXITED)) << berthd_->log();

  auto st = Status(id).status();
  EXPECT_EQ(st.exit_code(), 0);
  EXPECT_EQ(st.reason(), "Completed");
  EXPECT_GT(st.started_at(), st.created_at());
  EXPECT_GE(st.finished_at(), st.started_at());
  EXPECT_EQ(st.image_id().substr(0, 7), "sha256:");
  EXPECT_EQ(st.log_path(), LogPath("life", "main"));
  EXPECT_EQ(st.labels().at("test"), "main");

  std::string out;
  for (const auto& l : LogLines(LogPath("life", "main"), "stdout")) out += l.substr(2) + "\n";
  EXPECT_NE(out.find("uid=0(root) gid=0(root)"), std::string::npos) << out;
  EXPECT_NE(out.find(std::string(kCgroupParent) + "/" + id), std::string::npos) << out;
  EXPECT_NE(out.find("FOO=bar"), std::string::npos) << out;
  EXPECT_NE(out.find("/work/dir\n"), std::string::npos) << out;
  EXPECT_NE(out.find("overlay / overlay"), std::string::npos) << out;
  EXPECT_NE(out.find(" /etc/hosts "), std::string::npos) << out;
  EXPECT_NE(out.find(" /etc/resolv.conf "), std::string::npos) << out;
  EXPECT_NE(out.find("shm /dev/shm tmpfs"), std::string::npos) << out << Status(id).info().at("info");
  EXPECT_NE(out.find("life\n"), std::string::npos) << "the pod's hostname: " << out;

  runtime::v1::ContainerFilter by_pod;
  by_pod.set_pod_sandbox_id(pod.substr(0, 12));
  auto listed = List(by_pod);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id(), id);
  runtime::v1::ContainerFilter running;
  running.mutable_state()->set_state(runtime::v1::CONTAINER_RUNNING);
  EXPECT_TRUE(List(running).empty());

  ASSERT_TRUE(RemoveCtr(id).ok());
  ASSERT_TRUE(RemoveCtr(id).ok()) << "a second remove is fine";
  grpc::Status gone;
  Status(id, &gone);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectNothingLeft(id);
}

TEST_F(ContainerTest, BadRequestsGetClearErrors) {
  StartBerthd(2);
  const std::string pod = RunPod("bad");
  std::string id;
  auto st = Create(CtrRequest("0000000000000000000000000000000000000000000000000000000000000000", "x", {"true"}), &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  EXPECT_NE(st.error_message().find("sandbox"), std::string::npos) << st.error_message();

  auto no_image = CtrRequest(pod, "x", {"true"});
  no_image.mutable_config()->mutable_image()->set_image("127.0.0.1:1/nothing/here:v1");
  st = Create(no_image, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  EXPECT_NE(st.error_message().find("nothing/here"), std::string::npos) << st.error_message();

  const std::string first = MustCreate(CtrRequest(pod, "dup", {"sleep", "100"}));
  st = Create(CtrRequest(pod, "dup", {"sleep", "100"}), &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS) << st.error_message();
  EXPECT_NE(st.error_message().find(first), std::string::npos) << st.error_message();

  ASSERT_TRUE(Start(first).ok());
  st = Start(first);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();

  grpc::Status unknown;
  Status("ffff", &unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  runtime::v1::ExecSyncResponse er;
  EXPECT_EQ(Exec("ffff", {"true"}, 1, &er).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(RemoveCtr("ffff").ok()) << "removing an unknown container is fine";
}

TEST_F(ContainerTest, LogsInCriFormatWithPartialLinesStderrAndReopen) {
  StartBerthd(3);
  const std::string pod = RunPod("logs");
  // A line written in two pieces, a stderr line, a line longer than 16 KiB
  // (split into partial entries), then ticks until killed.
  const std::string script =
      "printf abc; sleep 0.3; echo def; echo oops >&2; head -c 20000 /dev/zero | tr '\\0' x; echo; "
      "echo ready; while true; do echo tick; sleep 0.2; done";
  const std::string id = MustRunContainer(CtrRequest(pod, "log", {"sh", "-c", script}));
  const std::string path = LogPath("logs", "log");
  ASSERT_TRUE(WaitFor([&] { return Slurp(path).find("F ready") != std::string::npos; }, std::chrono::seconds(20)))
      << Slurp(path);
  auto out = LogLines(path, "stdout");
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(out[0], "F abcdef") << "a line is logged once it is complete";
  EXPECT_EQ(LogLines(path, "stderr"), std::vector<std::string>{"F oops"});
  EXPECT_EQ(out[1].substr(0, 2), "P ") << "a 20000-byte line is split";
  EXPECT_EQ(out[1].size(), 2u + 16384u) << "at the 16 KiB default";
  std::string joined;
  size_t i = 1;
  for (; i < out.size() && out[i][0] == 'P'; ++i) joined += out[i].substr(2);
  ASSERT_LT(i, out.size());
  joined += out[i].substr(2);
  EXPECT_TRUE(joined == std::string(20000, 'x')) << "the pieces make the line (" << joined.size() << " bytes)";
  // Timestamps are RFC3339Nano.
  EXPECT_EQ(Slurp(path)[4], '-');

  const std::string rotated = path + ".1";
  fs::rename(path, rotated);
  runtime::v1::ReopenContainerLogRequest rq;
  rq.set_container_id(id);
  runtime::v1::ReopenContainerLogResponse rr;
  auto st = berthd_->runtime().ReopenContainerLog(Ctx().get(), rq, &rr);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(WaitFor([&] { return Slurp(path).find("F tick") != std::string::npos; }, std::chrono::seconds(10)));
  EXPECT_EQ(Slurp(path).find("ready"), std::string::npos) << "the new file starts after the reopen";

  ASSERT_TRUE(Stop(id, 0).ok());
  st = berthd_->runtime().ReopenContainerLog(Ctx().get(), rq, &rr);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "an exited container has no log to reopen";
}

TEST_F(ContainerTest, ExecSyncOutputExitCodesAndTimeout) {
  StartBerthd(4);
  const std::string pod = RunPod("exec");
  const std::string id = MustRunContainer(CtrRequest(pod, "sleeper", {"sleep", "1000"}));
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_RUNNING));

  runtime::v1::ExecSyncResponse r;
  auto st = Exec(id, {"sh", "-c", "echo out; echo err >&2; exit 3"}, 10, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.stdout(), "out\n");
  EXPECT_EQ(r.stderr(), "err\n");
  EXPECT_EQ(r.exit_code(), 3);

  st = Exec(id, {"cat", "/etc/hostname"}, 0, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.stdout(), "exec\n");
  EXPECT_EQ(r.exit_code(), 0);

  const auto t0 = Clock::now();
  st = Exec(id, {"sh", "-c", "echo started; sleep 30"}, 1, &r);
  const auto took = Clock::now() - t0;
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_LT(took, std::chrono::seconds(15));
  // The timed-out process is gone: only the container's sleep 1000 remains.
  r = {};
  st = Exec(id, {"sh", "-c", "ps -o comm= 2>/dev/null || ps"}, 10, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.stdout().find("sleep 30"), std::string::npos) << r.stdout();

  ASSERT_TRUE(Stop(id, 0).ok());
  st = Exec(id, {"true"}, 1, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
}

TEST_F(ContainerTest, StopEscalatesToSigkillAfterTheTimeout) {
  StartBerthd(5);
  const std::string pod = RunPod("stop");
  // PID 1 of its namespace ignores SIGTERM (no handler).
  const std::string id = MustRunContainer(CtrRequest(pod, "stubborn", {"sh", "-c", "trap '' TERM; sleep 1000 & wait"}));
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_RUNNING));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the trap be set
  const auto t0 = Clock::now();
  auto st = Stop(id, 2);
  const auto took = Clock::now() - t0;
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  auto s = Status(id).status();
  EXPECT_EQ(s.state(), runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 137);
  EXPECT_EQ(s.reason(), "Error");
  EXPECT_TRUE(Stop(id, 2).ok()) << "stopping an exited container is fine";
}

// A stop does at once what a remove would undo of the runtime's (its state,
// the rootfs mount), so the remove only has berth's own files left, and
// those go through the trash after the answer.
TEST_F(ContainerTest, StopReleasesTheRuntimeAndRootfsAndRemoveLeavesTheRestToTheTrash) {
  StartBerthd(6);
  const std::string pod = RunPod("release");
  // Its own PID namespace (kubelet's default): the stop signals its init straight.
  auto req = CtrRequest(pod, "own-pidns", {"sh", "-c", "echo kept > /written; sleep 4217"});
  req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::CONTAINER);
  const std::string own = MustRunContainer(req);
  // The pod's PID namespace: only the runtime can end all of it.
  const std::string shared = MustRunContainer(CtrRequest(pod, "pod-pidns", {"sh", "-c", "sleep 4217 & sleep 4217"}));
  for (const auto& id : {own, shared}) {
    ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_RUNNING)) << id;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // /written is there
  EXPECT_EQ(Slurp(layout().ContainerDir(own) + "/upper/written"), "kept\n");
  for (const auto& id : {own, shared}) {
    ASSERT_TRUE(Stop(id, 0).ok()) << id;
    auto st = Status(id).status();
    EXPECT_EQ(st.state(), runtime::v1::CONTAINER_EXITED) << id;
    EXPECT_EQ(st.exit_code(), 137) << id;
    EXPECT_FALSE(MountTableMentions(layout().ContainerRunDir(id))) << id << Slurp("/proc/self/mountinfo");
    auto [rc, out] = Sh("runc --root " + layout().RuntimeRoot("runc") + " list -q");
    EXPECT_EQ(out.find(id), std::string::npos) << "the runtime still knows " << id << ": " << out;
    EXPECT_TRUE(fs::exists(layout().ContainerDir(id) + "/upper")) << "the writable layer stays until the remove";
  }
  EXPECT_TRUE(ProcessesMentioning("sleep 4217").empty()) << JoinLines(ProcessesMentioning("sleep 4217"));
  for (const auto& id : {own, shared}) {
    ASSERT_TRUE(RemoveCtr(id).ok()) << id;
    ExpectNothingLeft(id);
  }
}

TEST_F(ContainerTest, MemoryLimitExceededEndsOomKilled) {
  StartBerthd(6);
  const std::string pod = RunPod("oom");
  auto req = CtrRequest(pod, "hog", {"sh", "-c", "tail /dev/zero"});
  auto* res = req.mutable_config()->mutable_linux()->mutable_resources();
  res->set_memory_limit_in_bytes(32 << 20);
  res->set_memory_swap_limit_in_bytes(32 << 20);
  const std::string id = MustRunContainer(req);
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_EXITED, 60)) << berthd_->log();
  auto s = Status(id).status();
  EXPECT_EQ(s.reason(), "OOMKilled");
  EXPECT_EQ(s.exit_code(), 137);
}

TEST_F(ContainerTest, UpdateContainerResourcesChangesTheLiveCgroup) {
  StartBerthd(7);
  const std::string pod = RunPod("update");
  auto req = CtrRequest(pod, "u", {"sleep", "1000"});
  req.mutable_config()->mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  const std::string id = MustRunContainer(req);
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_RUNNING));
  const std::string limit_file = CgroupDir("memory", id) + "/memory.limit_in_bytes";
  // No swap limit asked: memory plus swap is the memory limit, i.e. no swap (v1 memsw).
  const std::string memsw_file = CgroupDir("memory", id) + "/memory.memsw.limit_in_bytes";
  EXPECT_EQ(Trim(Slurp(limit_file)), std::to_string(64 << 20));
  if (fs::exists(memsw_file)) {
    EXPECT_EQ(Trim(Slurp(memsw_file)), std::to_string(64 << 20));
  }

  runtime::v1::UpdateContainerResourcesRequest u;
  u.set_container_id(id);
  u.mutable_linux()->set_memory_limit_in_bytes(96 << 20);
  u.mutable_linux()->set_cpu_shares(512);
  runtime::v1::UpdateContainerResourcesResponse ur;
  auto st = berthd_->runtime().UpdateContainerResources(Ctx(30).get(), u, &ur);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Trim(Slurp(limit_file)), std::to_string(96 << 20));
  if (fs::exists(memsw_file)) {
    EXPECT_EQ(Trim(Slurp(memsw_file)), std::to_string(96 << 20));
  }
  EXPECT_EQ(Trim(Slurp(CgroupDir("cpu", id) + "/cpu.shares")), "512");
  auto s = Status(id).status();
  EXPECT_EQ(s.resources().linux().memory_limit_in_bytes(), 96 << 20);
  EXPECT_EQ(s.resources().linux().cpu_shares(), 512);
  if (fs::exists(memsw_file)) {
    EXPECT_EQ(s.resources().linux().memory_swap_limit_in_bytes(), 96 << 20);
  }

  // An explicit swap limit is honoured.
  u.mutable_linux()->set_memory_swap_limit_in_bytes(128 << 20);
  st = berthd_->runtime().UpdateContainerResources(Ctx(30).get(), u, &ur);
  if (!fs::exists(memsw_file)) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    return;
  }
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Trim(Slurp(memsw_file)), std::to_string(128 << 20));
  EXPECT_EQ(Status(id).status().resources().linux().memory_swap_limit_in_bytes(), 128 << 20);
}

// kubelet creates containers by image id; users by digest. Both show the
// tag the image is known by, with the digest as image_ref.
TEST_F(ContainerTest, AContainerCreatedByIdOrDigestShowsTheTag) {
  StartBerthd(13);
  const std::string pod = RunPod("names");
  const auto img = ImageStatus(*berthd_, Image()).image();
  ASSERT_EQ(img.repo_digests().size(), 1);
  const std::string id_ref = img.id(), digest_ref = img.repo_digests(0);
  for (const auto& ref : {id_ref, digest_ref}) {
    auto req = CtrRequest(pod, "by-" + std::to_string(ref.size()), {"sleep", "1000"});
    req.mutable_config()->mutable_image()->set_image(ref);
    const std::string id = MustCreate(req);
    auto st = Status(id).status();
    EXPECT_EQ(st.image().image(), Image()) << ref;
    EXPECT_EQ(st.image_ref(), digest_ref) << ref;
    EXPECT_EQ(st.image_id(), id_ref) << ref;
    runtime::v1::ListContainersRequest lr;
    lr.mutable_filter()->set_id(id);
    runtime::v1::ListContainersResponse list;
    ASSERT_TRUE(berthd_->runtime().ListContainers(Ctx().get(), lr, &list).ok());
    ASSERT_EQ(list.containers().size(), 1);
    EXPECT_EQ(list.containers(0).image().image(), Image()) << ref;
  }
}

TEST_F(ContainerTest, AnExplicitSwapLimitAtCreateIsHonoured) {
  StartBerthd(12);
  const std::string pod = RunPod("swap");
  auto req = CtrRequest(pod, "s", {"sleep", "1000"});
  auto* res = req.mutable_config()->mutable_linux()->mutable_resources();
  res->set_memory_limit_in_bytes(64 << 20);
  res->set_memory_swap_limit_in_bytes(80 << 20);
  const std::string memsw_file = "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes";
  if (!fs::exists(memsw_file)) GTEST_SKIP() << "no swap accounting on this node (" << memsw_file << ")";
  const std::string id = MustRunContainer(req);
  EXPECT_EQ(Trim(Slurp(CgroupDir("memory", id) + "/memory.memsw.limit_in_bytes")), std::to_string(80 << 20));
  EXPECT_EQ(Status(id).status().resources().linux().memory_swap_limit_in_bytes(), 80 << 20);
}

TEST_F(ContainerTest, Kill9RestartKeepsContainersStatesAndLogs) {
  StartBerthd(8);
  const std::string pod = RunPod("crash");
  const std::string ticker =
      MustRunContainer(CtrRequest(pod, "ticker", {"sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"}));
  const std::string quitter = MustRunContainer(CtrRequest(pod, "quitter", {"sh", "-c", "sleep 2; exit 7"}));
  const std::string created = MustCreate(CtrRequest(pod, "created", {"true"}));
  ASSERT_TRUE(WaitState(ticker, runtime::v1::CONTAINER_RUNNING));
  const pid_t ticker_pid = json::parse(Status(ticker).info().at("info"))["pid"].get<pid_t>();

  berthd_->Stop(SIGKILL);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the quitter exits meanwhile
  const size_t log_before = Slurp(LogPath("crash", "ticker")).size();
  berthd_->Start();

  auto all = List();
  ASSERT_EQ(all.size(), 3u) << "nothing lost, nothing listed twice";
  auto t = Status(ticker).status();
  EXPECT_EQ(t.state(), runtime::v1::CONTAINER_RUNNING);
  EXPECT_EQ(json::parse(Status(ticker).info().at("info"))["pid"].get<pid_t>(), ticker_pid);
  EXPECT_TRUE(fs::exists("/proc/" + std::to_string(ticker_pid))) << "the container kept running";
  auto q = Status(quitter).status();
  EXPECT_EQ(q.state(), runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(q.exit_code(), 7);
  EXPECT_EQ(q.reason(), "Error");
  EXPECT_GT(q.finished_at(), q.started_at());
  EXPECT_EQ(Status(created).status().state(), runtime::v1::CONTAINER_CREATED);
  EXPECT_TRUE(WaitFor([&] { return Slurp(LogPath("crash", "ticker")).size() > log_before + 20; },
                      std::chrono::seconds(5)))
      << "the log continues";
  ASSERT_TRUE(Start(created).ok()) << "a container created before the crash still starts";

  runtime::v1::ExecSyncResponse r;
  ASSERT_TRUE(Exec(ticker, {"echo", "alive"}, 10, &r).ok());
  EXPECT_EQ(r.stdout(), "alive\n");

  auto st = RemovePod(pod);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(List().empty());
  for (const auto& id : {ticker, quitter, created}) ExpectNothingLeft(id);
  EXPECT_FALSE(fs::exists("/proc/" + std::to_string(ticker_pid)));
}

// What kubelet does with a pod (no kubelet here: the Kubernetes tree is too
// large to fetch offline), through the same CRI calls: kubelet's labels and
// log layout (<pod log dir>/<name>/<attempt>.log), the container killed and
// restarted as attempt 1, the old attempt's log still readable, and the pod
// removed when its manifest goes.
TEST_F(ContainerTest, KubeletStyleRestartAfterKill) {
  StartBerthd(9);
  const std::string pod = RunPod("kubelet");
  auto make = [&](uint32_t attempt) {
    auto req = CtrRequest(pod, "app", {"sh", "-c", "echo started; exec sleep 1000"});
    req.mutable_config()->mutable_metadata()->set_attempt(attempt);
    req.mutable_config()->set_log_path("app/" + std::to_string(attempt) + ".log");
    auto& labels = *req.mutable_config()->mutable_labels();
    labels["io.kubernetes.container.name"] = "app";
    labels["io.kubernetes.pod.name"] = "kubelet";
    labels["io.kubernetes.pod.namespace"] = "container-test";
    (*req.mutable_config()->mutable_annotations())["io.kubernetes.container.restartCount"] = std::to_string(attempt);
    return req;
  };
  const std::string first = MustRunContainer(make(0));
  const std::string log0 = logs() + "/kubelet/app/0.log";
  ASSERT_TRUE(WaitFor([&] { return Slurp(log0).find("F started") != std::string::npos; }, std::chrono::seconds(20)));
  const pid_t pid = json::parse(Status(first).info().at("info"))["pid"].get<pid_t>();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitState(first, runtime::v1::CONTAINER_EXITED));
  EXPECT_EQ(Status(first).status().exit_code(), 137);

  const std::string second = MustRunContainer(make(1));
  const std::string log1 = logs() + "/kubelet/app/1.log";
  ASSERT_TRUE(WaitFor([&] { return Slurp(log1).find("F started") != std::string::npos; }, std::chrono::seconds(20)));
  EXPECT_NE(Slurp(log0).find("F started"), std::string::npos) << "the old attempt's log stays for kubectl logs -p";
  runtime::v1::ContainerFilter f;
  (*f.mutable_label_selector())["io.kubernetes.pod.name"] = "kubelet";
  EXPECT_EQ(List(f).size(), 2u);
  ASSERT_TRUE(RemoveCtr(first).ok());
  EXPECT_EQ(List(f).size(), 1u);

  ASSERT_TRUE(StopPod(pod).ok());
  EXPECT_EQ(Status(second).status().state(), runtime::v1::CONTAINER_EXITED) << "stopping the pod stops its containers";
  ASSERT_TRUE(RemovePod(pod).ok());
  EXPECT_TRUE(List().empty());
  ExpectNothingLeft(first);
  ExpectNothingLeft(second);
}

}  // namespace
}  // namespace berth::testing
