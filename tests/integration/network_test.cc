// berth's network library against the real kernel and the real CNI plugins
// (/usr/lib/cni): netns pins, bridge + host-local + portmap, plugin failure.
// Each test uses its own bridge and subnet, so ctest -j can run them together.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "storage/base/error.h"
#include "network/cni.h"
#include "network/netns.h"
#include "tests/support/temp_dir.h"

namespace berth::network {
namespace {

namespace fs = std::filesystem;
using berth::testing::TempDir;
using nlohmann::json;

#define REQUIRE_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, mounts, bridges)"

// Runs a shell command; returns its stdout+stderr, exit status in *status.
std::string Sh(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "re");
  if (!p) return "popen failed";
  std::array<char, 4096> buf;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

bool MountedAt(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    if (point == path) return true;
  }
  return false;
}

std::string NsLink(const std::string& path) { return fs::read_symlink(path).string(); }

// A temp conf/bin/cache/ipam/pin layout, one bridge, and its cleanup.
class NetEnv {
 public:
  NetEnv(std::string bridge, std::string subnet) : bridge_(std::move(bridge)), subnet_(std::move(subnet)) {}
  ~NetEnv() {
    Sh("ip link del " + bridge_);
    ::umount2(pins().c_str(), MNT_DETACH);  // the mount point PinnedNetns made of the pin dir
  }
  NetEnv(const NetEnv&) = delete;
  NetEnv& operator=(const NetEnv&) = delete;

  std::string net_name() const { return "berth-" + bridge_; }
  std::string pins() const { return tmp_ / "netns"; }
  std::string conf_dir() const { return tmp_ / "net.d"; }
  std::string cache_dir() const { return tmp_ / "cache"; }
  std::string bin_dir() const { return tmp_ / "bin"; }
  std::string ipam_dir() const { return tmp_ / "ipam"; }

  json BridgePlugin() const {
    return {{"type", "bridge"}, {"bridge", bridge_}, {"isGateway", true},
            {"ipam", {{"type", "host-local"}, {"ranges", {{{{"subnet", subnet_}}}}}, {"dataDir", ipam_dir()}}}};
  }
  void WriteConflist(json plugins) const {
    tmp_.Write("net.d/10-test.conflist", json{{"cniVersion", "1.0.0"}, {"name", net_name()}, {"plugins", plugins}}.dump());
  }
  // A plugin script in the temp bin dir.
  void WritePlugin(const std::string& name, const std::string& body) const {
    std::string p = tmp_.Write("bin/" + name, "#!/bin/sh\n" + body);
    fs::permissions(p, fs::perms::owner_all);
  }
  // host-local's allocations: one file per IP in <dataDir>/<network name>.
  std::vector<std::string> AllocatedIps() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(ipam_dir() + "/" + net_name(), ec), end; !ec && it != end; it.increment(ec)) {
      const std::string n = it->path().filename().string();
      if (n.find('.') != std::string::npos && n.find_first_not_of("0123456789.") == std::string::npos) out.push_back(n);
    }
    return out;
  }
  Cni MakeCni(bool with_test_bin = false) const {
    std::vector<std::string> bins{"/usr/lib/cni"};
    if (with_test_bin) bins.insert(bins.begin(), bin_dir());
    return Cni(conf_dir(), bins, cache_dir());
  }
  Attachment Pod(const PinnedNetns& ns, const std::string& id) const {
    Attachment a;
    a.container_id = id;
    a.netns_path = ns.path();
    a.pod_name = "pod-" + id;
    a.pod_namespace = "default";
    a.pod_uid = "uid-" + id;
    return a;
  }

 private:
  TempDir tmp_;
  std::string bridge_, subnet_;
};

