// GetContainerEvents: a stream of container and sandbox lifecycle events
// (pod/events.h) until the client goes, berthd stops, or the client falls
// so far behind that its queue overflows (then RESOURCE_EXHAUSTED).
#include <spdlog/spdlog.h>

#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {

grpc::Status RuntimeService::GetContainerEvents(grpc::ServerContext* ctx, const runtime::v1::GetEventsRequest*,
                                                grpc::ServerWriter<runtime::v1::ContainerEventResponse>* writer) {
  auto sub = pods_.events.Subscribe();
  spdlog::debug("GetContainerEvents: subscriber from {}", ctx->peer());
  grpc::Status result = grpc::Status::OK;
  while (!ctx->IsCancelled()) {
    auto ev = sub->Next(std::chrono::milliseconds(250));
    if (ev) {
      if (!writer->Write(*ev)) break;  // the client went
      continue;
    }
    if (sub->dropped()) {
      result = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "GetContainerEvents: this stream fell too far behind and was dropped; subscribe again");
      break;
    }
  }
  pods_.events.Unsubscribe(sub);
  return result;
}

}  // namespace berth::server
