// Pod sandboxes through the CRI against a real berthd, runc, berth-conmon,
// berth-pause and CNI plugins (fixture: sandbox_fixture.h).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/sandbox_fixture.h"
#include "tests/support/shell.h"

namespace berth::testing {
namespace {

TEST_F(SandboxTest, RunsReadyWithAnIpAndStopAndRemoveAreIdempotent) {
  StartBerthd(1);
  const std::string id = MustRun(PodRequest("web"));
  auto resp = Status(id);
  EXPECT_EQ(resp.status().state(), runtime::v1::SANDBOX_READY);
  EXPECT_EQ(resp.status().metadata().name(), "web");
  EXPECT_EQ(resp.status().labels().at("test"), "sandbox");
  EXPECT_EQ(resp.status().runtime_handler(), "") << "reported as the request named it";
  EXPECT_GT(resp.status().created_at(), 0);
  const std::string ip = resp.status().network().ip();
  EXPECT_TRUE(ip.starts_with(subnet_prefix_)) << ip;
  EXPECT_TRUE(fs::exists(ipam_file(ip)));
  const json info = json::parse(resp.info().at("info"));
  const pid_t pid = info.at("pid").get<pid_t>();
  ASSERT_TRUE(ProcessAlive(pid));
  EXPECT_EQ(Trim(Slurp("/proc/" + std::to_string(pid) + "/cmdline").c_str()), "/pause");
  EXPECT_EQ(info.at("runtimeSpec").at("process").at("user").at("uid"), 65535);
  // The pause process lives in the pinned netns.
  struct stat pin{}, ns{};
  ASSERT_EQ(::stat((layout().Netns(id)).c_str(), &pin), 0);
  ASSERT_EQ(::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &ns), 0);
  EXPECT_EQ(pin.st_ino, ns.st_ino);
  EXPECT_TRUE(fs::exists(std::string("/sys/fs/cgroup/memory") + kCgroupParent + "/" + id));

  // Same name/namespace/uid/attempt again: ALREADY_EXISTS naming the sandbox.
  std::string dup;
  auto st = Run(PodRequest("web"), &dup);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(st.error_message().find(id), std::string::npos) << st.error_message();

  ASSERT_TRUE(Stop(id).ok());
  auto stopped = Status(id);
  EXPECT_EQ(stopped.status().state(), runtime::v1::SANDBOX_NOTREADY);
  EXPECT_FALSE(ProcessAlive(pid));
  EXPECT_FALSE(fs::exists(ipam_file(ip)));
  EXPECT_TRUE(Stop(id).ok());
  EXPECT_TRUE(Remove(id).ok());
  EXPECT_TRUE(Remove(id).ok());
  EXPECT_TRUE(Stop(id).ok());
  grpc::Status gone;
  Status(id, &gone);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(List().empty());
  ExpectGone(id, pid, ip);
}

TEST_F(SandboxTest, RemoveOfARunningPodCleansEverything) {
  StartBerthd(2);
  const std::string id = MustRun(PodRequest("api"));
  const pid_t pid = PausePid(id);
  const std::string ip = Status(id).status().network().ip();
  ASSERT_TRUE(Remove(id).ok());
  ExpectGone(id, pid, ip);
}

TEST_F(SandboxTest, TwoPodsReachEachOther) {
  StartBerthd(3);
  const std::string a = MustRun(PodRequest("a")), b = MustRun(PodRequest("b"));
  const std::string ip_a = Status(a).status().network().ip(), ip_b = Status(b).status().network().ip();
  EXPECT_NE(ip_a, ip_b);
  auto [rc, out] = Sh("nsenter --net=" + layout().Netns(a) + " busybox ping -c 1 -W 5 " + ip_b);
  EXPECT_EQ(rc, 0) << out;
  auto [rc2, out2] = Sh("nsenter --net=" + layout().Netns(b) + " busybox ping -c 1 -W 5 " + ip_a);
  EXPECT_EQ(rc2, 0) << out2;
}

TEST_F(SandboxTest, HostNetworkPodSeesTheHostsInterfaces) {
  StartBerthd(4);
  auto req = PodRequest("hostnet");
  req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      runtime::v1::NODE);
  req.mutable_config()->clear_hostname();  // it has the host's (a hostname of its own is refused)
  const std::string id = MustRun(req);
  auto resp = Status(id);
  EXPECT_EQ(resp.status().state(), runtime::v1::SANDBOX_READY);
  EXPECT_EQ(resp.status().network().ip(), "");
  EXPECT_EQ(resp.status().linux().namespaces().options().network(), runtime::v1::NODE);
  const pid_t pid = PausePid(id);
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net"), fs::read_symlink("/proc/self/ns/net"));
  // Parallel tests add and delete their own bridges meanwhile, so the two lists are not taken
  // at one instant: every host link but test bridges and veths must be seen from the pod.
  auto [rc, links] = Sh("nsenter -t " + std::to_string(pid) + " -n ip -o link show | cut -d: -f2");
  auto [rc2, host_links] = Sh("ip -o link show | cut -d: -f2 | grep -v -e berth -e veth");
  EXPECT_EQ(rc, 0) << links;
  std::istringstream host(host_links);
  for (std::string link; std::getline(host, link);) EXPECT_NE(links.find(link), std::string::npos) << link;
  EXPECT_NE(links.find(" lo"), std::string::npos) << links;
  EXPECT_FALSE(fs::exists(layout().Netns(id)));
  ASSERT_TRUE(Remove(id).ok());
  ExpectGone(id, pid, "");
}

