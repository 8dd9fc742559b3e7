// ContainerStats and ListContainerStats: CPU, memory, swap and the writable
// layer of containers, from samples shared by every caller (pod/pod_stats.h).
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::ContainerStats(grpc::ServerContext*, const runtime::v1::ContainerStatsRequest* req,
                                            runtime::v1::ContainerStatsResponse* resp) {
  return RunRpc("ContainerStats", [&] { *resp->mutable_stats() = pods_.stats.ContainerStats(req->container_id()); });
}

grpc::Status RuntimeService::ListContainerStats(grpc::ServerContext*, const runtime::v1::ListContainerStatsRequest* req,
                                                runtime::v1::ListContainerStatsResponse* resp) {
  return RunRpc("ListContainerStats", [&] {
    for (auto& s : pods_.stats.ListContainerStats(req->filter())) *resp->add_stats() = std::move(s);
  });
}

}  // namespace berth::server
