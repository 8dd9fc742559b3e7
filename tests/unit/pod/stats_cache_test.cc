#include "pod/stats_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "pod/stats_cri.h"

namespace berth::pod {
namespace {

CgroupSample SampleAt(int64_t ts, uint64_t cpu) {
  CgroupSample s;
  s.found = true;
  s.timestamp = ts;
  s.cpu_usage_ns = cpu;
  return s;
}

TEST(StatsCache, OneReadPerIntervalForEveryCaller) {
  StatsCache cache(std::chrono::milliseconds(200));
  int reads = 0;
  auto read = [&] {
    ++reads;
    return SampleAt(static_cast<int64_t>(std::chrono::steady_clock::now().time_since_epoch().count()), 1000u * reads);
  };
  for (int i = 0; i < 10; ++i) cache.Cgroup("c1", read);
  EXPECT_EQ(reads, 1);
  EXPECT_FALSE(cache.Cgroup("c1", read).nano_cores);  // one sample: no rate yet
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  cache.Cgroup("c1", read);
  EXPECT_EQ(reads, 2);
  int disk_reads = 0;
  for (int i = 0; i < 5; ++i) cache.Disk("c1/rootfs", [&] { ++disk_reads; return storage::DiskUsage{1, 1}; });
  EXPECT_EQ(disk_reads, 1);
}

TEST(StatsCache, EntriesGoWithTheirObjects) {
  StatsCache cache(std::chrono::milliseconds(1000));
  cache.Cgroup("gone", [] { return SampleAt(1, 1); });
  cache.Cgroup("kept", [] { return SampleAt(1, 1); });
  cache.Disk("gone/rootfs", [] { return storage::DiskUsage{}; });
  cache.Net("kept/net", [] { return std::vector<network::LinkCounters>{}; });
  EXPECT_EQ(cache.size(), 4u);
  cache.Retain({"kept"});
  EXPECT_EQ(cache.size(), 2u);
}

TEST(StatsCache, NanoCoresIsTheRateBetweenTwoSamples) {
  // 0.5 s of CPU in 1 s: half a core.
  EXPECT_EQ(NanoCores(SampleAt(1'000'000'000, 0), SampleAt(2'000'000'000, 500'000'000)), 500'000'000u);
  EXPECT_FALSE(NanoCores(SampleAt(2, 10), SampleAt(1, 20)));   // out of order
  EXPECT_FALSE(NanoCores(SampleAt(1, 20), SampleAt(2, 10)));   // a new cgroup of the same name
}

TEST(StatsCri, APodWithoutItsOwnCgroupSumsItsParts) {
  CgroupReading a{SampleAt(5, 100), 10}, b{SampleAt(7, 50), std::nullopt}, gone;
  a.sample.memory_usage = 1000;
  a.sample.working_set = 800;
  b.sample.memory_usage = 500;
  b.sample.working_set = 100;
  const CgroupReading sum = Sum({a, b, gone});
  EXPECT_TRUE(sum.sample.found);
  EXPECT_EQ(sum.sample.timestamp, 7);
  EXPECT_EQ(sum.sample.cpu_usage_ns, 150u);
  EXPECT_EQ(sum.nano_cores, 10u);
  EXPECT_EQ(sum.sample.working_set, 900u);
  runtime::v1::MemoryUsage m;
  FillMemory(sum.sample, &m);
  EXPECT_EQ(m.usage_bytes().value(), 1500u);
  EXPECT_FALSE(m.has_available_bytes());
  CgroupSample limited = a.sample;
  limited.memory_limit = 1000;
  FillMemory(limited, &m);
  EXPECT_EQ(m.available_bytes().value(), 200u);  // limit minus working set
}

}  // namespace
}  // namespace berth::pod
