// ExecSync: a command in a running container; its stdout, stderr and exit
// code. Past the timeout it is killed and the RPC ends DEADLINE_EXCEEDED.
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::ExecSync(grpc::ServerContext*, const runtime::v1::ExecSyncRequest* req,
                                      runtime::v1::ExecSyncResponse* resp) {
  return RunRpc("ExecSync", [&] { *resp = pods_.containers.ExecSync(*req); });
}

}  // namespace berth::server
