// PodSandboxStats and ListPodSandboxStats: a pod's cgroup, network
// interfaces and process count, with its containers' stats.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::PodSandboxStats(grpc::ServerContext*, const runtime::v1::PodSandboxStatsRequest* req,
                                             runtime::v1::PodSandboxStatsResponse* resp) {
  return RunRpc("PodSandboxStats", [&] { *resp->mutable_stats() = pods_.stats.SandboxStats(req->pod_sandbox_id()); });
}

grpc::Status RuntimeService::ListPodSandboxStats(grpc::ServerContext*,
                                                 const runtime::v1::ListPodSandboxStatsRequest* req,
                                                 runtime::v1::ListPodSandboxStatsResponse* resp) {
  return RunRpc("ListPodSandboxStats", [&] {
    for (auto& s : pods_.stats.ListSandboxStats(req->filter())) *resp->add_stats() = std::move(s);
  });
}

}  // namespace berth::server
