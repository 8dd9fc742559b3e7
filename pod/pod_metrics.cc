// ListMetricDescriptors and ListPodSandboxMetrics: the cAdvisor-named
// metrics kubelet 1.28+ takes from the runtime (PodAndContainerStatsFromCRI)
// and serves as /metrics/cadvisor, from the same samples as the stats RPCs.
#include <algorithm>

#include "pod/pod_stats.h"

namespace berth::pod {
namespace {

using runtime::v1::Metric;
using runtime::v1::MetricType;

// cAdvisor's labels for a container's series; network series add "interface".
const std::vector<std::string>& BaseLabels() {
  static const std::vector<std::string> keys = {"container", "id", "image", "name", "namespace", "pod"};
  return keys;
}

struct Def {
  const char* name;
  const char* help;
  MetricType type;
  bool network = false;
};

const std::vector<Def>& ContainerDefs() {
  static const std::vector<Def> defs = {
      {"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", runtime::v1::COUNTER},
      {"container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed.", runtime::v1::GAUGE},
      {"container_memory_working_set_bytes", "Current working set in bytes.", runtime::v1::GAUGE},
      {"container_memory_rss", "Size of RSS in bytes.", runtime::v1::GAUGE},
      {"container_memory_swap", "Container swap usage in bytes.", runtime::v1::GAUGE},
      {"container_memory_failures_total", "Cumulative count of memory allocation failures (page faults).", runtime::v1::COUNTER},
      {"container_spec_memory_limit_bytes", "Memory limit for the container.", runtime::v1::GAUGE},
      {"container_fs_usage_bytes", "Number of bytes that are consumed by the container's writable layer.", runtime::v1::GAUGE},
      {"container_fs_inodes_used", "Number of inodes used by the container's writable layer.", runtime::v1::GAUGE},
      {"container_processes", "Number of processes running inside the container.", runtime::v1::GAUGE},
      {"container_oom_events_total", "Count of out of memory events observed for the container.", runtime::v1::COUNTER},
      {"container_start_time_seconds", "Start time of the container since unix epoch in seconds.", runtime::v1::GAUGE},
      {"container_last_seen", "Last time a container was seen by the exporter.", runtime::v1::GAUGE},
  };
  return defs;
}

const std::vector<Def>& PodDefs() {
  static const std::vector<Def> defs = {
      {"container_network_receive_bytes_total", "Cumulative count of bytes received.", runtime::v1::COUNTER, true},
      {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted.", runtime::v1::COUNTER, true},
      {"container_network_receive_errors_total", "Cumulative count of errors encountered while receiving.", runtime::v1::COUNTER, true},
      {"container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting.", runtime::v1::COUNTER, true},
  };
  return defs;
}

Metric Make(const std::string& name, MetricType type, int64_t ts, std::vector<std::string> labels, uint64_t value) {
  Metric m;
  m.set_name(name);
  m.set_timestamp(ts);
  m.set_metric_type(type);
  for (auto& l : labels) m.add_label_values(std::move(l));
  m.mutable_value()->set_value(value);
  return m;
}

MetricType TypeOf(const std::string& name) {
  for (const auto* defs : {&ContainerDefs(), &PodDefs()}) {
    for (const auto& d : *defs) {
      if (name == d.name) return d.type;
    }
  }
  return runtime::v1::GAUGE;
}

}  // namespace

std::vector<runtime::v1::MetricDescriptor> PodStats::MetricDescriptors() {
  std::vector<runtime::v1::MetricDescriptor> out;
  for (const auto* defs : {&ContainerDefs(), &PodDefs()}) {
    for (const auto& d : *defs) {
      auto& m = out.emplace_back();
      m.set_name(d.name);
      m.set_help(d.help);
      for (const auto& k : BaseLabels()) m.add_label_keys(k);
      if (d.network) m.add_label_keys("interface");
    }
  }
  return out;
}

std::vector<runtime::v1::PodSandboxMetrics> PodStats::SandboxMetrics() {
  std::vector<runtime::v1::PodSandboxMetrics> out;
  const std::vector<Container> all = containers_.Records();
  for (const auto& sb : sandboxes_.Records()) {
    const runtime::v1::PodSandboxStats st = Of(sb, all);
    auto& pm = out.emplace_back();
    pm.set_pod_sandbox_id(sb.id);
    const auto& net = st.linux().network();
    for (const auto& i : net.interfaces()) {
      const std::vector<std::string> labels = {"POD", sb.id, "", "POD", sb.pod_namespace, sb.name, i.name()};
      const std::pair<const char*, uint64_t> values[] = {
          {"container_network_receive_bytes_total", i.rx_bytes().value()},
          {"container_network_transmit_bytes_total", i.tx_bytes().value()},
          {"container_network_receive_errors_total", i.rx_errors().value()},
          {"container_network_transmit_errors_total", i.tx_errors().value()}};
      for (const auto& [name, v] : values) *pm.add_metrics() = Make(name, TypeOf(name), net.timestamp(), labels, v);
    }
    for (const auto& cs : st.linux().containers()) {
      const auto it = std::find_if(all.begin(), all.end(), [&](const Container& c) { return c.id == cs.attributes().id(); });
      if (it == all.end()) continue;
      const Container& c = *it;
      auto& cm = *pm.add_container_metrics();
      cm.set_container_id(c.id);
      const std::vector<std::string> labels = {c.name, c.id, c.image, c.name, sb.pod_namespace, sb.name};
      const int64_t ts = cs.cpu().timestamp();
      auto add = [&](const char* name, bool has, uint64_t v) {
        if (has) *cm.add_metrics() = Make(name, TypeOf(name), ts, labels, v);
      };
      const auto& cpu = cs.cpu();
      const auto& mem = cs.memory();
      add("container_cpu_usage_seconds_total", cpu.has_usage_core_nano_seconds(),
          cpu.usage_core_nano_seconds().value() / 1'000'000'000);
      add("container_memory_usage_bytes", mem.has_usage_bytes(), mem.usage_bytes().value());
      add("container_memory_working_set_bytes", mem.has_working_set_bytes(), mem.working_set_bytes().value());
      add("container_memory_rss", mem.has_rss_bytes(), mem.rss_bytes().value());
      add("container_memory_swap", cs.swap().has_swap_usage_bytes(), cs.swap().swap_usage_bytes().value());
      add("container_memory_failures_total", mem.has_page_faults(), mem.page_faults().value());
      add("container_spec_memory_limit_bytes", mem.has_available_bytes(),
          mem.available_bytes().value() + mem.working_set_bytes().value());
      add("container_fs_usage_bytes", true, cs.writable_layer().used_bytes().value());
      add("container_fs_inodes_used", true, cs.writable_layer().inodes_used().value());
      add("container_oom_events_total", true, c.oom_killed ? 1 : 0);
      add("container_start_time_seconds", c.started_at > 0, static_cast<uint64_t>(c.started_at / 1'000'000'000));
      add("container_last_seen", true, static_cast<uint64_t>(ts / 1'000'000'000));
    }
  }
  return out;
}

}  // namespace berth::pod
