// PortForward: checks the request (ports within 1-65535, the pod ready) and
// answers the streaming server's URL for it; connections go to localhost
// inside the pod's network namespace.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::PortForward(grpc::ServerContext*, const runtime::v1::PortForwardRequest* req,
                                         runtime::v1::PortForwardResponse* resp) {
  return RunRpc("PortForward", [&] {
    auto target = pods_.sandboxes.CheckPortForward(*req);
    streaming::StreamRequest r;
    r.kind = streaming::StreamRequest::Kind::kPortForward;
    r.id = target.id;
    r.netns_path = std::move(target.netns_path);
    r.ports = std::move(target.ports);
    resp->set_url(streaming_.Url(std::move(r)));
  });
}

}  // namespace berth::server
