#pragma once
// A RuntimeService for unit tests of its RPCs, with the managers it needs
// (constructing them touches no files; nothing is recovered).

#include "config/config.h"
#include "network/cni.h"
#include "pod/sandbox_manager.h"
#include "server/runtime_service.h"

namespace berth::testing {

struct TestRuntimeService {
  explicit TestRuntimeService(const config::Config& cfg)
      : cni(cfg.cni.conf_dir, cfg.cni.bin_dirs, cfg.root + "/cni-cache"), sandboxes(cfg, cni), service(cfg, sandboxes) {}
  network::Cni cni;
  pod::SandboxManager sandboxes;
  server::RuntimeService service;
};

}  // namespace berth::testing
