// StopPodSandbox: stops the pod's processes and releases its network; idempotent.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::StopPodSandbox(grpc::ServerContext*, const runtime::v1::StopPodSandboxRequest* req,
                                            runtime::v1::StopPodSandboxResponse*) {
  return RunRpc("StopPodSandbox", [&] { pods_.StopSandbox(req->pod_sandbox_id()); });
}

}  // namespace berth::server
