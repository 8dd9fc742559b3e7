#pragma once
// RPCs whose issues have not landed yet. Each answers UNIMPLEMENTED naming
// itself, so a client sees which call is missing rather than a bare code.
// When an RPC is implemented, drop it from these lists and give it its own file.

#include <grpcpp/grpcpp.h>

#include <string_view>

namespace berth::server {

grpc::Status Unimplemented(std::string_view rpc);

}  // namespace berth::server

// Unary RPCs named Foo(FooRequest) returns (FooResponse).
#define BERTH_RUNTIME_UNARY_UNIMPLEMENTED(X)                                                                     \
  X(CheckpointContainer) X(UpdatePodSandboxResources)

// Server-streaming RPCs named Foo(FooRequest) returns (stream FooResponse).
#define BERTH_RUNTIME_STREAM_UNIMPLEMENTED(X) \
  X(StreamPodSandboxes) X(StreamContainers) X(StreamContainerStats) X(StreamPodSandboxStats) X(StreamPodSandboxMetrics)

#define BERTH_IMAGE_STREAM_UNIMPLEMENTED(X) X(StreamImages)

#define BERTH_DECLARE_UNARY(Rpc)                                                                           \
  grpc::Status Rpc(grpc::ServerContext* ctx, const runtime::v1::Rpc##Request* req, runtime::v1::Rpc##Response* resp) \
      override;
#define BERTH_DECLARE_STREAM(Rpc)                                                               \
  grpc::Status Rpc(grpc::ServerContext* ctx, const runtime::v1::Rpc##Request* req,              \
                   grpc::ServerWriter<runtime::v1::Rpc##Response>* writer) override;
