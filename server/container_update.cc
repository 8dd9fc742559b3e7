// UpdateContainerResources: linux resources applied live through the OCI
// runtime's update; berth runs no Windows containers.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::UpdateContainerResources(grpc::ServerContext*,
                                                      const runtime::v1::UpdateContainerResourcesRequest* req,
                                                      runtime::v1::UpdateContainerResourcesResponse*) {
  return RunRpc("UpdateContainerResources", [&] {
    if (req->has_windows() && !req->has_linux()) {
      throw InvalidArgument("UpdateContainerResources: berth runs Linux containers; only linux resources apply");
    }
    pods_.containers.UpdateResources(req->container_id(), req->linux());
  });
}

}  // namespace berth::server
