// Per-pod hosts, resolv.conf and hostname files.
#include <gtest/gtest.h>

#include "pod/pod_files.h"
#include "storage/fs.h"
#include "tests/support/temp_dir.h"

namespace berth::pod {
namespace {

TEST(PodFiles, HostsHasLocalhostAndThePodsNameForEachIp) {
  std::string hosts = HostsContent("web-0", {"10.88.0.5", "fd00::5"});
  EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(hosts.find("::1\tlocalhost ip6-localhost ip6-loopback\n"), std::string::npos);
  EXPECT_NE(hosts.find("10.88.0.5\tweb-0\n"), std::string::npos);
  EXPECT_NE(hosts.find("fd00::5\tweb-0\n"), std::string::npos);
  EXPECT_EQ(HostsContent("web-0", {}).find("web-0"), std::string::npos);
}

TEST(PodFiles, ResolvConfFromDnsConfig) {
  DnsConfig dns{{"10.96.0.10", "8.8.8.8"}, {"default.svc.cluster.local", "svc.cluster.local"}, {"ndots:5", "edns0"}};
  EXPECT_EQ(ResolvConfContent(dns, "nameserver 1.1.1.1\n"),
            "search default.svc.cluster.local svc.cluster.local\n"
            "nameserver 10.96.0.10\n"
            "nameserver 8.8.8.8\n"
            "options ndots:5 edns0\n");
}

TEST(PodFiles, ResolvConfIsTheHostsWhenNoDnsConfig) {
  EXPECT_EQ(ResolvConfContent({}, "nameserver 1.1.1.1\nsearch example.org\n"),
            "nameserver 1.1.1.1\nsearch example.org\n");
}

TEST(PodFiles, OnlyServers) {
  DnsConfig dns;
  dns.servers = {"10.0.0.1"};
  EXPECT_EQ(ResolvConfContent(dns, "ignored"), "nameserver 10.0.0.1\n");
}

TEST(PodFiles, WritesTheThreeFiles) {
  testing::TempDir dir;
  Sandbox sb;
  sb.hostname = "db-1";
  sb.ips = {"10.1.2.3"};
  sb.dns.servers = {"10.96.0.10"};
  PodFilePaths p = WritePodFiles(dir.path().string(), sb);
  EXPECT_EQ(storage::ReadFile(p.hostname), "db-1\n");
  EXPECT_EQ(storage::ReadFile(p.resolv_conf), "nameserver 10.96.0.10\n");
  EXPECT_NE(storage::ReadFile(p.hosts).find("10.1.2.3\tdb-1\n"), std::string::npos);
  EXPECT_EQ(p.hosts, dir / "hosts");
}

}  // namespace
}  // namespace berth::pod
