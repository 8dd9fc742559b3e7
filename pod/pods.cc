#include "pod/pods.h"

#include <spdlog/spdlog.h>

#include "storage/base/error.h"

namespace berth::pod {

void Pods::Recover() {
  WithContext("recover pod sandboxes", [&] { sandboxes.Recover(); });
  WithContext("recover containers", [&] { containers.Recover(); });
}

std::optional<std::string> Pods::ResolveForIdempotent(const std::string& raw_id, const std::string& rpc,
                                                      const std::string& verb) const {
  auto id = sandboxes.Resolve(raw_id, rpc + ": pod_sandbox_id");
  if (!id) spdlog::info("{}: sandbox {} not found; nothing to {}", rpc, Quoted(raw_id), verb);
  return id;
}

void Pods::StopSandbox(const std::string& raw_id) {
  if (const auto id = ResolveForIdempotent(raw_id, "StopPodSandbox", "stop")) {
    containers.StopAll(*id);
    sandboxes.Stop(*id);
  }
}

void Pods::RemoveSandbox(const std::string& raw_id) {
  if (const auto id = ResolveForIdempotent(raw_id, "RemovePodSandbox", "remove")) {
    containers.RemoveAll(*id);
    sandboxes.Remove(*id);
  }
}

}  // namespace berth::pod
