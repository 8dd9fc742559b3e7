#pragma once
// The node's pods: the sandbox and the container managers, built and
// recovered in order, and the calls that span both (a pod's containers are
// killed before its pause stops, and removed before its sandbox goes). The
// container manager reads sandboxes; the sandbox manager knows nothing of
// containers, so the two never call each other in a circle.

#include <optional>
#include <string>
#include <thread>

#include "config/config.h"
#include "network/cni.h"
#include "pod/container_manager.h"
#include "pod/events.h"
#include "pod/pod_stats.h"
#include "pod/sandbox_manager.h"

namespace berth::pod {

class Pods {
 public:
  // `pause_image` is empty when config pause.image is unset (the built-in
  // pause rootfs is used).
  Pods(const config::Config& cfg, network::Cni& cni, PauseImageFn pause_image, ResolveImageFn resolve_image);
  Pods(const Pods&) = delete;
  Pods& operator=(const Pods&) = delete;

  // At start, before serving: the sandboxes, then their containers.
  void Recover();
  // RunPodSandbox; tells the event stream the pod was created and started.
  std::string RunSandbox(const runtime::v1::RunPodSandboxRequest& req);
  // StopPodSandbox: idempotent; an unknown id is fine (already reclaimed).
  void StopSandbox(const std::string& id_or_prefix);
  // RemovePodSandbox: idempotent; an unknown id is fine (CRI).
  void RemoveSandbox(const std::string& id_or_prefix);
  // When berthd stops; pods keep running. Event streams end.
  void Shutdown();

  EventBus events;
  SandboxManager sandboxes;
  ContainerManager containers;
  PodStats stats;

 private:
  // A GetContainerEvents message for `id` (a container, or the sandbox
  // itself) of `sandbox_id`: the pod's status (`sandbox_status` when the
  // sandbox is gone) and the statuses of its containers.
  void Publish(runtime::v1::ContainerEventType type, const std::string& id, const std::string& sandbox_id,
               const runtime::v1::PodSandboxStatus* sandbox_status = nullptr);
  // While anyone subscribes: notices containers that exited by themselves.
  void WatchExits(std::stop_token stop);

  // The full id; nullopt (logged: the CRI wants these calls idempotent) when none matches.
  std::optional<std::string> ResolveForIdempotent(const std::string& raw_id, const std::string& rpc,
                                                  const std::string& verb) const;

  std::jthread exit_watch_;  // last: stops before what it reads goes
};

}  // namespace berth::pod
