#pragma once
// One read per cgroup (and per pod network, per writable layer) per short
// interval, whoever asks: kubelet, crictl and the metrics endpoint share the
// samples. The previous sample of a cgroup gives the CPU rate
// (usage_nano_cores). Entries go with their object (Forget, Retain) and,
// for ids nobody asks about any more, after a while.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "network/link_stats.h"
#include "pod/cgroup_stats.h"
#include "storage/disk_usage.h"

namespace berth::pod {

struct CgroupReading {
  CgroupSample sample;
  std::optional<uint64_t> nano_cores;  // unset until two samples exist
};

struct DiskReading {
  int64_t timestamp = 0;
  storage::DiskUsage usage;
};

struct NetReading {
  int64_t timestamp = 0;
  std::vector<network::LinkCounters> links;
};

class StatsCache {
 public:
  explicit StatsCache(std::chrono::milliseconds interval) : interval_ns_(interval.count() * 1'000'000) {}

  CgroupReading Cgroup(const std::string& key, const std::function<CgroupSample()>& read);
  DiskReading Disk(const std::string& key, const std::function<storage::DiskUsage()>& read);
  NetReading Net(const std::string& key, const std::function<std::vector<network::LinkCounters>()>& read);

  // Drops every entry whose key does not start with one of `live` ids.
  void Retain(const std::set<std::string>& live);
  size_t size() const;

 private:
  struct CgroupEntry {
    CgroupSample now, before;
    int64_t read_at = 0;  // when `now` was read (the cache's clock, not the sample's)
    int64_t used = 0;
  };
  template <class Reading>
  struct Timed {
    Reading reading;
    int64_t used = 0;
  };
  template <class Reading, class Read>
  Reading TimedGet(std::map<std::string, Timed<Reading>>& m, const std::string& key, const Read& read);
  bool Fresh(int64_t sampled, int64_t now) const { return sampled != 0 && now - sampled < interval_ns_; }
  void ExpireLocked(int64_t now);

  const int64_t interval_ns_;
  mutable std::mutex mu_;
  std::map<std::string, CgroupEntry> cgroups_;
  std::map<std::string, Timed<DiskReading>> disks_;
  std::map<std::string, Timed<NetReading>> nets_;
  int64_t last_expiry_ = 0;
};

// The CPU rate between two samples of one cgroup, in nano-cores (1e9 = one core).
std::optional<uint64_t> NanoCores(const CgroupSample& before, const CgroupSample& now);

}  // namespace berth::pod
