#pragma once
// The CRI's stats and metrics of pods and containers, from samples shared
// through one StatsCache: a container's cgroup and writable layer; a pod's
// cgroup (kubelet's pod cgroup, the cgroup_parent; without one, the sum of
// its pause's and containers' cgroups), the interfaces of its network
// namespace, its process count and every container's stats.

#include <string>
#include <vector>

#include "config/config.h"
#include "cri/cri.h"
#include "pod/container_manager.h"
#include "pod/sandbox_manager.h"
#include "pod/stats_cache.h"

namespace berth::pod {

// How long a sample serves every caller.
inline constexpr std::chrono::milliseconds kStatsInterval{1000};

class PodStats {
 public:
  PodStats(const config::Config& cfg, SandboxManager& sandboxes, ContainerManager& containers)
      : manager_(cfg.runtime.cgroup_manager), sandboxes_(sandboxes), containers_(containers), cache_(kStatsInterval) {}

  runtime::v1::ContainerStats ContainerStats(const std::string& id_or_prefix);
  std::vector<runtime::v1::ContainerStats> ListContainerStats(const runtime::v1::ContainerStatsFilter& filter);
  runtime::v1::PodSandboxStats SandboxStats(const std::string& id_or_prefix);
  std::vector<runtime::v1::PodSandboxStats> ListSandboxStats(const runtime::v1::PodSandboxStatsFilter& filter);

  // ListMetricDescriptors and ListPodSandboxMetrics (pod_metrics.cc).
  static std::vector<runtime::v1::MetricDescriptor> MetricDescriptors();
  std::vector<runtime::v1::PodSandboxMetrics> SandboxMetrics();

  size_t cached_entries() const { return cache_.size(); }

 private:
  runtime::v1::ContainerStats Of(const Container& c);
  runtime::v1::PodSandboxStats Of(const Sandbox& sb, const std::vector<Container>& all);
  CgroupReading ContainerCgroup(const Container& c);
  CgroupReading SandboxCgroup(const Sandbox& sb, const std::vector<Container>& mine);
  NetReading SandboxNet(const Sandbox& sb);
  DiskReading WritableLayer(const Container& c);
  // Drops the samples of objects that are gone.
  void Retain(const std::vector<Sandbox>& sandboxes, const std::vector<Container>& containers);

  const config::CgroupManager manager_;
  SandboxManager& sandboxes_;
  ContainerManager& containers_;
  StatsCache cache_;
};

}  // namespace berth::pod
