// Exec: checks the request (a command, a stream asked for, no stderr with a
// tty, a running container) and answers the streaming server's URL for it;
// the command starts when a client comes to that URL.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::Exec(grpc::ServerContext*, const runtime::v1::ExecRequest* req,
                                  runtime::v1::ExecResponse* resp) {
  return RunRpc("Exec", [&] {
    const std::string id = pods_.containers.CheckExec(*req);
    auto r = streaming::StreamsOf(streaming::StreamRequest::Kind::kExec, *req);
    r.id = id;
    r.cmd.assign(req->cmd().begin(), req->cmd().end());
    resp->set_url(streaming_.Url(std::move(r)));
  });
}

}  // namespace berth::server