TEST_F(SandboxTest, DnsConfigAndHostname) {
  StartBerthd(5);
  auto req = PodRequest("dns");
  req.mutable_config()->set_hostname("dns-host-0");
  auto* dns = req.mutable_config()->mutable_dns_config();
  dns->add_servers("10.96.0.10");
  dns->add_searches("sandbox-test.svc.cluster.local");
  dns->add_options("ndots:5");
  const std::string id = MustRun(req);
  const std::string dir = layout().SandboxRunDir(id);
  EXPECT_EQ(Slurp(dir + "/resolv.conf"),
            "search sandbox-test.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  EXPECT_EQ(Slurp(dir + "/hostname"), "dns-host-0\n");
  const std::string ip = Status(id).status().network().ip();
  EXPECT_NE(Slurp(dir + "/hosts").find(ip + "\tdns-host-0"), std::string::npos) << Slurp(dir + "/hosts");
  auto [rc, name] = Sh("nsenter -t " + std::to_string(PausePid(id)) + " -u hostname");
  EXPECT_EQ(rc, 0) << name;
  EXPECT_EQ(Trim(name), "dns-host-0");
  // The pod's /dev/shm is a tmpfs of its own.
  EXPECT_NE(Slurp("/proc/self/mountinfo").find(dir + "/shm"), std::string::npos);
}

TEST_F(SandboxTest, NamespacedSysctlsAreAppliedNodeLevelOnesRefused) {
  StartBerthd(6);
  auto req = PodRequest("sysctl");
  auto& sysctls = *req.mutable_config()->mutable_linux()->mutable_sysctls();
  sysctls["net.ipv4.ip_unprivileged_port_start"] = "81";
  sysctls["kernel.shmmni"] = "1234";
  const std::string id = MustRun(req);
  const std::string pid = std::to_string(PausePid(id));
  auto [rc, port] = Sh("nsenter -t " + pid + " -n cat /proc/sys/net/ipv4/ip_unprivileged_port_start");
  EXPECT_EQ(Trim(port), "81");
  auto [rc2, shm] = Sh("nsenter -t " + pid + " -i cat /proc/sys/kernel/shmmni");
  EXPECT_EQ(Trim(shm), "1234");
  EXPECT_NE(Trim(Slurp("/proc/sys/kernel/shmmni")), "1234");  // the host's is untouched

  auto bad = PodRequest("sysctl-bad");
  (*bad.mutable_config()->mutable_linux()->mutable_sysctls())["kernel.panic"] = "5";
  std::string bad_id;
  auto st = Run(bad, &bad_id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("kernel.panic"), std::string::npos) << st.error_message();
  EXPECT_EQ(List().size(), 1u);
}

TEST_F(SandboxTest, UnknownRuntimeHandlerIsRefusedByName) {
  StartBerthd(7);
  auto req = PodRequest("handler");
  req.set_runtime_handler("no-such-runtime");
  std::string id;
  auto st = Run(req, &id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("no-such-runtime"), std::string::npos) << st.error_message();
}

TEST_F(SandboxTest, AFailingCniPluginFailsTheRunAndLeaksNothing) {
  // A plugin after bridge that refuses ADD: bridge's address must be given back.
  fs::create_directories(work_ / "bin");
  const std::string plugin = work_.Write("bin/berth-refuse",
                                         "#!/bin/sh\n"
                                         "cat >/dev/null\n"
                                         "case \"$CNI_COMMAND\" in\n"
                                         "ADD) echo '{\"cniVersion\":\"1.0.0\",\"code\":100,"
                                         "\"msg\":\"berth test plugin refuses pods\"}'; exit 1;;\n"
                                         "VERSION) echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"1.0.0\"]}';;\n"
                                         "esac\n"
                                         "exit 0\n");
  fs::permissions(plugin, fs::perms::owner_all);
  StartBerthd(8, {{"type", "berth-refuse"}},
              {"--cni-bin-dir", "/usr/lib/cni", "--cni-bin-dir", work_ / "bin"});
  std::string id;
  auto st = Run(PodRequest("refused"), &id);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.error_message().find("berth test plugin refuses pods"), std::string::npos) << st.error_message();
  EXPECT_TRUE(List().empty());
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(layout().NetnsDir(), ec) || !fs::exists(layout().NetnsDir()));
  EXPECT_TRUE(fs::is_empty(layout().SandboxRunDirs(), ec) || !fs::exists(layout().SandboxRunDirs()));
  EXPECT_TRUE(fs::is_empty(layout().SandboxRecords(), ec) || !fs::exists(layout().SandboxRecords()));
  const std::string mounts = Slurp("/proc/self/mountinfo");
  EXPECT_EQ(mounts.find(layout().NetnsDir() + "/"), std::string::npos) << "a netns pin is left mounted";
  EXPECT_EQ(mounts.find(layout().SandboxRunDirs() + "/"), std::string::npos) << "a pod mount is left";
  // host-local keeps one file per allocated address (plus its lock and last_reserved_ip).
  for (const auto& e : fs::directory_iterator(ipam_dir() + "/" + net_name(), ec)) {
    const std::string name = e.path().filename().string();
    EXPECT_FALSE(name.starts_with(subnet_prefix_)) << "address " << name << " still allocated";
  }
}

