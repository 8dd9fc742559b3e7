// Attach: checks the request (a stream asked for, no stderr with a tty; stdin
// and tty as the container was created; running) and answers the streaming
// server's URL for it. The client is then attached through the container's
// monitor, beside any other client.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::Attach(grpc::ServerContext*, const runtime::v1::AttachRequest* req,
                                    runtime::v1::AttachResponse* resp) {
  return RunRpc("Attach", [&] {
    const auto target = pods_.containers.CheckAttach(*req);
    auto r = streaming::StreamsOf(streaming::StreamRequest::Kind::kAttach, *req);
    r.id = target.id;
    r.attach_socket = target.socket;
    r.stdin_once = target.stdin_once;
    resp->set_url(streaming_.Url(std::move(r)));
  });
}

}  // namespace berth::server
