// The load test: N parallel clients share M pod lifecycles, each with a
// container: RunPodSandbox, CreateContainer, StartContainer, ExecSync,
// ContainerStatus, PodSandboxStatus, StopContainer, StopPodSandbox,
// RemovePodSandbox. No call may fail, every exec must see its own pod's
// hostname, and afterwards nothing is left: dirs, mounts, cgroups,
// processes, IP reservations. Bridge berthld1 on 10.187.1.0/24.
//
// Sizes by environment: BERTH_LOAD_CLIENTS (default 4) and BERTH_LOAD_PODS
// (the total, default 12; the acceptance run is 20 clients and 200 pods).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "tests/integration/container_fixture.h"
#include "tests/integration/leak_check.h"

namespace berth::testing {
namespace {

constexpr const char* kLoadCgroup = "/berthld";

int LoadSize(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

class LoadTest : public ContainerFixture {
 protected:
  // One pod's whole lifecycle; an empty string when every call succeeded,
  // else what failed.
  std::string Lifecycle(int n) {
    const std::string name = "load-" + std::to_string(n);
    auto preq = PodRequest(name);
    preq.mutable_config()->mutable_linux()->set_cgroup_parent(kLoadCgroup);
    std::string pod, ctr;
    auto fail = [&](const std::string& what, const grpc::Status& st) {
      return name + ": " + what + ": " + std::to_string(st.error_code()) + " " + st.error_message();
    };
    if (auto st = RunPodSandbox(*berthd_, preq, &pod); !st.ok()) return fail("RunPodSandbox", st);
    auto creq = CtrRequest(pod, "app", {"sleep", "3600"});
    *creq.mutable_sandbox_config() = preq.config();
    if (auto st = Create(creq, &ctr); !st.ok()) return fail("CreateContainer", st);
    if (auto st = Start(ctr); !st.ok()) return fail("StartContainer", st);
    runtime::v1::ExecSyncResponse ex;
    if (auto st = Exec(ctr, {"hostname"}, 30, &ex); !st.ok()) return fail("ExecSync", st);
    if (ex.exit_code() != 0 || ex.stdout() != name + "\n") return name + ": exec saw hostname " + ex.stdout();
    grpc::Status st;
    if (Status(ctr, &st).status().state() != runtime::v1::CONTAINER_RUNNING || !st.ok())
      return fail("ContainerStatus (running)", st);
    if (PodStatus(pod, &st).status().state() != runtime::v1::SANDBOX_READY || !st.ok())
      return fail("PodSandboxStatus (ready)", st);
    if (st = Stop(ctr, 1); !st.ok()) return fail("StopContainer", st);
    if (st = StopPod(pod); !st.ok()) return fail("StopPodSandbox", st);
    if (st = RemovePod(pod); !st.ok()) return fail("RemovePodSandbox", st);
    return "";
  }
};

TEST_F(LoadTest, ParallelClientsRunPodLifecyclesWithoutErrorOrLeak) {
  const int clients = LoadSize("BERTH_LOAD_CLIENTS", 4), pods = LoadSize("BERTH_LOAD_PODS", 12);
  std::cout << "load test: " << clients << " clients, " << pods << " pods" << std::endl;
  StartBerthd(1, "berthld", 187);
  std::atomic<int> next{0};
  std::vector<std::string> errors;
  std::mutex mu;
  std::vector<std::thread> threads;
  const auto started = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      for (int n; (n = next++) < pods;) {
        std::string err = Lifecycle(n);
        if (err.empty()) continue;
        std::lock_guard l(mu);
        errors.push_back(err);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::cout << "load test: " << pods << " lifecycles in "
            << std::chrono::duration<double>(Clock::now() - started).count() << " s" << std::endl;
  EXPECT_TRUE(errors.empty()) << JoinLines(errors) << berthd_->log().substr(0, 20000);
  EXPECT_TRUE(ListPods().empty());
  EXPECT_TRUE(List().empty());
  ExpectNoProcessAndNothingLeaked(layout(), run_root(), work_ / "ipam", kLoadCgroup);
}

}  // namespace
}  // namespace berth::testing
