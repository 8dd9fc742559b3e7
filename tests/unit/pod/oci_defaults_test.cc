// The spec parts every container shares: the shape of a mount entry, the
// base mounts in the order runc must mount them (parents first) with the
// pod's /dev/shm and sysfs read-only unless asked, and the /proc and /sys
// paths hidden from or read-only in unprivileged containers.
#include "pod/oci_defaults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace berth::pod::oci {
namespace {

using nlohmann::json;

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(OciMount, IsAnEntryOfTheSpecsMounts) {
  EXPECT_EQ(Mount("/data", "bind", "/srv/data", {"rbind", "ro"}),
            json({{"destination", "/data"}, {"type", "bind"}, {"source", "/srv/data"}, {"options", {"rbind", "ro"}}}));
  // No options is an empty array, not null (runc reads a list).
  EXPECT_TRUE(Mount("/x", "tmpfs", "tmpfs", {})["options"].is_array());
}

TEST(BaseMounts, ParentsBeforeChildrenWithThePodsShm) {
  const json m = BaseMounts("/run/berth/sandboxes/p/shm", false);
  std::vector<std::string> dests;
  for (const auto& e : m) dests.push_back(e["destination"]);
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"}));
  EXPECT_EQ(m[3], json({{"destination", "/dev/shm"},
                        {"type", "bind"},
                        {"source", "/run/berth/sandboxes/p/shm"},
                        {"options", {"rbind", "nosuid", "noexec", "nodev"}}}));
  // /dev is a small tmpfs of its own, devpts a new instance (no host ptys).
  EXPECT_EQ(m[1]["type"], "tmpfs");
  const auto pts = m[2]["options"].get<std::vector<std::string>>();
  EXPECT_TRUE(Has(pts, "newinstance"));
  EXPECT_TRUE(Has(pts, "ptmxmode=0666"));
  for (const auto& e : m) {
    EXPECT_TRUE(Has(e["options"].get<std::vector<std::string>>(), "nosuid")) << e["destination"];
  }
}

TEST(BaseMounts, SysfsIsReadOnlyUnlessWritable) {
  EXPECT_EQ(BaseMounts("/dev/shm", false)[5]["options"].back(), "ro");
  EXPECT_EQ(BaseMounts("/dev/shm", true)[5]["options"].back(), "rw");
  // Nothing else changes with it.
  json ro = BaseMounts("/dev/shm", false), rw = BaseMounts("/dev/shm", true);
  ro.erase(5);
  rw.erase(5);
  EXPECT_EQ(ro, rw);
}

TEST(MaskedAndReadonlyPaths, CoverTheKnownLeaksAndDoNotOverlap) {
  const auto masked = MaskedPaths(), ro = ReadonlyPaths();
  for (const char* p : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware",
                        "/sys/devices/virtual/powercap"}) {
    EXPECT_TRUE(Has(masked, p)) << p;
  }
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"}) {
    EXPECT_TRUE(Has(ro, p)) << p;
  }
  std::set<std::string> all(masked.begin(), masked.end());
  all.insert(ro.begin(), ro.end());
  EXPECT_EQ(all.size(), masked.size() + ro.size());  // no duplicates, no path in both lists
  for (const auto& p : all) EXPECT_EQ(p.rfind('/', 0), 0u) << p;
}

TEST(DefaultPathEnv, IsAnEnvEntryWithTheUsualDirs) {
  const std::string env = kDefaultPathEnv;
  EXPECT_EQ(env.rfind("PATH=", 0), 0u);
  EXPECT_NE(env.find(":/usr/bin:"), std::string::npos);
  EXPECT_NE(env.find(":/bin"), std::string::npos);
}

}  // namespace
}  // namespace berth::pod::oci
