// A container's OCI spec, the mounts and linux parts: default and CRI
// mounts, image volumes, namespaces, resources, devices.
#include "tests/unit/pod/container_spec_case.h"

namespace berth::pod::testing {
namespace {

// --- confinement --------------------------------------------------------------

TEST(ContainerSpecSecurity, SeccompFollowsTheChoiceAndTheContainersCapabilities) {
  Case c;
  EXPECT_FALSE(c.Spec()["linux"].contains("seccomp")) << "unconfined";
  c.security.seccomp.mode = SeccompMode::kRuntimeDefault;
  json seccomp = c.Spec()["linux"]["seccomp"];
  EXPECT_EQ(seccomp["defaultAction"], "SCMP_ACT_ERRNO");
  const auto allows = [](const json& p, const std::string& name) {
    const auto& names = p["syscalls"][0]["names"];
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  EXPECT_FALSE(allows(seccomp, "sethostname"));
  c.sc().mutable_capabilities()->add_add_capabilities("SYS_ADMIN");
  EXPECT_TRUE(allows(c.Spec()["linux"]["seccomp"], "sethostname")) << "the capability opens it";
  c.security.seccomp = {SeccompMode::kLocalhost, "/p.json"};
  c.security.seccomp_profile = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []})";
  EXPECT_EQ(c.Spec()["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ALLOW");
}

TEST(ContainerSpecSecurity, PrivilegedRunsUnconfinedButABrokenProfileIsRefused) {
  Case c;
  c.sb.privileged = true;
  c.sc().set_privileged(true);
  c.security.seccomp.mode = SeccompMode::kRuntimeDefault;
  c.security.apparmor_profile = "custom";
  json spec = c.Spec();
  EXPECT_FALSE(spec["linux"].contains("seccomp"));
  EXPECT_FALSE(spec["process"].contains("apparmorProfile"));
  c.security.seccomp = {SeccompMode::kLocalhost, "/p.json"};
  c.security.seccomp_profile = "{";
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);
}

TEST(ContainerSpecSecurity, AppArmorAndSelinuxGoIntoTheProcess) {
  Case c;
  c.security.apparmor_profile = "custom";
  c.security.selinux_label = "system_u:system_r:container_t:s0";
  json spec = c.Spec();
  EXPECT_EQ(spec["process"]["apparmorProfile"], "custom");
  EXPECT_EQ(spec["process"]["selinuxLabel"], "system_u:system_r:container_t:s0");
}

// --- mounts -----------------------------------------------------------------

TEST(ContainerSpecMounts, DefaultsAndPodFiles) {
  Case c;
  json spec = c.Spec();
  for (const char* d : {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
                        "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"}) {
    EXPECT_NE(FindMount(spec, d), nullptr) << d;
  }
  EXPECT_EQ((*FindMount(spec, "/dev/shm"))["source"], c.sb.shm_path);
  EXPECT_TRUE(HasOption(*FindMount(spec, "/sys"), "ro"));
  EXPECT_TRUE(HasOption(*FindMount(spec, "/sys/fs/cgroup"), "ro"));
  EXPECT_EQ((*FindMount(spec, "/etc/hosts"))["source"], "/run/berth/pod/hosts");
  EXPECT_TRUE(HasOption(*FindMount(spec, "/etc/resolv.conf"), "rw"));
  c.sc().set_readonly_rootfs(true);
  EXPECT_TRUE(HasOption(*FindMount(c.Spec(), "/etc/resolv.conf"), "ro"));
}

TEST(ContainerSpecMounts, HostIpcUsesHostShm) {
  Case c;
  c.sb.ns.ipc = NsMode::kNode;
  c.sb.shm_path.clear();
  EXPECT_EQ((*FindMount(c.Spec(), "/dev/shm"))["source"], "/dev/shm");
}

TEST(ContainerSpecMounts, CriMountsPropagationReadonlyAndOrder) {
  Case c;
  auto add = [&](const std::string& dest, const std::string& host, bool ro, v1::MountPropagation p) {
    auto* m = c.config.add_mounts();
    m->set_container_path(dest);
    m->set_host_path(host);
    m->set_readonly(ro);
    m->set_propagation(p);
    m->set_selinux_relabel(true);  // ignored: no SELinux on the node
  };
  add("/data/logs/", "/srv/logs", false, v1::PROPAGATION_PRIVATE);
  add("/data", "/srv/data", true, v1::PROPAGATION_HOST_TO_CONTAINER);
  json spec = c.Spec();
  const json* data = FindMount(spec, "/data");
  const json* logs = FindMount(spec, "/data/logs");
  ASSERT_NE(data, nullptr);
  ASSERT_NE(logs, nullptr);
  EXPECT_LT(data, logs);  // the parent is mounted first
  EXPECT_EQ((*data)["type"], "bind");
  EXPECT_EQ((*data)["source"], "/srv/data");
  EXPECT_EQ((*data)["options"], json({"rbind", "rslave", "ro"}));
  EXPECT_EQ((*logs)["options"], json({"rbind", "rprivate", "rw"}));
  EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rslave");

  add("/shared", "/srv/shared", false, v1::PROPAGATION_BIDIRECTIONAL);
  spec = c.Spec();
  EXPECT_EQ((*FindMount(spec, "/shared"))["options"], json({"rbind", "rshared", "rw"}));
  EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rshared");
  // gVisor cannot share a mount back to the host: refused, not failed by runsc.
  c.sb.runtime_type = config::RuntimeType::kSandbox;
  c.sb.runtime_handler = "runsc";
  const auto [code, message] = Failure(c);
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_NE(message.find("PROPAGATION_BIDIRECTIONAL"), std::string::npos) << message;
}

TEST(ContainerSpecMounts, CriMountReplacesDefaultAtSamePath) {
  Case c;
  for (const char* dest : {"/etc/hosts", "/dev/shm"}) {
    auto* m = c.config.add_mounts();
    m->set_container_path(dest);
    m->set_host_path(std::string("/kubelet") + dest);
  }
  json spec = c.Spec();
  for (const char* dest : {"/etc/hosts", "/dev/shm"}) {
    int n = 0;
    for (const auto& m : spec["mounts"]) n += m["destination"] == dest;
    EXPECT_EQ(n, 1) << dest;
    EXPECT_EQ((*FindMount(spec, dest))["source"], std::string("/kubelet") + dest);
  }
}

TEST(ContainerSpecMounts, RelativeOrMissingPathsAreInvalidArgument) {
  Case c;
  auto* m = c.config.add_mounts();
  m->set_container_path("data");
  m->set_host_path("/srv/data");
  auto [code, msg] = Failure(c);
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_NE(msg.find("\"data\""), std::string::npos) << msg;
  m->set_container_path("/data");
  m->set_host_path("");
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);
  m->set_host_path("/srv/data");
  m->set_recursive_read_only(true);
  EXPECT_EQ(Failure(c).first, Code::kUnimplemented);
}

