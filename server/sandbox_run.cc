// RunPodSandbox: creates and starts a pod sandbox (see pod/sandbox_manager.h).
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::RunPodSandbox(grpc::ServerContext*, const runtime::v1::RunPodSandboxRequest* req,
                                           runtime::v1::RunPodSandboxResponse* resp) {
  return RunRpc("RunPodSandbox", [&] { resp->set_pod_sandbox_id(pods_.RunSandbox(*req)); });
}

}  // namespace berth::server
