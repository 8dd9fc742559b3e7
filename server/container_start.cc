// StartContainer: runs the process of a created container.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::StartContainer(grpc::ServerContext*, const runtime::v1::StartContainerRequest* req,
                                            runtime::v1::StartContainerResponse*) {
  return RunRpc("StartContainer", [&] { pods_.containers.Start(req->container_id()); });
}

}  // namespace berth::server