TEST(ContainerSpecMounts, ImageVolumesNotCoveredGetHostDirs) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"Volumes", {{"/cache", json::object()}, {"/var/lib/db", json::object()}}}});
  auto* m = c.config.add_mounts();
  m->set_container_path("/var/lib/db/");
  m->set_host_path("/pv/db");
  ContainerSpec s = c.Build();
  const std::string dir = "/var/lib/berth/containers/" + kId + "/volumes/0";
  EXPECT_EQ(s.volume_dirs, std::vector<std::string>{dir});
  ASSERT_NE(FindMount(s.spec, "/cache"), nullptr);
  EXPECT_EQ((*FindMount(s.spec, "/cache"))["source"], dir);
  EXPECT_EQ((*FindMount(s.spec, "/var/lib/db"))["source"], "/pv/db");
}

// --- namespaces -------------------------------------------------------------

TEST(ContainerSpecNamespaces, JoinsThePodsNetworkIpcUts) {
  Case c;
  json spec = c.Spec();
  EXPECT_EQ((*FindNs(spec, "network"))["path"], c.sb.netns_path);
  EXPECT_EQ((*FindNs(spec, "ipc"))["path"], "/proc/4242/ns/ipc");
  EXPECT_EQ((*FindNs(spec, "uts"))["path"], "/proc/4242/ns/uts");
  EXPECT_FALSE(FindNs(spec, "mount")->contains("path"));
  EXPECT_FALSE(FindNs(spec, "pid")->contains("path"));  // CONTAINER: a new one
}

TEST(ContainerSpecNamespaces, HostNetworkAndIpcAreNotEntered) {
  Case c;
  c.sb.ns.network = NsMode::kNode;
  c.sb.ns.ipc = NsMode::kNode;
  c.sb.netns_path.clear();
  json spec = c.Spec();
  EXPECT_EQ(FindNs(spec, "network"), nullptr);
  EXPECT_EQ(FindNs(spec, "uts"), nullptr);
  EXPECT_EQ(FindNs(spec, "ipc"), nullptr);
  EXPECT_NE(FindNs(spec, "mount"), nullptr);
}

