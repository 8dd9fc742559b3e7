// StopContainer: the stop signal, SIGKILL after `timeout` seconds; stopping
// an exited container succeeds.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::StopContainer(grpc::ServerContext*, const runtime::v1::StopContainerRequest* req,
                                           runtime::v1::StopContainerResponse*) {
  return RunRpc("StopContainer", [&] {
    if (req->timeout() < 0) throw InvalidArgument("StopContainer: timeout must not be negative");
    pods_.containers.Stop(req->container_id(), std::chrono::seconds(req->timeout()));
  });
}

}  // namespace berth::server
