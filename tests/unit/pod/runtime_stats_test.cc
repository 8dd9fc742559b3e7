// A sandbox runtime's usage figures (runsc events --stats) as a cgroup sample.
#include "pod/runtime_stats.h"

#include <gtest/gtest.h>

namespace berth::pod {
namespace {

TEST(RuntimeStats, FromRunscEventsStats) {
  // As runsc 20221219 prints it for a running container.
  const auto data = nlohmann::json::parse(R"({
    "cpu": {"usage": {"total": 267217613}},
    "memory": {"usage": {"limit": 0, "usage": 3026944, "failcnt": 0}, "swap": {"limit": 0, "failcnt": 0}},
    "pids": {"current": 3}})");
  const CgroupSample s = SampleFromRuntimeStats(data, 42);
  EXPECT_EQ(s.timestamp, 42);
  EXPECT_TRUE(s.found);
  EXPECT_EQ(s.cpu_usage_ns, 267217613u);
  EXPECT_EQ(s.memory_usage, 3026944u);
  EXPECT_EQ(s.working_set, 3026944u);
  EXPECT_EQ(s.memory_limit, std::nullopt) << "0 means no limit";
  EXPECT_EQ(s.processes, 3u);
  EXPECT_EQ(s.rss, std::nullopt);
}

TEST(RuntimeStats, MissingOrOddFieldsStayUnset) {
  const CgroupSample s = SampleFromRuntimeStats(nlohmann::json::parse(R"({"cpu": {"usage": {"total": "x"}},
    "memory": {"usage": {"usage": -1, "limit": 1048576}}})"), 1);
  EXPECT_EQ(s.cpu_usage_ns, std::nullopt);
  EXPECT_EQ(s.memory_usage, std::nullopt);
  EXPECT_EQ(s.memory_limit, 1048576u);
  EXPECT_EQ(s.processes, std::nullopt);
  EXPECT_FALSE(SampleFromRuntimeStats(nlohmann::json::array(), 1).found);
}

}  // namespace
}  // namespace berth::pod
