#include "server/unimplemented.h"

#include <spdlog/spdlog.h>

#include <string>

#include "server/image_service.h"
#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status Unimplemented(std::string_view rpc) {
  return RunRpc(rpc, [rpc] { throw berth::Unimplemented("berth does not implement " + std::string(rpc) + " yet"); });
}

#define BERTH_DEFINE_UNARY(Svc, Rpc)                                                                        \
  grpc::Status Svc::Rpc(grpc::ServerContext*, const runtime::v1::Rpc##Request*, runtime::v1::Rpc##Response*) { \
    return Unimplemented(#Rpc);                                                                              \
  }
#define BERTH_DEFINE_STREAM(Svc, Rpc)                                             \
  grpc::Status Svc::Rpc(grpc::ServerContext*, const runtime::v1::Rpc##Request*, \
                        grpc::ServerWriter<runtime::v1::Rpc##Response>*) {      \
    return Unimplemented(#Rpc);                                                   \
  }
#define BERTH_RUNTIME_UNARY(Rpc) BERTH_DEFINE_UNARY(RuntimeService, Rpc)
#define BERTH_RUNTIME_STREAM(Rpc) BERTH_DEFINE_STREAM(RuntimeService, Rpc)
#define BERTH_IMAGE_STREAM(Rpc) BERTH_DEFINE_STREAM(ImageService, Rpc)

BERTH_RUNTIME_UNARY_UNIMPLEMENTED(BERTH_RUNTIME_UNARY)
BERTH_RUNTIME_STREAM_UNIMPLEMENTED(BERTH_RUNTIME_STREAM)
BERTH_IMAGE_STREAM_UNIMPLEMENTED(BERTH_IMAGE_STREAM)

}  // namespace berth::server
