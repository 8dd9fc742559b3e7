#pragma once
// Pod sandbox calls the integration tests make. Each returns berthd's
// status (the caller decides what an error means) or, for the queries,
// fails the test when berthd answers with an error and `st_out` is null.

#include <gtest/gtest.h>

#include <sys/mount.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/berthd_harness.h"
#include "tests/support/shell.h"

namespace berth::testing {

inline grpc::Status RunPodSandbox(Berthd& d, const runtime::v1::RunPodSandboxRequest& req, std::string* id) {
  runtime::v1::RunPodSandboxResponse resp;
  auto st = d.runtime().RunPodSandbox(Ctx(120).get(), req, &resp);
  *id = resp.pod_sandbox_id();
  return st;
}

// Verbose: the info map holds the pause pid, the runtime spec, the CNI result.
inline runtime::v1::PodSandboxStatusResponse PodSandboxStatus(Berthd& d, const std::string& id,
                                                              grpc::Status* st_out = nullptr) {
  runtime::v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  req.set_verbose(true);
  runtime::v1::PodSandboxStatusResponse resp;
  auto st = d.runtime().PodSandboxStatus(Ctx().get(), req, &resp);
  if (st_out) {
    *st_out = st;
  } else {
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  return resp;
}

inline grpc::Status StopPodSandbox(Berthd& d, const std::string& id) {
  runtime::v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  runtime::v1::StopPodSandboxResponse resp;
  return d.runtime().StopPodSandbox(Ctx(60).get(), req, &resp);
}

inline grpc::Status RemovePodSandbox(Berthd& d, const std::string& id) {
  runtime::v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  runtime::v1::RemovePodSandboxResponse resp;
  return d.runtime().RemovePodSandbox(Ctx(60).get(), req, &resp);
}

inline std::vector<runtime::v1::PodSandbox> ListPodSandbox(Berthd& d) {
  runtime::v1::ListPodSandboxResponse resp;
  auto st = d.runtime().ListPodSandbox(Ctx().get(), {}, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return {resp.items().begin(), resp.items().end()};
}

// A test's end, passed or failed: every pod removed, berthd stopped, the
// netns pin dir's own mount (berthd makes it one, as `ip netns` does; it
// outlives berthd) undone, the test's bridge deleted.
inline void TearDownBerthd(std::unique_ptr<Berthd>& d, const std::string& bridge) {
  if (d && d->running()) {
    d->RemoveAllPods();
    d->Stop();
  }
  if (d) ::umount2(d->layout().NetnsDir().c_str(), MNT_DETACH);
  d.reset();
  if (!bridge.empty()) Sh("ip link del " + bridge);
}

}  // namespace berth::testing
