#pragma once
// What berthd does at start with what a crash may have left: one failed
// cleanup step is logged and the next one runs, so one broken leftover
// cannot keep berthd from serving.

#include <spdlog/spdlog.h>

#include <set>
#include <string>

#include "config/config.h"

namespace berth::pod::oci {

template <class F>
void TryStep(const std::string& what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("recovery: {}: {}", what, e.what());
  }
}

// Deletes, under every configured runtime handler, the containers whose
// bundle lies in a run dir under `run_dirs` but whose id is not in `known`
// (a crash during a create), each killed first so that its monitor records
// the exit before the dir goes. `kind` names them in the log ("pause
// container", "container").
void SweepOrphans(const config::Config& cfg, const std::string& run_dirs, const std::set<std::string>& known,
                  const std::string& kind);

}  // namespace berth::pod::oci
