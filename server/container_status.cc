// ContainerStatus: state, times, exit code and reason, image, mounts, log
// path, resources; verbose adds the pid, the monitor and the OCI spec.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::ContainerStatus(grpc::ServerContext*, const runtime::v1::ContainerStatusRequest* req,
                                             runtime::v1::ContainerStatusResponse* resp) {
  return RunRpc("ContainerStatus", [&] { *resp = pods_.containers.Status(req->container_id(), req->verbose()); });
}

}  // namespace berth::server
