#pragma once
// A RuntimeService for unit tests of its RPCs, with the managers it needs
// (constructing them touches no files; nothing is recovered).

#include "config/config.h"
#include "network/cni.h"
#include "storage/base/error.h"
#include "config/layout.h"
#include "pod/pods.h"
#include "server/runtime_service.h"
#include "server/streaming/server.h"

namespace berth::testing {

struct TestRuntimeService {
  explicit TestRuntimeService(const config::Config& cfg)
      : cni(cfg.cni.conf_dir, cfg.cni.bin_dirs, config::Layout(cfg).CniCache()),
        pods(cfg, cni, {}, NoImages),
        streaming(cfg, pods),
        service(cfg, pods, cni, streaming) {}
  static pod::ContainerImage NoImages(const runtime::v1::ImageSpec& spec) {
    throw NotFound("image " + spec.image() + " not found (the test service has no image store)");
  }
  network::Cni cni;
  pod::Pods pods;
  server::streaming::StreamingServer streaming;  // on 127.0.0.1, a port of the kernel's choice
  server::RuntimeService service;
};

}  // namespace berth::testing