TEST(ContainerSpecNamespaces, PidModes) {
  Case c;
  auto* opts = c.sc().mutable_namespace_options();
  opts->set_pid(v1::POD);
  // The pause's, whether the pod asked for CONTAINER or POD.
  EXPECT_EQ((*FindNs(c.Spec(), "pid"))["path"], "/proc/4242/ns/pid");
  c.sb.ns.pid = NsMode::kPod;
  EXPECT_EQ((*FindNs(c.Spec(), "pid"))["path"], "/proc/4242/ns/pid");
  c.sb.ns.pid = NsMode::kNode;  // a host-PID pod: POD means the host's
  EXPECT_EQ(FindNs(c.Spec(), "pid"), nullptr);
  c.sb.ns.pid = NsMode::kPod;
  opts->set_pid(v1::NODE);
  EXPECT_EQ(FindNs(c.Spec(), "pid"), nullptr);
  opts->set_pid(v1::TARGET);
  opts->set_target_id("other");
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);
  c.target_pid = 777;
  EXPECT_EQ((*FindNs(c.Spec(), "pid"))["path"], "/proc/777/ns/pid");
}

TEST(ContainerSpecNamespaces, ASandboxRuntimesContainersShareTheSandboxs) {
  // gVisor: the pause's namespaces are in the sandbox's kernel; /proc paths
  // of the host would name the sandbox process's, not the pod's.
  Case c;
  c.sb.runtime_type = config::RuntimeType::kSandbox;
  c.sb.runtime_handler = "runsc";
  auto* opts = c.sc().mutable_namespace_options();
  opts->set_pid(v1::POD);
  json spec = c.Spec();
  for (const char* ns : {"network", "ipc", "uts", "pid"}) EXPECT_EQ(FindNs(spec, ns), nullptr) << ns;
  EXPECT_NE(FindNs(spec, "mount"), nullptr);
  opts->set_pid(v1::CONTAINER);
  spec = c.Spec();
  ASSERT_NE(FindNs(spec, "pid"), nullptr);
  EXPECT_FALSE(FindNs(spec, "pid")->contains("path"));
  opts->set_pid(v1::TARGET);
  opts->set_target_id("other");
  c.target_pid = 777;
  const auto [code, message] = Failure(c);
  EXPECT_EQ(code, Code::kUnimplemented);
  EXPECT_NE(message.find("TARGET"), std::string::npos) << message;
}

TEST(ContainerSpecUserGroups, ASandboxRuntimeGetsTheGroupsSorted) {
  Case c;
  c.sc().mutable_run_as_user()->set_value(1000);
  c.sc().add_supplemental_groups(50000);
  c.sc().add_supplemental_groups(1234);
  EXPECT_EQ(c.Spec()["process"]["user"]["additionalGids"], json({0, 50000, 1234}));  // runc: the kernel sorts
  c.sb.runtime_type = config::RuntimeType::kSandbox;
  EXPECT_EQ(c.Spec()["process"]["user"]["additionalGids"], json({0, 1234, 50000}));
}

TEST(ContainerSpecNamespaces, NoPauseProcessIsFailedPrecondition) {
  Case c;
  c.sb.pause_pid = 0;
  EXPECT_EQ(Failure(c).first, Code::kFailedPrecondition);
}

// --- resources --------------------------------------------------------------

