// ReopenContainerLog: after kubelet rotated a container's log (renamed it
// away), the monitor starts a new file at the log path.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::ReopenContainerLog(grpc::ServerContext*, const runtime::v1::ReopenContainerLogRequest* req,
                                                runtime::v1::ReopenContainerLogResponse*) {
  return RunRpc("ReopenContainerLog", [&] { pods_.containers.ReopenLog(req->container_id()); });
}

}  // namespace berth::server
