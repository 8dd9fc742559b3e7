// Version: who we are and which CRI version we speak.
#include <spdlog/spdlog.h>

#include "config/build_info.h"
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::Version(grpc::ServerContext*, const runtime::v1::VersionRequest* req,
                                     runtime::v1::VersionResponse* resp) {
  return RunRpc("Version", [&] {
    spdlog::debug("rpc Version: client api version {}", Quoted(req->version()));
    resp->set_version("0.1.0");  // the kubelet runtime API version, fixed by the CRI
    resp->set_runtime_name("berth");
    resp->set_runtime_version(kVersion);
    resp->set_runtime_api_version("v1");
  });
}

}  // namespace berth::server