TEST(PinnedNetns, CreateBringsLoopbackUpAndRemoveLeavesNothing) {
  REQUIRE_ROOT();
  NetEnv env("berthtst9", "10.199.9.0/24");
  const std::string host_ns = NsLink("/proc/self/ns/net");
  std::string path;
  {
    auto ns = PinnedNetns::Create(env.pins(), "pod1");
    path = ns.path();
    EXPECT_EQ(path, env.pins() + "/pod1");
    EXPECT_TRUE(PinnedNetns::IsPinned(path));
    EXPECT_TRUE(MountedAt(path));
    EXPECT_EQ(NsLink("/proc/self/ns/net"), host_ns) << "creating a netns must not move berthd's threads";
    struct stat pin {}, host {};
    ASSERT_EQ(::stat(path.c_str(), &pin), 0);
    ASSERT_EQ(::stat("/proc/self/ns/net", &host), 0);
    EXPECT_NE(pin.st_ino, host.st_ino);
    const std::string lo = Sh("nsenter --net=" + path + " ip -o link show lo");
    EXPECT_NE(lo.find(",UP"), std::string::npos) << lo;
    int st = 0;
    Sh("nsenter --net=" + path + " busybox ping -c1 -W2 127.0.0.1", &st);
    EXPECT_EQ(st, 0) << "loopback must work inside the pod netns";

    try {
      PinnedNetns::Create(env.pins(), "pod1");
      ADD_FAILURE() << "a second Create of the same pin must fail";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kAlreadyExists) << e.what();
    }
    EXPECT_TRUE(PinnedNetns::IsPinned(path)) << "the failed Create must not remove the existing pin";
  }  // RAII: not released, so removed
  EXPECT_FALSE(MountedAt(path));
  EXPECT_FALSE(fs::exists(path));

  auto kept = PinnedNetns::Create(env.pins(), "pod2");
  const std::string released = kept.Release();
  { auto moved = std::move(kept); }  // a released pin survives its object
  EXPECT_TRUE(PinnedNetns::IsPinned(released));
  PinnedNetns::Remove(released);
  PinnedNetns::Remove(released);  // idempotent
  EXPECT_FALSE(MountedAt(released));
  EXPECT_FALSE(fs::exists(released));
  EXPECT_FALSE(PinnedNetns::IsPinned(released));
}

TEST(Network, TwoPodsOnABridgeGetIpsPingAndTearDown) {
  REQUIRE_ROOT();
  NetEnv env("berthtst0", "10.199.0.0/24");
  env.WriteConflist({env.BridgePlugin(), {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}});
  Cni cni = env.MakeCni();
  auto ns_a = PinnedNetns::Create(env.pins(), "a");
  auto ns_b = PinnedNetns::Create(env.pins(), "b");
  Attachment a = env.Pod(ns_a, "aaaa1111"), b = env.Pod(ns_b, "bbbb2222");
  a.port_mappings = {{"tcp", 80, 18480, ""}};

  PodNetwork na = cni.Setup(a);
  PodNetwork nb = cni.Setup(b);
  ASSERT_EQ(na.ips.size(), 1u);
  ASSERT_EQ(nb.ips.size(), 1u);
  EXPECT_EQ(na.network_name, env.net_name());
  EXPECT_TRUE(na.ips[0].starts_with("10.199.0.")) << na.ips[0];
  EXPECT_TRUE(nb.ips[0].starts_with("10.199.0.")) << nb.ips[0];
  EXPECT_NE(na.ips[0], nb.ips[0]);
  EXPECT_EQ(na.result.value("cniVersion", ""), "1.0.0");

  // The addresses are on eth0 inside each netns, and the pods reach each other over the bridge.
  const std::string addr_a = Sh("nsenter --net=" + ns_a.path() + " ip -o -4 addr show dev eth0");
  EXPECT_NE(addr_a.find(na.ips[0] + "/24"), std::string::npos) << addr_a;
  const std::string addr_b = Sh("nsenter --net=" + ns_b.path() + " ip -o -4 addr show dev eth0");
  EXPECT_NE(addr_b.find(nb.ips[0] + "/24"), std::string::npos) << addr_b;
  int st = -1;
  const std::string ping = Sh("nsenter --net=" + ns_a.path() + " busybox ping -c1 -W2 " + nb.ips[0], &st);
  EXPECT_EQ(st, 0) << ping;

  // portmap got the runtimeConfig: its DNAT rule names the sandbox.
  EXPECT_NE(Sh("iptables -t nat -S").find("aaaa1111"), std::string::npos);

  // Cached before Setup returned; IPs held by host-local.
  EXPECT_EQ(cni.CachedContainerIds(), (std::vector<std::string>{"aaaa1111", "bbbb2222"}));
  auto cached = cni.Cached("aaaa1111");
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->ips, na.ips);
  EXPECT_EQ(env.AllocatedIps().size(), 2u);
  // CHECK on b (no port mappings): portmap 1.1.1's own CHECK wrongly looks for an IPv6 DNAT
  // chain it never created for a v4-only pod with mappings, so it cannot pass for a.
  EXPECT_NO_THROW(cni.Check(b));

  // DEL comes from the cache, even after the conf dir changed.
  env.WriteConflist({{{"type", "does-not-exist"}}});
  cni.Teardown(a);
  cni.Teardown(a);  // idempotent
  EXPECT_EQ(env.AllocatedIps(), std::vector<std::string>{nb.ips[0]});
  EXPECT_EQ(Sh("iptables -t nat -S").find("aaaa1111"), std::string::npos) << "portmap rules must go with DEL";
  EXPECT_FALSE(cni.Cached("aaaa1111"));
  EXPECT_EQ(Sh("nsenter --net=" + ns_a.path() + " ip -o link show eth0", &st).find("eth0@"), std::string::npos);
  try {
    cni.Check(a);
    ADD_FAILURE() << "Check after Teardown must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition) << e.what();
  }

  cni.Teardown(b);
  EXPECT_TRUE(env.AllocatedIps().empty());
  EXPECT_TRUE(cni.CachedContainerIds().empty());

  const std::string pin_a = ns_a.path();
  PinnedNetns::Remove(pin_a);
  EXPECT_FALSE(MountedAt(pin_a));
  EXPECT_FALSE(fs::exists(pin_a));
}

