#include "pod/pods.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include "pod/container_cri.h"
#include "storage/base/clock.h"
#include "storage/base/error.h"

namespace berth::pod {
namespace {

// How often exits are looked for while a stream is open: the monitor's exit
// file appears when the container ends.
constexpr std::chrono::milliseconds kExitPoll{200};
constexpr unsigned kTrimEvery = 25;  // polls: 5 s

}  // namespace

Pods::Pods(const config::Config& cfg, network::Cni& cni, PauseImageFn pause_image, ResolveImageFn resolve_image)
    : sandboxes(cfg, cni, std::move(pause_image)),
      containers(cfg, sandboxes, std::move(resolve_image)),
      stats(cfg, sandboxes, containers) {
  containers.SetEventSink([this](runtime::v1::ContainerEventType type, const Container& c) {
    Publish(type, c.id, c.sandbox_id);
  });
  exit_watch_ = std::jthread([this](std::stop_token stop) { WatchExits(stop); });
}

void Pods::Shutdown() {
  exit_watch_.request_stop();
  if (exit_watch_.joinable()) exit_watch_.join();
  events.CloseAll();
  sandboxes.Shutdown();
}

void Pods::WatchExits(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  for (unsigned round = 1; !stop.stop_requested(); ++round) {
    cv.wait_for(lock, stop, kExitPoll, [] { return false; });
    if (stop.stop_requested()) break;
    // What a burst of requests freed goes back to the kernel, not idles in
    // malloc's arenas (berthd's memory between bursts is what a node pays).
    if (round % kTrimEvery == 0) ::malloc_trim(0);
    if (!events.HasSubscribers()) continue;
    try {
      containers.NoticeExits();
    } catch (const std::exception& e) {
      spdlog::warn("noticing container exits: {}", e.what());
    }
  }
}

void Pods::Publish(runtime::v1::ContainerEventType type, const std::string& id, const std::string& sandbox_id,
                   const runtime::v1::PodSandboxStatus* sandbox_status) {
  if (!events.HasSubscribers()) return;
  runtime::v1::ContainerEventResponse ev;
  ev.set_container_id(id);
  ev.set_container_event_type(type);
  ev.set_created_at(NowNs());
  try {
    if (sandbox_status) {
      *ev.mutable_pod_sandbox_status() = *sandbox_status;
    } else {
      *ev.mutable_pod_sandbox_status() = sandboxes.Status(sandbox_id, false).status();
    }
    for (const auto& c : containers.Records()) {
      if (c.sandbox_id == sandbox_id) FillStatus(c, ev.add_containers_statuses());
    }
  } catch (const std::exception& e) {  // the sandbox went meanwhile: the event still goes
    spdlog::debug("event for {}: {}", id, e.what());
  }
  events.Publish(ev);
}

std::string Pods::RunSandbox(const runtime::v1::RunPodSandboxRequest& req) {
  const std::string id = sandboxes.Run(req);
  Publish(runtime::v1::CONTAINER_CREATED_EVENT, id, id);
  Publish(runtime::v1::CONTAINER_STARTED_EVENT, id, id);
  return id;
}

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
    const auto before = sandboxes.Get(*id);
    containers.StopAll(*id);
    sandboxes.Stop(*id);
    // StopPodSandbox is repeated by kubelet: the stop is told once.
    if (before && before->state == SandboxState::kReady) Publish(runtime::v1::CONTAINER_STOPPED_EVENT, *id, *id);
  }
}

void Pods::RemoveSandbox(const std::string& raw_id) {
  if (const auto id = ResolveForIdempotent(raw_id, "RemovePodSandbox", "remove")) {
    containers.RemoveAll(*id);
    std::optional<runtime::v1::PodSandboxStatus> last;
    if (events.HasSubscribers() && sandboxes.Get(*id)) last = sandboxes.Status(*id, false).status();
    sandboxes.Remove(*id);
    if (last) Publish(runtime::v1::CONTAINER_DELETED_EVENT, *id, *id, &*last);
  }
}

}  // namespace berth::pod
