#pragma once
// A pod sandbox record as the spec tests start from: pod network and IPC,
// per-container PID namespaces, a running pause process.

#include <string>

#include "pod/sandbox.h"

namespace berth::testing {

inline pod::Sandbox PodSandbox() {
  pod::Sandbox sb;
  sb.id = std::string(64, 'a');
  sb.name = "web";
  sb.pod_namespace = "default";
  sb.uid = "uid-1";
  sb.hostname = "web-0";
  sb.netns_path = "/run/berth/netns/" + sb.id;
  sb.shm_path = "/run/berth/sandboxes/" + sb.id + "/shm";
  sb.cgroups_path = "/kubepods/besteffort/poduid-1/" + sb.id;
  sb.ns = {pod::NsMode::kPod, pod::NsMode::kContainer, pod::NsMode::kPod, ""};
  sb.pause_pid = 4242;
  return sb;
}

}  // namespace berth::testing
