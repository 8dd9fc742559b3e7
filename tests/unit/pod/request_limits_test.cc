#include "pod/request_limits.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"
#include "tests/support/refusal.h"

namespace berth::pod {
namespace {

// The INVALID_ARGUMENT message `f` throws, which must excerpt the value, not echo it.
template <class F>
std::string LimitRefusal(F&& f) {
  const std::string m = berth::testing::RefusalOf(f);
  EXPECT_LE(m.size(), 400u);
  return m;
}

TEST(ParseCpuList, ListsAndRanges) {
  EXPECT_EQ(ParseCpuList("0", 0, "f"), (std::vector<unsigned>{0}));
  EXPECT_EQ(ParseCpuList("0-2,5", 0, "f"), (std::vector<unsigned>{0, 1, 2, 5}));
  EXPECT_EQ(ParseCpuList("1-1", 2, "f"), (std::vector<unsigned>{1}));
  for (const std::string bad : {"", "a", "0-", "-1", "2-1", "0,,1", "0,", " 1", "1 ", "+1", "0x1", "1-2-3"}) {
    EXPECT_NE(LimitRefusal([&] { ParseCpuList(bad, 0, "cpuset_cpus"); }).find("cpuset_cpus"), std::string::npos) << bad;
  }
  EXPECT_NE(LimitRefusal([] { ParseCpuList("0-2", 2, "cpuset_cpus"); }).find("not on this node"), std::string::npos);
}

TEST(CheckResources, MemoryMinimumAndCpusets) {
  runtime::v1::LinuxContainerResources r;
  EXPECT_NO_THROW(CheckResources(r, 2, 1, "f"));
  r.set_memory_limit_in_bytes(1);
  EXPECT_NE(LimitRefusal([&] { CheckResources(r, 2, 1, "f"); }).find("f.memory_limit_in_bytes 1"), std::string::npos);
  r.set_memory_limit_in_bytes(RequestLimits::kMinMemory);
  EXPECT_NO_THROW(CheckResources(r, 2, 1, "f"));
  r.set_cpuset_mems("1");
  EXPECT_NE(LimitRefusal([&] { CheckResources(r, 2, 1, "f"); }).find("f.cpuset_mems"), std::string::npos);
  r.set_cpuset_mems("0");
  r.set_cpuset_cpus("0-1");
  EXPECT_NO_THROW(CheckResources(r, 2, 1, "f"));
  EXPECT_NO_THROW(CheckResources(r, 0, 0, "f")) << "an unknown node size skips the range check";
}

TEST(CheckPortMappings, PortsWithinRange) {
  runtime::v1::PodSandboxConfig c;
  auto* p = c.add_port_mappings();
  p->set_container_port(80);
  p->set_host_port(8080);
  EXPECT_NO_THROW(CheckPortMappings(c, "f"));
  p->set_host_port(0);  // not published
  EXPECT_NO_THROW(CheckPortMappings(c, "f"));
  p->set_host_port(65536);
  EXPECT_NE(LimitRefusal([&] { CheckPortMappings(c, "f"); }).find("f.port_mappings[0].host_port 65536"), std::string::npos);
  p->set_host_port(-5);
  EXPECT_NE(LimitRefusal([&] { CheckPortMappings(c, "f"); }).find("host_port -5"), std::string::npos);
  p->set_host_port(80);
  p->set_container_port(70000);
  EXPECT_NE(LimitRefusal([&] { CheckPortMappings(c, "f"); }).find("container_port 70000"), std::string::npos);
  p->set_container_port(0);
  LimitRefusal([&] { CheckPortMappings(c, "f"); });
  p->set_container_port(80);
  p->set_host_ip("not-an-ip");
  EXPECT_NE(LimitRefusal([&] { CheckPortMappings(c, "f"); }).find("host_ip"), std::string::npos);
  p->set_host_ip("::1");
  EXPECT_NO_THROW(CheckPortMappings(c, "f"));
}

TEST(CheckContainerSizes, ArgumentsEnvAndMaps) {
  runtime::v1::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  c.add_command("sh");
  EXPECT_NO_THROW(CheckContainerSizes(c, "f"));
  c.add_args(std::string(RequestLimits::kArgBytes, 'a'));
  EXPECT_NE(LimitRefusal([&] { CheckContainerSizes(c, "f"); }).find("f.args"), std::string::npos);
  c.clear_args();
  for (int i = 0; i < 20; ++i) c.add_args(std::string(64 * 1024, 'a'));
  EXPECT_NE(LimitRefusal([&] { CheckContainerSizes(c, "f"); }).find("command, args and envs"), std::string::npos);
  c.clear_args();
  (*c.mutable_labels())[std::string(400, 'k')] = "v";
  EXPECT_NE(LimitRefusal([&] { CheckContainerSizes(c, "f"); }).find("f.labels key"), std::string::npos);
  c.clear_labels();
  c.mutable_metadata()->set_name(std::string(254, 'n'));
  EXPECT_NE(LimitRefusal([&] { CheckContainerSizes(c, "f"); }).find("f.metadata.name"), std::string::npos);
}

TEST(CheckSandboxSizes, NamesAndMaps) {
  runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name("p");
  EXPECT_NO_THROW(CheckSandboxSizes(c, "f"));
  for (int i = 0; i < 1025; ++i) (*c.mutable_annotations())["a" + std::to_string(i)] = "";
  EXPECT_NE(LimitRefusal([&] { CheckSandboxSizes(c, "f"); }).find("f.annotations has 1025 entries"), std::string::npos);
}

}  // namespace
}  // namespace berth::pod