TEST(ContainerSpecResources, CriValuesMapAndZeroMeansUnset) {
  const CgroupSupport all;  // undetected: everything is kept
  v1::LinuxContainerResources r;
  EXPECT_EQ(OciResources(r, all), json::object());
  r.set_cpu_shares(512);
  r.set_cpu_quota(50000);
  r.set_cpu_period(100000);
  r.set_cpuset_cpus("0-1");
  r.set_cpuset_mems("0");
  r.set_memory_limit_in_bytes(64 << 20);
  r.set_memory_swap_limit_in_bytes(128 << 20);
  auto* h = r.add_hugepage_limits();
  h->set_page_size("2MB");
  h->set_limit(4 << 20);
  (*r.mutable_unified())["memory.high"] = "1000000";
  json want = {{"cpu", {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0-1"}, {"mems", "0"}}},
               {"memory", {{"limit", 64 << 20}, {"swap", 128 << 20}}},
               {"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4 << 20}}}},
               {"unified", {{"memory.high", "1000000"}}}};
  std::vector<DroppedLimit> dropped;
  EXPECT_EQ(OciResources(r, all, &dropped), want);
  EXPECT_TRUE(dropped.empty());
  r.set_cpu_shares(-1);
  EXPECT_THROW(OciResources(r, all), Error);
}

TEST(ContainerSpecResources, AMemoryLimitMeansNoSwapBeyondIt) {
  for (bool unified : {false, true}) {
    CgroupSupport cg;
    cg.detected = true;
    cg.unified = unified;
    cg.controllers = {"memory"};
    cg.swap = true;
    v1::LinuxContainerResources r;
    r.set_memory_limit_in_bytes(64 << 20);
    // swap counts memory plus swap: equal to the limit is no swap (runc: v1 memsw, v2 swap.max = 0).
    EXPECT_EQ(OciResources(r, cg), (json{{"memory", {{"limit", 64 << 20}, {"swap", 64 << 20}}}})) << unified;
    r.set_memory_swap_limit_in_bytes(96 << 20);  // an explicit one is honoured
    EXPECT_EQ(OciResources(r, cg)["memory"]["swap"], 96 << 20);
    r.set_memory_swap_limit_in_bytes(-1);  // unlimited, as kubelet's NodeSwap UnlimitedSwap asks
    EXPECT_EQ(OciResources(r, cg)["memory"]["swap"], -1);
    r.set_memory_swap_limit_in_bytes(32 << 20);  // below the memory limit: runc would fail on it
    EXPECT_THROW(OciResources(r, cg), Error);
  }
  // No swap accounting: a limit stays a memory limit, an explicit swap limit is refused.
  CgroupSupport no_swap;
  no_swap.detected = true;
  no_swap.controllers = {"memory"};
  v1::LinuxContainerResources r;
  r.set_memory_limit_in_bytes(64 << 20);
  EXPECT_EQ(OciResources(r, no_swap), (json{{"memory", {{"limit", 64 << 20}}}}));
  r.set_memory_swap_limit_in_bytes(128 << 20);
  try {
    OciResources(r, no_swap);
    ADD_FAILURE() << "a swap limit the node cannot apply was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("memory_swap_limit_in_bytes"), std::string::npos) << e.what();
  }
}

// This node's shape: v1 without hugetlb, 2MB and 1GB pages, as kubelet fills them.
CgroupSupport V1WithoutHugetlb() {
  CgroupSupport cg;
  cg.detected = true;
  cg.controllers = {"cpu", "cpuacct", "cpuset", "memory", "pids", "devices"};
  cg.hugepage_sizes = {"2MB", "1GB"};
  return cg;
}

TEST(ContainerSpecResources, LimitsOfMissingControllersAreDroppedAndSaid) {
  v1::LinuxContainerResources r;
  r.set_memory_limit_in_bytes(64 << 20);
  for (const char* size : {"2MB", "1GB"}) {
    auto* h = r.add_hugepage_limits();
    h->set_page_size(size);
    h->set_limit(0);
  }
  std::vector<DroppedLimit> dropped;
  json res = OciResources(r, V1WithoutHugetlb(), &dropped);
  EXPECT_EQ(res, (json{{"memory", {{"limit", 64 << 20}}}}));
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].resource, "hugepage_limits[2MB]");
  EXPECT_EQ(dropped[0].controller, "hugetlb");
  EXPECT_TRUE(dropped[0].zero);
  EXPECT_NE(dropped[0].reason.find("no hugetlb cgroup controller (v1)"), std::string::npos) << dropped[0].reason;

  // A non-zero limit goes too, marked as such; so does a unified map on v1.
  r.mutable_hugepage_limits(0)->set_limit(2 << 20);
  (*r.mutable_unified())["memory.high"] = "1000";
  dropped.clear();
  res = OciResources(r, V1WithoutHugetlb(), &dropped);
  EXPECT_FALSE(res.contains("hugepageLimits"));
  EXPECT_FALSE(res.contains("unified"));
  ASSERT_EQ(dropped.size(), 3u);
  EXPECT_FALSE(dropped[0].zero);
  EXPECT_EQ(dropped[0].value, std::to_string(2 << 20));
  EXPECT_EQ(dropped[2].resource, "unified[memory.high]");
}

TEST(ContainerSpecResources, HugetlbOnV2KeepsOnlyThePageSizesTheKernelHas) {
  CgroupSupport cg;
  cg.detected = true;
  cg.unified = true;
  cg.controllers = {"cpu", "memory", "hugetlb", "pids"};
  cg.hugepage_sizes = {"2MB"};
  v1::LinuxContainerResources r;
  for (const char* size : {"2MB", "1GB"}) r.add_hugepage_limits()->set_page_size(size);
  (*r.mutable_unified())["memory.high"] = "1000";
  (*r.mutable_unified())["io.max"] = "8:0 rbps=1";
  std::vector<DroppedLimit> dropped;
  json res = OciResources(r, cg, &dropped);
  EXPECT_EQ(res["hugepageLimits"], (json{{{"pageSize", "2MB"}, {"limit", 0}}}));
  EXPECT_EQ(res["unified"], (json{{"memory.high", "1000"}}));
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].resource, "hugepage_limits[1GB]");
  EXPECT_EQ(dropped[1].resource, "unified[io.max]");
}

