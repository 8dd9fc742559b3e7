// ListPodSandbox: the pods matching the filter (id or unique id prefix,
// state, labels), oldest first.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::ListPodSandbox(grpc::ServerContext*, const runtime::v1::ListPodSandboxRequest* req,
                                            runtime::v1::ListPodSandboxResponse* resp) {
  return RunRpc("ListPodSandbox", [&] {
    for (auto& item : pods_.sandboxes.List(req->filter())) *resp->add_items() = std::move(item);
  });
}

}  // namespace berth::server
