#pragma once
// The CRI RuntimeService. Each RPC lives in its own file (version.cc,
// status.cc, ...); this class only holds what they share.

#include <mutex>
#include <string>

#include "config/config.h"
#include "cri/cri.h"
#include "server/unimplemented.h"

namespace berth::server {

class RuntimeService final : public runtime::v1::RuntimeService::Service {
 public:
  explicit RuntimeService(const config::Config& cfg) : cfg_(cfg) {}

  grpc::Status Version(grpc::ServerContext* ctx, const runtime::v1::VersionRequest* req,
                       runtime::v1::VersionResponse* resp) override;
  grpc::Status Status(grpc::ServerContext* ctx, const runtime::v1::StatusRequest* req,
                      runtime::v1::StatusResponse* resp) override;
  grpc::Status RuntimeConfig(grpc::ServerContext* ctx, const runtime::v1::RuntimeConfigRequest* req,
                             runtime::v1::RuntimeConfigResponse* resp) override;
  grpc::Status UpdateRuntimeConfig(grpc::ServerContext* ctx, const runtime::v1::UpdateRuntimeConfigRequest* req,
                                   runtime::v1::UpdateRuntimeConfigResponse* resp) override;

  BERTH_RUNTIME_UNARY_UNIMPLEMENTED(BERTH_DECLARE_UNARY)
  BERTH_RUNTIME_STREAM_UNIMPLEMENTED(BERTH_DECLARE_STREAM)
  grpc::Status GetContainerEvents(grpc::ServerContext* ctx, const runtime::v1::GetEventsRequest* req,
                                  grpc::ServerWriter<runtime::v1::ContainerEventResponse>* writer) override;

  // The pod CIDR kubelet last handed over through UpdateRuntimeConfig.
  std::string pod_cidr() const;

 private:
  const config::Config& cfg_;
  mutable std::mutex mu_;
  std::string pod_cidr_;
};

class ImageService final : public runtime::v1::ImageService::Service {
 public:
  explicit ImageService(const config::Config& cfg) : cfg_(cfg) {}

  BERTH_IMAGE_UNARY_UNIMPLEMENTED(BERTH_DECLARE_UNARY)
  BERTH_IMAGE_STREAM_UNIMPLEMENTED(BERTH_DECLARE_STREAM)

 private:
  [[maybe_unused]] const config::Config& cfg_;
};

}  // namespace berth::server