TEST(Network, FailingPluginRollsBackAndReportsItsError) {
  REQUIRE_ROOT();
  NetEnv env("berthtst1", "10.199.1.0/24");
  // Fails ADD and DEL alike, so the rollback must carry on past it.
  env.WritePlugin("failplug",
                  "cat >/dev/null\n"
                  "echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"failplug refuses\",\"details\":\"by design\"}'\n"
                  "exit 1\n");
  env.WriteConflist({env.BridgePlugin(), {{"type", "failplug"}}});
  Cni cni = env.MakeCni(/*with_test_bin=*/true);
  auto ns = PinnedNetns::Create(env.pins(), "f");
  try {
    cni.Setup(env.Pod(ns, "ffff0001"));
    ADD_FAILURE() << "Setup must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInternal);
    EXPECT_NE(std::string(e.what()).find("failplug refuses: by design (CNI error code 7)"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(env.AllocatedIps().empty()) << "the bridge's IP must be released by the rollback DEL";
  EXPECT_FALSE(fs::exists(env.cache_dir() + "/ffff0001.json"));
  EXPECT_TRUE(cni.CachedContainerIds().empty());
  const std::string links = Sh("nsenter --net=" + ns.path() + " ip -o link");
  EXPECT_EQ(links.find("eth0"), std::string::npos) << links;
}

TEST(Network, TeardownAfterNetnsIsGoneReleasesTheIp) {
  REQUIRE_ROOT();
  NetEnv env("berthtst2", "10.199.2.0/24");
  env.WriteConflist({env.BridgePlugin()});
  Cni cni = env.MakeCni();
  auto ns = PinnedNetns::Create(env.pins(), "g");
  const Attachment a = env.Pod(ns, "gggg0001");
  auto net = cni.Setup(a);
  ASSERT_EQ(env.AllocatedIps(), net.ips);
  PinnedNetns::Remove(ns.Release());
  cni.Teardown(a);
  EXPECT_TRUE(env.AllocatedIps().empty());
  EXPECT_FALSE(cni.Cached("gggg0001"));
  cni.Teardown(a);
}

TEST(Network, PluginTimeoutKillsItAndSaysSo) {
  REQUIRE_ROOT();
  NetEnv env("berthtst3", "10.199.3.0/24");
  env.WritePlugin("hang", "echo $$ > \"$(dirname \"$0\")/hang.pid\"\nexec sleep 30\n");
  env.WriteConflist({{{"type", "hang"}}});
  Cni cni = env.MakeCni(/*with_test_bin=*/true);
  cni.set_plugin_timeout(std::chrono::milliseconds(300));
  auto ns = PinnedNetns::Create(env.pins(), "h");
  try {
    cni.Setup(env.Pod(ns, "hhhh0001"));
    ADD_FAILURE() << "Setup must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kDeadlineExceeded) << e.what();
    EXPECT_NE(std::string(e.what()).find("hang ADD did not finish"), std::string::npos) << e.what();
  }
  std::ifstream pidf(env.bin_dir() + "/hang.pid");
  int pid = 0;
  ASSERT_TRUE(pidf >> pid);
  EXPECT_FALSE(fs::exists("/proc/" + std::to_string(pid))) << "the plugin must be killed and reaped";
}

TEST(Network, NoConfigIsFailedPrecondition) {
  TempDir tmp;
  Cni cni(tmp / "empty", {"/usr/lib/cni"}, tmp / "cache");
  Attachment a;
  a.container_id = "nocfg";
  a.netns_path = tmp / "ns";
  try {
    cni.Setup(a);
    ADD_FAILURE() << "Setup must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
    EXPECT_EQ(std::string(e.what()), "no CNI network config found in " + (tmp / "empty"));
  }
  EXPECT_NO_THROW(cni.Teardown(a));  // nothing to undo
}

}  // namespace
}  // namespace berth::network
