// The pause container's OCI spec, sysctl validation, cgroupsPath and the
// oom_score_adj clamp.
#include <gtest/gtest.h>

#include <set>

#include <algorithm>

#include "storage/base/error.h"
#include "pod/sandbox_spec.h"
#include "tests/support/pod_sandbox.h"

namespace berth::pod {
namespace {

using nlohmann::json;

using testing::PodSandbox;

std::vector<std::string> NsTypes(const json& spec) {
  std::vector<std::string> out;
  for (const auto& n : spec["linux"]["namespaces"]) out.push_back(n["type"]);
  std::sort(out.begin(), out.end());
  return out;
}

const json* FindNs(const json& spec, const std::string& type) {
  for (const auto& n : spec["linux"]["namespaces"]) {
    if (n["type"] == type) return &n;
  }
  return nullptr;
}

const json* FindMount(const json& spec, const std::string& dest) {
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] == dest) return &m;
  }
  return nullptr;
}

TEST(SandboxSpec, PauseProcessRootAndHostname) {
  Sandbox sb = PodSandbox();
  json spec = BuildSandboxSpec({sb, "/var/lib/berth/pause-rootfs", BuiltinPauseProcess(sb), -5});
  EXPECT_EQ(spec["process"]["args"], json({"/pause"}));
  EXPECT_EQ(spec["process"]["user"]["uid"], 65535);
  EXPECT_EQ(spec["process"]["user"]["gid"], 65535);
  EXPECT_EQ(spec["process"]["cwd"], "/");
  EXPECT_EQ(spec["process"]["oomScoreAdj"], -5);
  EXPECT_EQ(spec["root"]["path"], "/var/lib/berth/pause-rootfs");
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["hostname"], "web-0");
  EXPECT_EQ(spec["linux"]["cgroupsPath"], sb.cgroups_path);
}

TEST(SandboxSpec, PodNetworkUsesThePinnedNetnsAndNewIpcUtsMount) {
  Sandbox sb = PodSandbox();
  json spec = BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0});
  EXPECT_EQ(NsTypes(spec), (std::vector<std::string>{"ipc", "mount", "network", "pid", "uts"}));
  ASSERT_NE(FindNs(spec, "network"), nullptr);
  EXPECT_EQ((*FindNs(spec, "network"))["path"], sb.netns_path);
  EXPECT_FALSE(FindNs(spec, "uts")->contains("path"));
}

TEST(SandboxSpec, EveryPodButAHostPidOneHasItsOwnPidNamespace) {
  Sandbox sb = PodSandbox();
  sb.ns.pid = NsMode::kPod;
  EXPECT_NE(FindNs(BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0}), "pid"), nullptr);
  sb.ns.pid = NsMode::kContainer;  // still the pod's own: containers in mode POD join it
  EXPECT_NE(FindNs(BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0}), "pid"), nullptr);
  sb.ns.pid = NsMode::kNode;
  EXPECT_EQ(FindNs(BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0}), "pid"), nullptr);
}

TEST(SandboxSpec, HostNetworkAndIpc) {
  Sandbox sb = PodSandbox();
  sb.ns.network = NsMode::kNode;
  sb.ns.ipc = NsMode::kNode;
  sb.netns_path.clear();
  sb.shm_path.clear();
  json spec = BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0});
  EXPECT_EQ(NsTypes(spec), (std::vector<std::string>{"mount", "pid"}));
  EXPECT_FALSE(spec.contains("hostname"));  // no UTS namespace of its own
  ASSERT_NE(FindMount(spec, "/dev/shm"), nullptr);
  EXPECT_EQ((*FindMount(spec, "/dev/shm"))["source"], "/dev/shm");
}

TEST(SandboxSpec, DefaultMounts) {
  Sandbox sb = PodSandbox();
  json spec = BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0});
  for (const char* dest : {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"}) {
    EXPECT_NE(FindMount(spec, dest), nullptr) << dest;
  }
  const json& shm = *FindMount(spec, "/dev/shm");
  EXPECT_EQ(shm["source"], sb.shm_path);
  EXPECT_EQ(shm["type"], "bind");
  const json& sys = *FindMount(spec, "/sys");
  EXPECT_NE(std::find(sys["options"].begin(), sys["options"].end(), "ro"), sys["options"].end());
}

TEST(SandboxSpec, SysctlsGoToTheSpec) {
  Sandbox sb = PodSandbox();
  sb.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "0"}, {"kernel.shmmax", "1000000"}};
  json spec = BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0});
  EXPECT_EQ(spec["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"], "0");
  EXPECT_EQ(spec["linux"]["sysctl"]["kernel.shmmax"], "1000000");
  sb.sysctls.clear();
  EXPECT_FALSE(BuildSandboxSpec({sb, "/r", BuiltinPauseProcess(sb), 0})["linux"].contains("sysctl"));
}

TEST(Sysctls, NamespacedOnesAreAllowed) {
  NamespaceOptions ns;
  EXPECT_NO_THROW(ValidateSysctls({{"kernel.shmmax", "1"},
                                   {"kernel.shm_rmid_forced", "1"},
                                   {"kernel.msgmax", "1"},
                                   {"kernel.sem", "250 32000 32 128"},
                                   {"fs.mqueue.msg_max", "10"},
                                   {"net.ipv4.ip_forward", "1"},
                                   {"net/ipv4/tcp_syncookies", "1"}},
                                  ns));
}

