#include "pod/stats_cache.h"

#include "storage/base/clock.h"

namespace berth::pod {
namespace {

// Entries nobody asked about for this long go (an id that never comes back).
constexpr int64_t kIdleNs = int64_t{300} * 1'000'000'000;

template <class Map>
void EraseIdle(Map& m, int64_t now) {
  std::erase_if(m, [now](const auto& kv) { return now - kv.second.used > kIdleNs; });
}

template <class Map>
void EraseDead(Map& m, const std::set<std::string>& live) {
  std::erase_if(m, [&](const auto& kv) {
    // Keys are "<id>" or "<id>/<what>".
    const std::string id = kv.first.substr(0, kv.first.find('/'));
    return !live.contains(id);
  });
}

}  // namespace

std::optional<uint64_t> NanoCores(const CgroupSample& before, const CgroupSample& now) {
  if (!before.cpu_usage_ns || !now.cpu_usage_ns || now.timestamp <= before.timestamp) return std::nullopt;
  if (*now.cpu_usage_ns < *before.cpu_usage_ns) return std::nullopt;  // a new cgroup of the same name
  const double rate = static_cast<double>(*now.cpu_usage_ns - *before.cpu_usage_ns) /
                      static_cast<double>(now.timestamp - before.timestamp);
  return static_cast<uint64_t>(rate * 1e9);
}

void StatsCache::ExpireLocked(int64_t now) {
  if (now - last_expiry_ < kIdleNs / 10) return;
  last_expiry_ = now;
  EraseIdle(cgroups_, now);
  EraseIdle(disks_, now);
  EraseIdle(nets_, now);
}

CgroupReading StatsCache::Cgroup(const std::string& key, const std::function<CgroupSample()>& read) {
  const int64_t now = NowNs();
  {
    std::lock_guard lock(mu_);
    ExpireLocked(now);
    auto it = cgroups_.find(key);
    if (it != cgroups_.end() && Fresh(it->second.read_at, now)) {
      it->second.used = now;
      return {it->second.now, NanoCores(it->second.before, it->second.now)};
    }
  }
  // Read outside the lock: one slow cgroup must not hold up the others.
  CgroupSample sample = read();
  std::lock_guard lock(mu_);
  CgroupEntry& e = cgroups_[key];
  if (e.now.timestamp < sample.timestamp) {  // a concurrent read may have stored a newer one
    e.before = e.now;
    e.now = std::move(sample);
    e.read_at = now;
  }
  e.used = now;
  return {e.now, NanoCores(e.before, e.now)};
}

template <class Reading, class Read>
Reading StatsCache::TimedGet(std::map<std::string, Timed<Reading>>& m, const std::string& key, const Read& read) {
  const int64_t now = NowNs();
  {
    std::lock_guard lock(mu_);
    auto it = m.find(key);
    if (it != m.end() && Fresh(it->second.reading.timestamp, now)) {
      it->second.used = now;
      return it->second.reading;
    }
  }
  Reading r{NowNs(), read()};
  std::lock_guard lock(mu_);
  auto& e = m[key];
  e.reading = r;
  e.used = now;
  return r;
}

DiskReading StatsCache::Disk(const std::string& key, const std::function<storage::DiskUsage()>& read) {
  return TimedGet(disks_, key, read);
}

NetReading StatsCache::Net(const std::string& key, const std::function<std::vector<network::LinkCounters>()>& read) {
  return TimedGet(nets_, key, read);
}

void StatsCache::Retain(const std::set<std::string>& live) {
  std::lock_guard lock(mu_);
  EraseDead(cgroups_, live);
  EraseDead(disks_, live);
  EraseDead(nets_, live);
}

size_t StatsCache::size() const {
  std::lock_guard lock(mu_);
  return cgroups_.size() + disks_.size() + nets_.size();
}

}  // namespace berth::pod
