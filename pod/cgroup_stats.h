#pragma once
// What one cgroup has used, read from its files on cgroup v1 (a directory
// per controller) or v2 (one directory): CPU time, memory as kubelet counts
// it (working set = usage minus inactive file), swap, page faults and the
// number of processes. A value the node does not keep (no such controller
// or file) stays unset: the CRI's UInt64Value then goes out empty, never 0
// that was not measured.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "config/config.h"
#include "pod/cgroups.h"

namespace berth::pod {

// Where a cgroup's files are.
struct CgroupDirs {
  bool unified = false;
  std::string v2;                             // unified: the one dir
  std::map<std::string, std::string> v1;      // v1: controller -> dir
  std::string Dir(const std::string& controller) const;  // "" when the controller has none
};

// The directory of `cgroups_path` (as in the OCI spec: "/parent/id" for
// cgroupfs, "parent.slice:prefix:name" for systemd), as runc creates it.
std::string CgroupRelativePath(const std::string& cgroups_path, config::CgroupManager manager);
// The directory of a pod's cgroup_parent ("/kubepods/pod1" for cgroupfs,
// "kubepods-pod1.slice" for systemd).
std::string CgroupParentPath(const std::string& parent, config::CgroupManager manager);
// The dirs of the cgroup at `relative` (from the functions above).
CgroupDirs LocateCgroup(const std::string& relative, const CgroupSupport& cg);

struct CgroupSample {
  int64_t timestamp = 0;  // unix ns, when read
  bool found = false;     // the cgroup exists (a removed container's is gone)
  std::optional<uint64_t> cpu_usage_ns;
  std::optional<uint64_t> memory_usage, working_set, rss, page_faults, major_page_faults;
  std::optional<uint64_t> memory_limit;  // unset when unlimited
  std::optional<uint64_t> swap_usage, swap_limit;
  std::optional<uint64_t> processes;
};

CgroupSample ReadCgroup(const CgroupDirs& dirs);

// The parsers behind ReadCgroup, for tests.
// "key value" lines (memory.stat, cpu.stat).
std::map<std::string, uint64_t> ParseKeyedFile(const std::string& text);
// A limit file: "max" (v2) or a v1 value near 2^63 is unlimited (nullopt).
std::optional<uint64_t> ParseLimit(const std::string& text);
// Fills the memory fields from memory.stat and usage (v1 names with the
// hierarchical "total_" prefix, v2 names without).
void FillMemoryFromStat(CgroupSample& s, bool unified, uint64_t usage, const std::map<std::string, uint64_t>& stat);

}  // namespace berth::pod