void ExpectRefused(const std::map<std::string, std::string>& sysctls, const NamespaceOptions& ns,
                   const std::string& name) {
  try {
    ValidateSysctls(sysctls, ns);
    ADD_FAILURE() << name << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(Sysctls, NodeLevelOnesAreRefusedByName) {
  NamespaceOptions ns;
  ExpectRefused({{"kernel.panic", "1"}}, ns, "kernel.panic");
  ExpectRefused({{"vm.swappiness", "1"}}, ns, "vm.swappiness");
  ExpectRefused({{"kernel.semx", "1"}}, ns, "kernel.semx");
  ExpectRefused({{"fs.file-max", "1"}}, ns, "fs.file-max");
}

TEST(Sysctls, HostNamespacesRefuseTheirSysctls) {
  NamespaceOptions host_net;
  host_net.network = NsMode::kNode;
  ExpectRefused({{"net.ipv4.ip_forward", "1"}}, host_net, "net.ipv4.ip_forward");
  EXPECT_NO_THROW(ValidateSysctls({{"kernel.shmmax", "1"}}, host_net));
  NamespaceOptions host_ipc;
  host_ipc.ipc = NsMode::kNode;
  ExpectRefused({{"kernel.msgmax", "1"}}, host_ipc, "kernel.msgmax");
  EXPECT_NO_THROW(ValidateSysctls({{"net.core.somaxconn", "1024"}}, host_ipc));
}

TEST(Sysctls, NamesValuesAndExistence) {
  NamespaceOptions ns;
  const auto only = [](std::set<std::string> known) {
    return [known](const std::string& n) { return known.contains(n); };
  };
  EXPECT_NO_THROW(ValidateSysctls({{"net.ipv4.ip_forward", "1"}}, ns, only({"net.ipv4.ip_forward"})));
  try {
    ValidateSysctls({{"net.ipv4.no_such", "1"}}, ns, only({}));
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"net.ipv4.no_such\" does not exist"), std::string::npos) << e.what();
  }
  // A pod's own devices are not berthd's: per-device keys are not looked up.
  EXPECT_NO_THROW(ValidateSysctls({{"net.ipv4.conf.eth0.forwarding", "1"}}, ns, only({})));
  EXPECT_THROW(ValidateSysctls({{"net.ipv4.conf.all.nope", "1"}}, ns, only({})), Error);
  ExpectRefused({{"net.ipv4.ip_forward", "1\nkernel.panic=1"}}, ns, "newline");
  ExpectRefused({{"net.ipv4.ip_forward", ""}}, ns, "empty");
  ExpectRefused({{"net.ipv4..ip_forward", "1"}}, ns, "not a sysctl name");
  ExpectRefused({{"net/ipv4/../../kernel/panic", "1"}}, ns, "not a sysctl name");
  ExpectRefused({{"net.ipv4.ip forward", "1"}}, ns, "not a sysctl name");
}

TEST(CgroupsPath, Cgroupfs) {
  using config::CgroupManager;
  EXPECT_EQ(SandboxCgroupsPath(CgroupManager::kCgroupfs, "/kubepods/burstable/pod123", "abc"),
            "/kubepods/burstable/pod123/abc");
  EXPECT_EQ(SandboxCgroupsPath(CgroupManager::kCgroupfs, "/kubepods/burstable/pod123/", "abc"),
            "/kubepods/burstable/pod123/abc");
  EXPECT_EQ(SandboxCgroupsPath(CgroupManager::kCgroupfs, "kubepods", "abc"), "/kubepods/abc");
  EXPECT_EQ(SandboxCgroupsPath(CgroupManager::kCgroupfs, "", "abc"), "/berth/abc");
  EXPECT_THROW(SandboxCgroupsPath(CgroupManager::kCgroupfs, "kubepods-burstable-pod1.slice", "abc"), Error);
}

TEST(CgroupsPath, Systemd) {
  using config::CgroupManager;
  EXPECT_EQ(SandboxCgroupsPath(CgroupManager::kSystemd, "kubepods-burstable-pod123.slice", "abc"),
            "kubepods-burstable-pod123.slice:berth:abc");
  EXPECT_EQ(SandboxCgroupsPath(CgroupManager::kSystemd, "", "abc"), "system.slice:berth:abc");
  EXPECT_THROW(SandboxCgroupsPath(CgroupManager::kSystemd, "/kubepods/burstable", "abc"), Error);
}

TEST(OomScoreAdj, NeverBelowBerthdsOwn) {
  EXPECT_EQ(PauseOomScoreAdj(-1000), -998);
  EXPECT_EQ(PauseOomScoreAdj(-998), -998);
  EXPECT_EQ(PauseOomScoreAdj(-500), -500);
  EXPECT_EQ(PauseOomScoreAdj(0), 0);
  EXPECT_EQ(PauseOomScoreAdj(300), 300);
}

}  // namespace
}  // namespace berth::pod
