// What the streaming server needs of pods (CRI PortForward): the checks the
// RPC makes before handing out a URL, and where to connect.
#include "pod/sandbox_manager.h"
#include "storage/base/error.h"

namespace berth::pod {

SandboxManager::PortForwardTarget SandboxManager::CheckPortForward(const runtime::v1::PortForwardRequest& req) {
  PortForwardTarget t;
  for (int32_t port : req.port()) {
    if (port < 1 || port > 65535) {
      throw InvalidArgument("PortForward: port " + std::to_string(port) + " is not a TCP port (1-65535)");
    }
    t.ports.push_back(static_cast<uint16_t>(port));
  }
  auto sb = Find(req.pod_sandbox_id(), "PortForward: pod_sandbox_id");
  if (!sb) throw NotFound("PortForward: pod sandbox " + Quoted(req.pod_sandbox_id()) + " not found");
  if (sb->state != SandboxState::kReady) {
    throw FailedPrecondition("PortForward: pod sandbox " + sb->id + " is not ready");
  }
  t.id = sb->id;
  t.netns_path = sb->netns_path;
  return t;
}

}  // namespace berth::pod
