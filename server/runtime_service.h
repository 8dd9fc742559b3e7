#pragma once
// The CRI RuntimeService. Each RPC lives in its own file (version.cc,
// status.cc, ...); this class only holds what they share.

#include <mutex>
#include <string>

#include "config/config.h"
#include "cri/cri_grpc.h"
#include "network/cni.h"
#include "pod/pods.h"
#include "server/streaming/server.h"
#include "server/unimplemented.h"

// Container RPCs, each in its own file (container_create.cc, exec_sync.cc, ...).
#define BERTH_RUNTIME_CONTAINER_RPCS(X)                                                                     \
  X(CreateContainer) X(StartContainer) X(StopContainer) X(RemoveContainer) X(ListContainers) X(ContainerStatus) \
  X(UpdateContainerResources) X(ReopenContainerLog) X(ExecSync) X(Exec) X(Attach) X(PortForward)

// Stats and metrics (container_stats.cc, sandbox_stats.cc, metrics_list.cc).
#define BERTH_RUNTIME_STATS_RPCS(X)                                                    \
  X(ContainerStats) X(ListContainerStats) X(PodSandboxStats) X(ListPodSandboxStats) \
  X(ListMetricDescriptors) X(ListPodSandboxMetrics)

namespace berth::server {

class RuntimeService final : public runtime::v1::RuntimeService::Service {
 public:
  RuntimeService(const config::Config& cfg, pod::Pods& pods, network::Cni& cni,
                 streaming::StreamingServer& streaming)
      : cfg_(cfg), pods_(pods), cni_(cni), streaming_(streaming) {}

  grpc::Status Version(grpc::ServerContext* ctx, const runtime::v1::VersionRequest* req,
                       runtime::v1::VersionResponse* resp) override;
  grpc::Status Status(grpc::ServerContext* ctx, const runtime::v1::StatusRequest* req,
                      runtime::v1::StatusResponse* resp) override;
  grpc::Status RuntimeConfig(grpc::ServerContext* ctx, const runtime::v1::RuntimeConfigRequest* req,
                             runtime::v1::RuntimeConfigResponse* resp) override;
  grpc::Status UpdateRuntimeConfig(grpc::ServerContext* ctx, const runtime::v1::UpdateRuntimeConfigRequest* req,
                                   runtime::v1::UpdateRuntimeConfigResponse* resp) override;
  grpc::Status RunPodSandbox(grpc::ServerContext* ctx, const runtime::v1::RunPodSandboxRequest* req,
                             runtime::v1::RunPodSandboxResponse* resp) override;
  grpc::Status StopPodSandbox(grpc::ServerContext* ctx, const runtime::v1::StopPodSandboxRequest* req,
                              runtime::v1::StopPodSandboxResponse* resp) override;
  grpc::Status RemovePodSandbox(grpc::ServerContext* ctx, const runtime::v1::RemovePodSandboxRequest* req,
                                runtime::v1::RemovePodSandboxResponse* resp) override;
  grpc::Status PodSandboxStatus(grpc::ServerContext* ctx, const runtime::v1::PodSandboxStatusRequest* req,
                                runtime::v1::PodSandboxStatusResponse* resp) override;
  grpc::Status ListPodSandbox(grpc::ServerContext* ctx, const runtime::v1::ListPodSandboxRequest* req,
                              runtime::v1::ListPodSandboxResponse* resp) override;

  BERTH_RUNTIME_CONTAINER_RPCS(BERTH_DECLARE_UNARY)
  BERTH_RUNTIME_STATS_RPCS(BERTH_DECLARE_UNARY)
  BERTH_RUNTIME_UNARY_UNIMPLEMENTED(BERTH_DECLARE_UNARY)
  BERTH_RUNTIME_STREAM_UNIMPLEMENTED(BERTH_DECLARE_STREAM)
  grpc::Status GetContainerEvents(grpc::ServerContext* ctx, const runtime::v1::GetEventsRequest* req,
                                  grpc::ServerWriter<runtime::v1::ContainerEventResponse>* writer) override;

  // The pod CIDR kubelet last handed over through UpdateRuntimeConfig.
  std::string pod_cidr() const;

 private:
  void FillStatus(const runtime::v1::StatusRequest& req, runtime::v1::StatusResponse* resp);
  const config::Config& cfg_;
  pod::Pods& pods_;
  network::Cni& cni_;  // Status reads its cached discovery of the default network
  streaming::StreamingServer& streaming_;  // Exec, Attach and PortForward hand out its URLs
  mutable std::mutex mu_;
  std::string pod_cidr_;
};

}  // namespace berth::server