TEST_F(SandboxTest, SurvivesBerthdKill9AndReleasesIpsOnStop) {
  StartBerthd(9);
  const std::string a = MustRun(PodRequest("p1")), b = MustRun(PodRequest("p2"));
  const std::string ip_a = Status(a).status().network().ip(), ip_b = Status(b).status().network().ip();
  const pid_t pid_a = PausePid(a);
  berthd_->Stop(SIGKILL);
  berthd_->Start();
  auto pods = List();
  ASSERT_EQ(pods.size(), 2u);
  for (const auto& p : pods) EXPECT_EQ(p.state(), runtime::v1::SANDBOX_READY) << p.id();
  EXPECT_EQ(Status(a).status().network().ip(), ip_a);
  EXPECT_EQ(Status(b).status().network().ip(), ip_b);
  EXPECT_TRUE(ProcessAlive(pid_a));
  ASSERT_TRUE(Stop(a).ok());
  ASSERT_TRUE(Stop(b).ok());
  EXPECT_FALSE(fs::exists(ipam_file(ip_a)));
  EXPECT_FALSE(fs::exists(ipam_file(ip_b)));
  EXPECT_FALSE(ProcessAlive(pid_a));
  ASSERT_TRUE(Remove(a).ok());
  ASSERT_TRUE(Remove(b).ok());
  ExpectGone(a, pid_a, ip_a);
}

TEST_F(SandboxTest, RestartCleansUpWhatACrashLeftWithoutARecord) {
  StartBerthd(10);
  const std::string id = MustRun(PodRequest("orphan"));
  const pid_t pid = PausePid(id);
  const std::string ip = Status(id).status().network().ip();
  berthd_->Stop(SIGKILL);
  // As if berthd had died before persisting the record.
  fs::remove_all(layout().SandboxRecords() + "/" + id);
  berthd_->Start();
  EXPECT_TRUE(List().empty());
  ExpectGone(id, pid, ip);
}

TEST_F(SandboxTest, EveryPodButAHostPidOneMakesPausePid1OfItsOwnNamespace) {
  StartBerthd(11);
  auto req = PodRequest("sharedpid");
  req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::POD);
  const std::string id = MustRun(req);
  const pid_t pid = PausePid(id);
  EXPECT_NE(fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/pid"), fs::read_symlink("/proc/self/ns/pid"));
  const std::string status = Slurp("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("NSpid:\t" + std::to_string(pid) + "\t1\n"), std::string::npos) << status;
  // Per-container PID namespaces (kubelet's default) still give the pod one,
  // for containers in mode POD to join; a host-PID pod's pause is in the host's.
  const std::string other = MustRun(PodRequest("ownpid"));
  EXPECT_NE(fs::read_symlink("/proc/" + std::to_string(PausePid(other)) + "/ns/pid"),
            fs::read_symlink("/proc/self/ns/pid"));
  auto host = PodRequest("hostpid");
  host.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::NODE);
  const std::string host_pod = MustRun(host);
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(PausePid(host_pod)) + "/ns/pid"),
            fs::read_symlink("/proc/self/ns/pid"));
}

}  // namespace
}  // namespace berth::testing
