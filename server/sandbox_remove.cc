// RemovePodSandbox: stops the pod if needed and removes everything of it; an
// unknown id is not an error (CRI).
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::RemovePodSandbox(grpc::ServerContext*, const runtime::v1::RemovePodSandboxRequest* req,
                                              runtime::v1::RemovePodSandboxResponse*) {
  return RunRpc("RemovePodSandbox", [&] { pods_.RemoveSandbox(req->pod_sandbox_id()); });
}

}  // namespace berth::server
