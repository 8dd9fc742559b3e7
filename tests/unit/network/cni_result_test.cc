#include "network/cni_result.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"
#include "network/cni_cache.h"
#include "tests/support/temp_dir.h"

namespace berth::network {
namespace {

using nlohmann::json;

// What the bridge plugin prints (1.0.0): host-side bridge and veth, then the pod's eth0.
const json kBridgeResult100 = json::parse(R"({
  "cniVersion": "1.0.0",
  "interfaces": [{"name": "cni0", "mac": "aa:bb:cc:dd:ee:01"},
                 {"name": "veth1234", "mac": "aa:bb:cc:dd:ee:02"},
                 {"name": "eth0", "mac": "aa:bb:cc:dd:ee:03", "sandbox": "/run/berth/netns/x"}],
  "ips": [{"address": "fd00::5/64", "gateway": "fd00::1", "interface": 2},
          {"address": "10.85.0.5/16", "gateway": "10.85.0.1", "interface": 2},
          {"address": "10.85.0.9/16", "interface": 2},
          {"address": "10.85.0.1/16", "interface": 0}],
  "routes": [{"dst": "0.0.0.0/0"}], "dns": {}})");

TEST(CniResult, V100IpsPutIpv4FirstAndSkipHostInterfaces) {
  EXPECT_EQ(PodIps(kBridgeResult100), (std::vector<std::string>{"10.85.0.5", "10.85.0.9", "fd00::5"}));
}

TEST(CniResult, V040IpsWithVersionField) {
  json r = json::parse(R"({"cniVersion": "0.4.0",
    "interfaces": [{"name": "eth0", "sandbox": "/proc/1/ns/net"}],
    "ips": [{"version": "6", "address": "2001:db8::2/64", "interface": 0},
            {"version": "4", "address": "192.168.1.7/24", "gateway": "192.168.1.1", "interface": 0}]})");
  EXPECT_EQ(PodIps(r), (std::vector<std::string>{"192.168.1.7", "2001:db8::2"}));
}

TEST(CniResult, IpsWithoutInterfaceIndexAreKept) {
  EXPECT_EQ(PodIps(json::parse(R"({"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.2.3/8"}]})")),
            std::vector<std::string>{"10.1.2.3"});
}

TEST(CniResult, PreV030Shape) {
  json r = json::parse(R"({"cniVersion": "0.2.0", "ip6": {"ip": "fd00::9/64"}, "ip4": {"ip": "10.0.0.9/24"}})");
  EXPECT_EQ(PodIps(r), (std::vector<std::string>{"10.0.0.9", "fd00::9"}));
}

TEST(CniResult, NoIpsIsEmptyAndMalformedThrows) {
  EXPECT_TRUE(PodIps(json::parse(R"({"cniVersion":"1.0.0","interfaces":[]})")).empty());
  EXPECT_THROW(PodIps(json::parse(R"({"ips":[{"address":"not-an-ip/24"}]})")), std::runtime_error);
  EXPECT_THROW(PodIps(json::parse(R"({"ips":{}})")), std::runtime_error);
  EXPECT_THROW(PodIps(json::parse(R"({"ips":[{"gateway":"10.0.0.1"}]})")), std::runtime_error);
  EXPECT_THROW(PodIps(json::array()), std::runtime_error);
}

TEST(CniResult, VersionComparison) {
  EXPECT_TRUE(CniVersionAtLeast("1.0.0", "0.4.0"));
  EXPECT_TRUE(CniVersionAtLeast("0.4.0", "0.4.0"));
  EXPECT_FALSE(CniVersionAtLeast("0.3.1", "0.4.0"));
  EXPECT_FALSE(CniVersionAtLeast("", "0.2.0"));  // no version means 0.1.0
  EXPECT_TRUE(CniVersionAtLeast("0.10.0", "0.4.0"));
}

