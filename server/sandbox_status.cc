// PodSandboxStatus: state, network and namespaces of one pod; with verbose,
// an "info" JSON (pause pid, runtime spec, netns, CNI result).
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::PodSandboxStatus(grpc::ServerContext*, const runtime::v1::PodSandboxStatusRequest* req,
                                              runtime::v1::PodSandboxStatusResponse* resp) {
  return RunRpc("PodSandboxStatus", [&] { *resp = pods_.sandboxes.Status(req->pod_sandbox_id(), req->verbose()); });
}

}  // namespace berth::server
