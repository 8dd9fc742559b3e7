#pragma once
// The Prometheus endpoint on metrics.address: GET /metrics answers berthd's
// metrics (storage/base/metrics.h) as text format 0.0.4; any other path is
// 404, any other method 405. One thread serves it (Boost.Beast over Asio);
// a scrape is small and a slow client times out after a few seconds, so it
// never holds the CRI up.

#include <memory>
#include <string>

#include "pod/pods.h"

namespace berth::server {

class MetricsServer {
 public:
  // Listens on "host:port" (port 0: one the kernel picks). Throws
  // berth::Error: INVALID_ARGUMENT naming metrics.address for a malformed
  // address, INTERNAL when it cannot bind.
  explicit MetricsServer(const std::string& address);
  ~MetricsServer();  // stops serving
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The address it listens on, port resolved ("127.0.0.1:40123").
  std::string address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Adds berthd's own CPU time and memory (berth_process_*) to the registry.
void RegisterProcessMetrics();
// Adds pods and containers by state (berth_pods, berth_containers), read
// from `pods` at each scrape; Unregister before `pods` goes.
void RegisterPodMetrics(pod::Pods& pods);
void UnregisterPodMetrics();

}  // namespace berth::server