TEST(CniResult, ErrorMessage) {
  EXPECT_EQ(CniErrorMessage(json::parse(R"({"cniVersion":"1.0.0","code":7,"msg":"bad config","details":"no subnet"})")),
            "bad config: no subnet (CNI error code 7)");
  EXPECT_EQ(CniErrorMessage(json::parse(R"({"code":11,"msg":"try again"})")), "try again (CNI error code 11)");
  EXPECT_EQ(CniErrorMessage(kBridgeResult100), "");
}

Attachment Pod() {
  Attachment a;
  a.container_id = "abc123";
  a.netns_path = "/run/berth/netns/abc123";
  a.pod_name = "web";
  a.pod_namespace = "default";
  a.pod_uid = "uid-1";
  a.port_mappings = {{"tcp", 80, 8080, ""}, {"udp", 53, 5353, "127.0.0.1"}, {"tcp", 9000, 0, ""}};
  a.bandwidth = Bandwidth{1000, 2000, 3000, 4000};
  return a;
}

const json kList = json::parse(R"({"cniVersion": "1.0.0", "name": "pods", "plugins": [
  {"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local", "subnet": "10.85.0.0/16"}},
  {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
  {"type": "bandwidth", "capabilities": {"bandwidth": true, "portMappings": false}}]})");

TEST(PluginStdin, FirstPluginGetsNameVersionAndNoPrevResult) {
  json c = PluginStdin(kList, 0, json(), Pod());
  EXPECT_EQ(c["name"], "pods");
  EXPECT_EQ(c["cniVersion"], "1.0.0");
  EXPECT_EQ(c["bridge"], "cni0");
  EXPECT_FALSE(c.contains("prevResult"));
  EXPECT_FALSE(c.contains("runtimeConfig"));  // bridge declares no capabilities
}

TEST(PluginStdin, DeclaredCapabilitiesOnlyAndPrevResult) {
  json pm = PluginStdin(kList, 1, kBridgeResult100, Pod());
  EXPECT_EQ(pm["prevResult"], kBridgeResult100);
  EXPECT_EQ(pm["snat"], true);
  EXPECT_EQ(pm["runtimeConfig"], json::parse(R"({"portMappings": [
    {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
    {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "127.0.0.1"}]})"));

  json bw = PluginStdin(kList, 2, kBridgeResult100, Pod());
  EXPECT_EQ(bw["runtimeConfig"], json::parse(R"({"bandwidth":
    {"ingressRate": 1000, "ingressBurst": 2000, "egressRate": 3000, "egressBurst": 4000}})"));
}

TEST(PluginStdin, NothingToProvideMeansNoRuntimeConfig) {
  Attachment a = Pod();
  a.port_mappings.clear();
  a.bandwidth.reset();
  EXPECT_FALSE(PluginStdin(kList, 1, json(), a).contains("runtimeConfig"));
}

TEST(PluginStdin, CniArgs) {
  EXPECT_EQ(CniArgs(Pod()),
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=uid-1");
}

TEST(CniCache, RoundTripListAndRemove) {
  berth::testing::TempDir d;
  CniCache cache(d / "cache");
  EXPECT_FALSE(cache.Read("abc123"));
  EXPECT_TRUE(cache.Ids().empty());
  cache.Write("abc123", CniCacheEntry{kList, kBridgeResult100, Pod()});
  auto e = cache.Read("abc123");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->conflist, kList);
  EXPECT_EQ(e->result, kBridgeResult100);
  EXPECT_EQ(AttachmentToJson(e->attachment), AttachmentToJson(Pod()));
  EXPECT_EQ(cache.Ids(), std::vector<std::string>{"abc123"});
  cache.Remove("abc123");
  cache.Remove("abc123");  // idempotent
  EXPECT_FALSE(cache.Read("abc123"));
  EXPECT_THROW(cache.PathFor("../etc/passwd"), Error);
}

}  // namespace
}  // namespace berth::network
