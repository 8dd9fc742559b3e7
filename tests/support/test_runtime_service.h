#pragma once
// A RuntimeService for unit tests of its RPCs, with the managers it needs
// (constructing them touches no files; nothing is recovered).

#include "config/config.h"
#include "network/cni.h"
#include "cri/error.h"
#include "pod/container_manager.h"
#include "pod/sandbox_manager.h"
#include "server/runtime_service.h"

namespace berth::testing {

struct TestRuntimeService {
  explicit TestRuntimeService(const config::Config& cfg)
      : cni(cfg.cni.conf_dir, cfg.cni.bin_dirs, cfg.root + "/cni-cache"),
        sandboxes(cfg, cni),
        containers(cfg, sandboxes, NoImages),
        service(cfg, sandboxes, containers) {}
  static pod::ContainerImage NoImages(const std::string& ref) {
    throw NotFound("image " + ref + " not found (the test service has no image store)");
  }
  network::Cni cni;
  pod::SandboxManager sandboxes;
  pod::ContainerManager containers;
  server::RuntimeService service;
};

}  // namespace berth::testing
