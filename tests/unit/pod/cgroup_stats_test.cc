#include "pod/cgroup_stats.h"

#include <gtest/gtest.h>

namespace berth::pod {
namespace {

TEST(CgroupStats, ParsesKeyedFilesAndLimits) {
  const auto m = ParseKeyedFile("cache 100\nrss 2048\ntotal_inactive_file 4096\nsome avg10=0.00 avg60=0.00\n");
  EXPECT_EQ(m.at("rss"), 2048u);
  EXPECT_EQ(m.at("total_inactive_file"), 4096u);
  EXPECT_FALSE(m.contains("some"));
  EXPECT_EQ(ParseLimit("67108864\n"), 67108864u);
  EXPECT_FALSE(ParseLimit("max\n"));
  EXPECT_FALSE(ParseLimit("9223372036854771712\n"));  // v1's "unlimited"
  EXPECT_FALSE(ParseLimit("garbage"));
}

TEST(CgroupStats, WorkingSetIsUsageLessInactiveFileOnV1AndV2) {
  CgroupSample v1;
  FillMemoryFromStat(v1, false, 10000,
                     {{"total_inactive_file", 3000}, {"inactive_file", 99}, {"total_rss", 5000}, {"total_pgfault", 7},
                      {"total_pgmajfault", 1}});
  EXPECT_EQ(v1.memory_usage, 10000u);
  EXPECT_EQ(v1.working_set, 7000u);
  EXPECT_EQ(v1.rss, 5000u);
  EXPECT_EQ(v1.page_faults, 7u);
  EXPECT_EQ(v1.major_page_faults, 1u);
  CgroupSample v2;
  FillMemoryFromStat(v2, true, 10000, {{"inactive_file", 12000}, {"anon", 4000}, {"pgfault", 3}, {"pgmajfault", 0}});
  EXPECT_EQ(v2.working_set, 0u);  // never below zero
  EXPECT_EQ(v2.rss, 4000u);
  EXPECT_EQ(v2.page_faults, 3u);
}

TEST(CgroupStats, PathsForBothDriversAndBothVersions) {
  EXPECT_EQ(CgroupRelativePath("/kubepods/pod1/abc", config::CgroupManager::kCgroupfs), "/kubepods/pod1/abc");
  EXPECT_EQ(CgroupRelativePath("kubepods-burstable-pod1.slice:berth:abc", config::CgroupManager::kSystemd),
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/berth-abc.scope");
  EXPECT_EQ(CgroupParentPath("kubepods-pod1.slice", config::CgroupManager::kSystemd),
            "/kubepods.slice/kubepods-pod1.slice");
  EXPECT_EQ(CgroupParentPath("kubepods/pod1/", config::CgroupManager::kCgroupfs), "/kubepods/pod1");

  CgroupSupport v1;
  v1.detected = true;
  v1.controllers = {"memory", "cpuacct", "cpu"};
  v1.v1_mounts = {{"memory", "/sys/fs/cgroup/memory"}, {"cpuacct", "/sys/fs/cgroup/cpu,cpuacct"}};
  const CgroupDirs d1 = LocateCgroup("/p/c", v1);
  EXPECT_EQ(d1.Dir("memory"), "/sys/fs/cgroup/memory/p/c");
  EXPECT_EQ(d1.Dir("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/p/c");
  EXPECT_EQ(d1.Dir("pids"), "");  // no pids hierarchy: processes are counted from cgroup.procs
  CgroupSupport v2;
  v2.detected = true;
  v2.unified = true;
  const CgroupDirs d2 = LocateCgroup("/p/c", v2);
  EXPECT_EQ(d2.Dir("memory"), "/sys/fs/cgroup/p/c");
  EXPECT_EQ(d2.Dir("pids"), "/sys/fs/cgroup/p/c");
}

TEST(CgroupStats, AMissingCgroupIsNotFoundAndHasNoValues) {
  CgroupDirs d;
  d.unified = true;
  d.v2 = "/sys/fs/cgroup/berth-no-such-cgroup-for-tests";
  const CgroupSample s = ReadCgroup(d);
  EXPECT_FALSE(s.found);
  EXPECT_FALSE(s.cpu_usage_ns);
  EXPECT_FALSE(s.memory_usage);
  EXPECT_GT(s.timestamp, 0);
}

}  // namespace
}  // namespace berth::pod