TEST(ContainerSpecResources, ContainerSpecReportsWhatItDropped) {
  Case c;
  c.cgroups = V1WithoutHugetlb();
  c.res().add_hugepage_limits()->set_page_size("2MB");
  ContainerSpec s = c.Build();
  EXPECT_FALSE(s.spec["linux"]["resources"].contains("hugepageLimits"));
  ASSERT_EQ(s.dropped_limits.size(), 1u);
  EXPECT_EQ(s.dropped_limits[0].resource, "hugepage_limits[2MB]");
}

TEST(CgroupSupport, ParsesV1MountsV2ControllersAndPageSizes) {
  const std::string mountinfo =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  EXPECT_EQ(CgroupSupport::V1ControllersFromMountinfo(mountinfo), (std::set<std::string>{"cpu", "cpuacct", "memory"}));
  EXPECT_EQ(CgroupSupport::V1MountPoint(mountinfo, "memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(CgroupSupport::V1MountPoint(mountinfo, "cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(CgroupSupport::V1MountPoint(mountinfo, "hugetlb"), "");
  EXPECT_EQ(CgroupSupport::HierarchiesFromMountinfo(mountinfo),
            (std::vector<std::string>{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd",
                                      "/sys/fs/cgroup/unified"}));
  EXPECT_EQ(CgroupSupport::V2Controllers("cpuset cpu io memory hugetlb pids\n"),
            (std::set<std::string>{"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}));
  EXPECT_EQ(CgroupSupport::HugepageSizeFromDir("hugepages-2048kB"), "2MB");
  EXPECT_EQ(CgroupSupport::HugepageSizeFromDir("hugepages-1048576kB"), "1GB");
  EXPECT_EQ(CgroupSupport::HugepageSizeFromDir("hugepages-64kB"), "64KB");
  EXPECT_EQ(CgroupSupport::HugepageSizeFromDir("nr_hugepages"), "");
  EXPECT_EQ(CgroupSupport::HugepageSizeFromDir("hugepages-xkB"), "");
}

TEST(ContainerSpecResources, SpecCarriesResourcesAndDenyAllDevices) {
  Case c;
  c.res().set_memory_limit_in_bytes(1 << 30);
  json res = c.Spec()["linux"]["resources"];
  EXPECT_EQ(res["memory"]["limit"], 1 << 30);
  EXPECT_EQ(res["devices"], json::parse(R"([{"allow":false,"access":"rwm"}])"));
  EXPECT_FALSE(res.contains("pids"));
}

// --- devices ----------------------------------------------------------------

TEST(ContainerSpecDevices, NodesAndAllowRules) {
  Case c;
  auto* d = c.config.add_devices();
  d->set_host_path("/dev/fuse");
  d->set_container_path("/dev/fuse");
  d->set_permissions("rw");
  d = c.config.add_devices();
  d->set_host_path("/dev/loop0");
  d->set_container_path("/dev/xloop");
  d->set_permissions("mrw");
  json lx = c.Spec()["linux"];
  EXPECT_EQ(lx["devices"], json::parse(R"([
    {"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0},
    {"path":"/dev/xloop","type":"b","major":7,"minor":0,"fileMode":432,"uid":0,"gid":6}])"));
  EXPECT_EQ(lx["resources"]["devices"], json::parse(R"([
    {"allow":false,"access":"rwm"},
    {"allow":true,"type":"c","major":10,"minor":229,"access":"rw"},
    {"allow":true,"type":"b","major":7,"minor":0,"access":"mrw"}])"));
}

TEST(ContainerSpecDevices, NoDeviceNodeOrBadPermissionsIsInvalidArgument) {
  Case c;
  auto* d = c.config.add_devices();
  d->set_host_path("/etc/passwd");
  d->set_container_path("/dev/x");
  auto [code, msg] = Failure(c);
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_NE(msg.find("/etc/passwd"), std::string::npos) << msg;
  d->set_host_path("/dev/fuse");
  d->set_permissions("rwx");
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::pod::testing
