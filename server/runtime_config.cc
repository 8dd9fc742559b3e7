// RuntimeConfig and UpdateRuntimeConfig: settings kubelet and the runtime
// must agree on (cgroup driver) or that kubelet hands down (pod CIDR).
#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {
namespace {

// True for "a.b.c.d/n" or "v6::/n" with a prefix length that fits the family.
bool IsCidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos || slash + 1 >= s.size()) return false;
  std::string addr = s.substr(0, slash), len = s.substr(slash + 1);
  if (len.find_first_not_of("0123456789") != std::string::npos || len.size() > 3) return false;
  unsigned char buf[16];
  int bits = std::stoi(len);
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) return bits <= 32;
  if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) return bits <= 128;
  return false;
}

}  // namespace

grpc::Status RuntimeService::RuntimeConfig(grpc::ServerContext*, const runtime::v1::RuntimeConfigRequest*,
                                           runtime::v1::RuntimeConfigResponse* resp) {
  return RunRpc("RuntimeConfig", [&] {
    resp->mutable_linux()->set_cgroup_driver(cfg_.runtime.cgroup_manager == config::CgroupManager::kSystemd
                                                 ? runtime::v1::SYSTEMD
                                                 : runtime::v1::CGROUPFS);
  });
}

grpc::Status RuntimeService::UpdateRuntimeConfig(grpc::ServerContext*, const runtime::v1::UpdateRuntimeConfigRequest* req,
                                                 runtime::v1::UpdateRuntimeConfigResponse*) {
  return RunRpc("UpdateRuntimeConfig", [&] {
    // The pod network comes from the CNI config, which berth does not template;
    // the CIDR is kept so Status can show what kubelet assigned to the node.
    const std::string& cidr = req->runtime_config().network_config().pod_cidr();
    if (cidr.empty()) return;
    // kubelet may pass a comma-separated dual-stack pair.
    size_t start = 0;
    while (start <= cidr.size()) {
      size_t comma = cidr.find(',', start);
      std::string one = cidr.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!IsCidr(one)) {
        throw InvalidArgument("UpdateRuntimeConfig: runtime_config.network_config.pod_cidr " + Quoted(cidr) +
                              " is not a CIDR list");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    std::lock_guard lock(mu_);
    if (pod_cidr_ != cidr) spdlog::info("pod CIDR set to {}", cidr);
    pod_cidr_ = cidr;
  });
}

std::string RuntimeService::pod_cidr() const {
  std::lock_guard lock(mu_);
  return pod_cidr_;
}

}  // namespace berth::server
