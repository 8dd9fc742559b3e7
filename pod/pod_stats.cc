#include "pod/pod_stats.h"

#include <spdlog/spdlog.h>

#include <set>

#include "network/link_stats.h"
#include "pod/filter.h"
#include "pod/runtime_stats.h"
#include "pod/stats_cri.h"
#include "storage/base/clock.h"
#include "storage/base/error.h"

namespace berth::pod {

CgroupReading PodStats::ContainerCgroup(const Container& c) {
  if (c.runtime_type == config::RuntimeType::kSandbox) {
    return cache_.Cgroup(c.id, [&] {
      try {
        if (auto data = containers_.OciOf(c).runtime().EventStats(c.id)) return SampleFromRuntimeStats(*data, NowNs());
      } catch (const std::exception& e) {  // stopped meanwhile, or the sandbox is gone
        spdlog::debug("container {}: {} events --stats: {}", c.id, c.runtime_handler, e.what());
      }
      CgroupSample none;
      none.timestamp = NowNs();
      return none;
    });
  }
  const CgroupDirs dirs = LocateCgroup(CgroupRelativePath(c.cgroups_path, manager_), containers_.cgroups());
  return cache_.Cgroup(c.id, [&] { return ReadCgroup(dirs); });
}

DiskReading PodStats::WritableLayer(const Container& c) {
  const std::string upper = containers_.UpperDir(c.id);
  return cache_.Disk(c.id + "/rootfs", [&] {
    try {
      return storage::DirUsage(upper);
    } catch (const std::exception& e) {  // removed meanwhile, or unreadable: no usage to report
      spdlog::debug("container {}: writable layer usage: {}", c.id, e.what());
      return storage::DiskUsage{};
    }
  });
}

CgroupReading PodStats::SandboxCgroup(const Sandbox& sb, const std::vector<Container>& mine) {
  const CgroupSupport& cg = containers_.cgroups();
  if (!sb.cgroup_parent.empty()) {  // kubelet's pod cgroup holds the pause and every container
    const CgroupDirs dirs = LocateCgroup(CgroupParentPath(sb.cgroup_parent, manager_), cg);
    return cache_.Cgroup(sb.id + "/pod", [&] { return ReadCgroup(dirs); });
  }
  const CgroupDirs pause = LocateCgroup(CgroupRelativePath(sb.cgroups_path, manager_), cg);
  std::vector<CgroupReading> parts{cache_.Cgroup(sb.id, [&] { return ReadCgroup(pause); })};
  // A sandbox runtime's pause cgroup holds the sandbox, every container's processes in it.
  if (sb.runtime_type == config::RuntimeType::kSandbox) return parts.front();
  for (const auto& c : mine) parts.push_back(ContainerCgroup(c));
  return Sum(parts);
}

NetReading PodStats::SandboxNet(const Sandbox& sb) {
  return cache_.Net(sb.id + "/net", [&]() -> std::vector<network::LinkCounters> {
    try {
      return network::ReadLinkCounters(sb.netns_path);
    } catch (const std::exception& e) {  // a stopped pod's netns is gone
      spdlog::debug("sandbox {}: network stats: {}", sb.id, e.what());
      return {};
    }
  });
}

runtime::v1::ContainerStats PodStats::Of(const Container& c) {
  runtime::v1::ContainerStats out;
  auto* a = out.mutable_attributes();
  a->set_id(c.id);
  a->mutable_metadata()->set_name(c.name);
  a->mutable_metadata()->set_attempt(c.attempt);
  a->mutable_labels()->insert(c.labels.begin(), c.labels.end());
  a->mutable_annotations()->insert(c.annotations.begin(), c.annotations.end());
  const CgroupReading r = ContainerCgroup(c);
  FillCpu(r, out.mutable_cpu());
  FillMemory(r.sample, out.mutable_memory());
  FillSwap(r.sample, out.mutable_swap());
  FillWritableLayer(WritableLayer(c), containers_.WritableLayerDir(), out.mutable_writable_layer());
  return out;
}

runtime::v1::PodSandboxStats PodStats::Of(const Sandbox& sb, const std::vector<Container>& all) {
  std::vector<Container> mine;
  for (const auto& c : all) {
    if (c.sandbox_id == sb.id) mine.push_back(c);
  }
  runtime::v1::PodSandboxStats out;
  auto* a = out.mutable_attributes();
  a->set_id(sb.id);
  auto* md = a->mutable_metadata();
  md->set_name(sb.name);
  md->set_uid(sb.uid);
  md->set_namespace_(sb.pod_namespace);
  md->set_attempt(sb.attempt);
  a->mutable_labels()->insert(sb.labels.begin(), sb.labels.end());
  a->mutable_annotations()->insert(sb.annotations.begin(), sb.annotations.end());
  auto* l = out.mutable_linux();
  const CgroupReading r = SandboxCgroup(sb, mine);
  FillCpu(r, l->mutable_cpu());
  FillMemory(r.sample, l->mutable_memory());
  FillProcesses(r.sample, l->mutable_process());
  if (!sb.host_network() && !sb.netns_path.empty()) FillNetwork(SandboxNet(sb), l->mutable_network());
  for (const auto& c : mine) *l->add_containers() = Of(c);
  return out;
}

void PodStats::Retain(const std::vector<Sandbox>& sandboxes, const std::vector<Container>& containers) {
  std::set<std::string> live;
  for (const auto& s : sandboxes) live.insert(s.id);
  for (const auto& c : containers) live.insert(c.id);
  cache_.Retain(live);
}

runtime::v1::ContainerStats PodStats::ContainerStats(const std::string& id) {
  if (id.empty()) throw InvalidArgument("ContainerStats: container_id is required");
  return Of(containers_.Record(id, "ContainerStats"));
}

std::vector<runtime::v1::ContainerStats> PodStats::ListContainerStats(const runtime::v1::ContainerStatsFilter& f) {
  std::vector<Container> all = containers_.Records();
  if (f.id().empty() && f.pod_sandbox_id().empty() && f.label_selector().empty()) {
    Retain(sandboxes_.Records(), all);
  }
  std::vector<Container> selected = SelectById(std::move(all), f.id());
  std::string pod_id;
  if (!f.pod_sandbox_id().empty()) {
    auto sb = sandboxes_.Find(f.pod_sandbox_id(), "ListContainerStats: filter.pod_sandbox_id");
    if (!sb) return {};
    pod_id = sb->id;
  }
  std::vector<runtime::v1::ContainerStats> out;
  for (const auto& c : selected) {
    if (!pod_id.empty() && c.sandbox_id != pod_id) continue;
    if (!LabelsMatch(c.labels, f.label_selector())) continue;
    out.push_back(Of(c));
  }
  return out;
}

runtime::v1::PodSandboxStats PodStats::SandboxStats(const std::string& id) {
  auto sb = sandboxes_.Find(id, "PodSandboxStats: pod_sandbox_id");
  if (!sb) throw NotFound("PodSandboxStats: sandbox " + Quoted(id) + " not found");
  return Of(*sb, containers_.Records());
}

std::vector<runtime::v1::PodSandboxStats> PodStats::ListSandboxStats(const runtime::v1::PodSandboxStatsFilter& f) {
  std::vector<Sandbox> sandboxes = sandboxes_.Records();
  const std::vector<Container> all = containers_.Records();
  if (f.id().empty() && f.label_selector().empty()) Retain(sandboxes, all);
  std::vector<runtime::v1::PodSandboxStats> out;
  for (const auto& sb : SelectById(std::move(sandboxes), f.id())) {
    if (LabelsMatch(sb.labels, f.label_selector())) out.push_back(Of(sb, all));
  }
  return out;
}

}  // namespace berth::pod
