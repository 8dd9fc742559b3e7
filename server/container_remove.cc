// RemoveContainer: idempotent; a running container is killed first.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::RemoveContainer(grpc::ServerContext*, const runtime::v1::RemoveContainerRequest* req,
                                             runtime::v1::RemoveContainerResponse*) {
  return RunRpc("RemoveContainer", [&] { pods_.containers.Remove(req->container_id()); });
}

}  // namespace berth::server
