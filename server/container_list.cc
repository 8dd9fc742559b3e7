// ListContainers: the containers matching the filter (id or unique prefix,
// pod id, state, labels), oldest first.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::ListContainers(grpc::ServerContext*, const runtime::v1::ListContainersRequest* req,
                                            runtime::v1::ListContainersResponse* resp) {
  return RunRpc("ListContainers", [&] {
    for (auto& c : pods_.containers.List(req->filter())) *resp->add_containers() = std::move(c);
  });
}

}  // namespace berth::server
