// ListMetricDescriptors and ListPodSandboxMetrics: cAdvisor-named metrics of
// pods and containers, for kubelet's /metrics/cadvisor.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::ListMetricDescriptors(grpc::ServerContext*,
                                                   const runtime::v1::ListMetricDescriptorsRequest*,
                                                   runtime::v1::ListMetricDescriptorsResponse* resp) {
  return RunRpc("ListMetricDescriptors", [&] {
    for (auto& d : pod::PodStats::MetricDescriptors()) *resp->add_descriptors() = std::move(d);
  });
}

grpc::Status RuntimeService::ListPodSandboxMetrics(grpc::ServerContext*,
                                                   const runtime::v1::ListPodSandboxMetricsRequest*,
                                                   runtime::v1::ListPodSandboxMetricsResponse* resp) {
  return RunRpc("ListPodSandboxMetrics", [&] {
    for (auto& m : pods_.stats.SandboxMetrics()) *resp->add_pod_metrics() = std::move(m);
  });
}

}  // namespace berth::server
