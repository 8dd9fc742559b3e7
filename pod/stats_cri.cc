#include "pod/stats_cri.h"

#include <algorithm>

namespace berth::pod {
namespace {

void Set(runtime::v1::UInt64Value* v, const std::optional<uint64_t>& x) {
  if (x) v->set_value(*x);
}

void Add(std::optional<uint64_t>& total, const std::optional<uint64_t>& part) {
  if (part) total = total.value_or(0) + *part;
}

}  // namespace

void FillCpu(const CgroupReading& r, runtime::v1::CpuUsage* out) {
  out->set_timestamp(r.sample.timestamp);
  if (r.sample.cpu_usage_ns) out->mutable_usage_core_nano_seconds()->set_value(*r.sample.cpu_usage_ns);
  if (r.nano_cores) out->mutable_usage_nano_cores()->set_value(*r.nano_cores);
}

void FillMemory(const CgroupSample& s, runtime::v1::MemoryUsage* out) {
  out->set_timestamp(s.timestamp);
  if (!s.memory_usage) return;
  Set(out->mutable_working_set_bytes(), s.working_set);
  Set(out->mutable_usage_bytes(), s.memory_usage);
  Set(out->mutable_rss_bytes(), s.rss);
  Set(out->mutable_page_faults(), s.page_faults);
  Set(out->mutable_major_page_faults(), s.major_page_faults);
  if (s.memory_limit && s.working_set) {
    out->mutable_available_bytes()->set_value(*s.memory_limit > *s.working_set ? *s.memory_limit - *s.working_set : 0);
  }
}

void FillSwap(const CgroupSample& s, runtime::v1::SwapUsage* out) {
  out->set_timestamp(s.timestamp);
  Set(out->mutable_swap_usage_bytes(), s.swap_usage);
  if (s.swap_limit && s.swap_usage) {
    out->mutable_swap_available_bytes()->set_value(*s.swap_limit > *s.swap_usage ? *s.swap_limit - *s.swap_usage : 0);
  }
}

void FillProcesses(const CgroupSample& s, runtime::v1::ProcessUsage* out) {
  out->set_timestamp(s.timestamp);
  Set(out->mutable_process_count(), s.processes);
}

void FillWritableLayer(const DiskReading& d, const std::string& mountpoint, runtime::v1::FilesystemUsage* out) {
  out->set_timestamp(d.timestamp);
  out->mutable_fs_id()->set_mountpoint(mountpoint);
  out->mutable_used_bytes()->set_value(d.usage.bytes);
  out->mutable_inodes_used()->set_value(d.usage.inodes);
}

void FillNetwork(const NetReading& n, runtime::v1::NetworkUsage* out) {
  out->set_timestamp(n.timestamp);
  for (const auto& l : n.links) {
    auto* i = out->add_interfaces();
    i->set_name(l.name);
    i->mutable_rx_bytes()->set_value(l.rx_bytes);
    i->mutable_rx_errors()->set_value(l.rx_errors);
    i->mutable_tx_bytes()->set_value(l.tx_bytes);
    i->mutable_tx_errors()->set_value(l.tx_errors);
    if (l.name == "eth0") *out->mutable_default_interface() = *i;
  }
  if (!out->has_default_interface() && out->interfaces_size() > 0) *out->mutable_default_interface() = out->interfaces(0);
}

CgroupReading Sum(const std::vector<CgroupReading>& parts) {
  CgroupReading total;
  for (const auto& p : parts) {
    const CgroupSample& s = p.sample;
    if (!s.found) continue;
    total.sample.found = true;
    total.sample.timestamp = std::max(total.sample.timestamp, s.timestamp);
    Add(total.sample.cpu_usage_ns, s.cpu_usage_ns);
    Add(total.nano_cores, p.nano_cores);
    Add(total.sample.memory_usage, s.memory_usage);
    Add(total.sample.working_set, s.working_set);
    Add(total.sample.rss, s.rss);
    Add(total.sample.page_faults, s.page_faults);
    Add(total.sample.major_page_faults, s.major_page_faults);
    Add(total.sample.swap_usage, s.swap_usage);
    Add(total.sample.processes, s.processes);
  }
  return total;
}

}  // namespace berth::pod
