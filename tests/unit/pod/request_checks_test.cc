#include "pod/request_checks.h"

#include <gtest/gtest.h>

#include <vector>

#include "storage/base/error.h"
#include "tests/support/refusal.h"

namespace berth::pod {
namespace {

// The INVALID_ARGUMENT message `f` throws ("" and a failure if none).
template <class F>
std::string CheckRefusal(F&& f) {
  return berth::testing::RefusalOf(f);
}

TEST(CheckHostname, DnsLabelsUpTo64Bytes) {
  for (const std::string& ok : std::vector<std::string>{"", "web-0", "a.b.c", "Node1", std::string(64, 'a')}) {
    EXPECT_NO_THROW(CheckHostname(ok, "f")) << ok;
  }
  for (const std::string& bad : std::vector<std::string>{"a/b", "a\nb", "a b", "-a", "a-", "a..b", ".a",
                                                         std::string(65, 'a'), std::string("a\0b", 3)}) {
    const std::string msg = CheckRefusal([&] { CheckHostname(bad, "RunPodSandbox: config.hostname"); });
    EXPECT_NE(msg.find("RunPodSandbox: config.hostname"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "the value is escaped: " << msg;
  }
}

TEST(CheckDnsConfig, NewlinesCannotAddResolvConfLines) {
  runtime::v1::DNSConfig ok;
  ok.add_servers("10.96.0.10");
  ok.add_servers("fd00::a");
  ok.add_searches("default.svc.cluster.local");
  ok.add_searches("example.com.");
  ok.add_options("ndots:5");
  ok.add_options("edns0");
  EXPECT_NO_THROW(CheckDnsConfig(ok, "f"));

  runtime::v1::DNSConfig server;
  server.add_servers("1.1.1.1\nnameserver 6.6.6.6");
  EXPECT_NE(CheckRefusal([&] { CheckDnsConfig(server, "RunPodSandbox: config.dns_config"); })
                .find("dns_config.servers: \"1.1.1.1\\x0anameserver"),
            std::string::npos);
  runtime::v1::DNSConfig search;
  search.add_searches("a.com\noptions debug");
  EXPECT_NE(CheckRefusal([&] { CheckDnsConfig(search, "f"); }).find("f.searches"), std::string::npos);
  runtime::v1::DNSConfig option;
  option.add_options("ndots:5\nnameserver 6.6.6.6");
  EXPECT_NE(CheckRefusal([&] { CheckDnsConfig(option, "f"); }).find("f.options"), std::string::npos);
  runtime::v1::DNSConfig spaced;
  spaced.add_options("ndots:5 rotate");
  CheckRefusal([&] { CheckDnsConfig(spaced, "f"); });
}

TEST(CheckLogDirectory, AbsoluteAndClean) {
  EXPECT_NO_THROW(CheckLogDirectory("", "f"));
  EXPECT_NO_THROW(CheckLogDirectory("/var/log/pods/ns_name_uid", "f"));
  EXPECT_NO_THROW(CheckLogDirectory("/tmp/logs/", "f"));
  for (const std::string& bad : std::vector<std::string>{"relative/dir", "/var/log/../../etc", "/var//log",
                                                         "/var/./log", "/a\nb", std::string("/a\0b", 4)}) {
    EXPECT_NE(CheckRefusal([&] { CheckLogDirectory(bad, "RunPodSandbox: config.log_directory"); })
                  .find("config.log_directory"),
              std::string::npos)
        << bad;
  }
}

TEST(ContainerLogPath, StaysUnderTheLogDirectory) {
  EXPECT_EQ(ContainerLogPath("/var/log/pods/p", "app/0.log", "f"), "/var/log/pods/p/app/0.log");
  EXPECT_EQ(ContainerLogPath("/var/log/pods/p", "./app//0.log", "f"), "/var/log/pods/p/app/0.log");
  EXPECT_EQ(ContainerLogPath("/var/log/pods/p", "", "f"), "");
  EXPECT_EQ(ContainerLogPath("", "", "f"), "");
  const std::string dir = "/var/log/pods/p";
  EXPECT_NE(CheckRefusal([&] { ContainerLogPath(dir, "../../../../tmp/x.log", "CreateContainer: config.log_path"); })
                .find("CreateContainer: config.log_path \"../../../../tmp/x.log\" leaves the log directory"),
            std::string::npos);
  EXPECT_NE(CheckRefusal([&] { ContainerLogPath(dir, "a/../../x.log", "f"); }).find("leaves"), std::string::npos);
  EXPECT_NE(CheckRefusal([&] { ContainerLogPath(dir, "/tmp/x.log", "f"); }).find("is absolute"), std::string::npos);
  EXPECT_NE(CheckRefusal([&] { ContainerLogPath("", "x.log", "f"); }).find("no log_directory"), std::string::npos);
  CheckRefusal([&] { ContainerLogPath(dir, "a\nb.log", "f"); });
  CheckRefusal([&] { ContainerLogPath(dir, std::string("a\0b.log", 7), "f"); });
  CheckRefusal([&] { ContainerLogPath(dir, std::string(5000, 'a'), "f"); });
  EXPECT_NE(CheckRefusal([&] { ContainerLogPath(dir, "app/" + std::string(300, 'a') + ".log", "f"); }).find("255 bytes"),
            std::string::npos);
  CheckRefusal([&] { ContainerLogPath(dir, ".", "f"); });
  CheckRefusal([&] { ContainerLogPath(dir, "app/", "f"); });
}

TEST(CheckEnv, ValuesAreUtf8AsTheJsonSpecNeeds) {
  runtime::v1::ContainerConfig c;
  auto* kv = c.add_envs();
  kv->set_key("LANG");
  kv->set_value("caf\xc3\xa9");
  EXPECT_NO_THROW(CheckEnv(c, "f"));
  kv->set_value("caf\xe9");  // Latin-1
  EXPECT_NE(CheckRefusal([&] { CheckEnv(c, "f"); }).find("\"LANG\" is not valid UTF-8"), std::string::npos);
}

TEST(CheckEnv, NamesCannotForgeAnotherVariable) {
  runtime::v1::ContainerConfig ok;
  auto* kv = ok.add_envs();
  kv->set_key("A");
  kv->set_value("x=y");
  EXPECT_NO_THROW(CheckEnv(ok, "f"));
  for (const std::string& bad : std::vector<std::string>{"", "A=B", std::string("A\0B", 3)}) {
    runtime::v1::ContainerConfig c;
    c.add_envs()->set_key(bad);
    CheckRefusal([&] { CheckEnv(c, "CreateContainer: config.envs"); });
  }
  runtime::v1::ContainerConfig nul;
  auto* v = nul.add_envs();
  v->set_key("A");
  v->set_value(std::string("x\0y", 3));
  CheckRefusal([&] { CheckEnv(nul, "f"); });
}

}  // namespace
}  // namespace berth::pod
