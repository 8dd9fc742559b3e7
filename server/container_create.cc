// CreateContainer: a container in a ready sandbox from a pulled image
// (see pod/container_manager.h); it is left in the CREATED state.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::CreateContainer(grpc::ServerContext*, const runtime::v1::CreateContainerRequest* req,
                                             runtime::v1::CreateContainerResponse* resp) {
  return RunRpc("CreateContainer", [&] { resp->set_container_id(pods_.containers.Create(*req)); });
}

}  // namespace berth::server
