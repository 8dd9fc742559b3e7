// The fault test: berthd killed -9 at random moments while a client creates
// and tears down pods with a container each, K cycles, each followed by a
// restart. After every restart nothing a call succeeded for is lost (every
// such pod and container is listed, the pods ready, the started containers
// still running), nothing is listed twice, and at the end everything is
// removable and nothing is left: dirs, mounts, cgroups, processes and
// host-local IP reservations. Bridge berthflt1 on 10.186.1.0/24.
//
// Sizes by environment: BERTH_FAULT_CYCLES (default 15; 100 for the
// acceptance run), BERTH_FAULT_SEED (default: random; printed either way).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/container_fixture.h"
#include "tests/integration/leak_check.h"

namespace berth::testing {
namespace {

constexpr const char* kFaultCgroup = "/berthflt";

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// What the client was told succeeded. In-flight calls (the one the kill
// interrupted) are "maybe": their object may or may not exist afterwards.
struct Model {
  struct Ctr {
    std::string pod;
    bool started = false;
  };
  std::mutex mu;
  std::map<std::string, std::string> pods;  // id -> name
  std::map<std::string, Ctr> ctrs;          // id -> pod, started
  std::set<std::string> maybe_pod_names;    // a RunPodSandbox whose answer was lost
  std::set<std::string> maybe_ctr_pods;     // pods with a CreateContainer whose answer was lost
  std::set<std::string> maybe_gone;         // ids with a stop or remove whose answer was lost
};

class FaultTest : public ContainerFixture {
 protected:
  runtime::v1::RunPodSandboxRequest FaultPod(const std::string& name) {
    auto req = PodRequest(name);
    req.mutable_config()->mutable_linux()->set_cgroup_parent(kFaultCgroup);
    return req;
  }

  // One client's work until berthd dies: pods with a sleeping container,
  // about half of them torn down again.
  void Client(uint64_t seed, int cycle, std::atomic<bool>& killed) {
    std::mt19937_64 rng(seed);
    // A call may fail only because berthd was killed (the flag is set before the kill).
    const auto ok = [&](const grpc::Status& st, const std::string& what) {
      if (!st.ok() && !killed) ADD_FAILURE() << what << " failed before any kill: " << st.error_message();
      return st.ok();
    };
    for (int i = 0; !killed; ++i) {
      const std::string name = "f" + std::to_string(cycle) + "-" + std::to_string(i);
      std::string pod;
      {
        std::lock_guard l(model_.mu);
        model_.maybe_pod_names.insert(name);
      }
      if (!ok(RunPodSandbox(*berthd_, FaultPod(name), &pod), "RunPodSandbox " + name)) return;
      {
        std::lock_guard l(model_.mu);
        model_.maybe_pod_names.erase(name);
        model_.pods[pod] = name;
        model_.maybe_ctr_pods.insert(pod);
      }
      auto creq = CtrRequest(pod, "sleeper", {"sleep", "3600"});
      *creq.mutable_sandbox_config() = FaultPod(name).config();
      std::string ctr;
      if (!ok(Create(creq, &ctr), "CreateContainer in " + pod)) return;
      {
        std::lock_guard l(model_.mu);
        model_.maybe_ctr_pods.erase(pod);
        model_.ctrs[ctr] = {pod, false};
      }
      if (!ok(Start(ctr), "StartContainer " + ctr)) return;
      {
        std::lock_guard l(model_.mu);
        model_.ctrs[ctr].started = true;
      }
      if (rng() % 2) continue;  // this pod stays
      for (const std::string& id : {ctr, pod}) {
        std::lock_guard l(model_.mu);
        model_.maybe_gone.insert(id);
      }
      if (!ok(Stop(ctr, 0), "StopContainer " + ctr) || !ok(RemoveCtr(ctr), "RemoveContainer " + ctr)) return;
      {
        std::lock_guard l(model_.mu);
        model_.ctrs.erase(ctr);
        model_.maybe_gone.erase(ctr);
      }
      if (!ok(StopPod(pod), "StopPodSandbox " + pod) || !ok(RemovePod(pod), "RemovePodSandbox " + pod)) return;
      std::lock_guard l(model_.mu);
      model_.pods.erase(pod);
      model_.maybe_gone.erase(pod);
    }
  }

  // After a restart: every pod and container the model holds is there and
  // works, nothing is there twice, and the extras are only in-flight ones.
  void CheckNothingLost(int cycle) {
    std::lock_guard l(model_.mu);
    std::map<std::string, int> pod_seen, key_seen;
    for (const auto& p : ListPods()) {
      ++pod_seen[p.id()];
      ++key_seen[p.metadata().name() + "/" + std::to_string(p.metadata().attempt())];
      if (model_.pods.contains(p.id())) continue;
      EXPECT_TRUE(model_.maybe_pod_names.contains(p.metadata().name()) || model_.maybe_gone.contains(p.id()))
          << "cycle " << cycle << ": pod " << p.id() << " (" << p.metadata().name() << ") is listed but no call made it";
    }
    for (const auto& [id, n] : pod_seen) EXPECT_EQ(n, 1) << "pod " << id << " listed " << n << " times";
    for (const auto& [k, n] : key_seen) EXPECT_EQ(n, 1) << "pod name " << k << " listed " << n << " times";
    for (const auto& [id, name] : model_.pods) {
      if (model_.maybe_gone.contains(id)) continue;
      ASSERT_TRUE(pod_seen.contains(id)) << "cycle " << cycle << ": pod " << id << " (" << name << ") was lost\n"
                                         << berthd_->log();
      EXPECT_EQ(PodStatus(id).status().state(), runtime::v1::SANDBOX_READY) << "pod " << id;
    }
    std::map<std::string, int> ctr_seen;
    for (const auto& c : List()) {
      ++ctr_seen[c.id()];
      if (model_.ctrs.contains(c.id())) continue;
      EXPECT_TRUE(model_.maybe_ctr_pods.contains(c.pod_sandbox_id()) || model_.maybe_gone.contains(c.id()))
          << "cycle " << cycle << ": container " << c.id() << " is listed but no call made it";
    }
    for (const auto& [id, n] : ctr_seen) EXPECT_EQ(n, 1) << "container " << id << " listed " << n << " times";
    for (const auto& [id, c] : model_.ctrs) {
      if (model_.maybe_gone.contains(id)) continue;
      ASSERT_TRUE(ctr_seen.contains(id)) << "cycle " << cycle << ": container " << id << " was lost";
      if (c.started) {
        EXPECT_EQ(Status(id).status().state(), runtime::v1::CONTAINER_RUNNING)
            << "cycle " << cycle << ": container " << id << " stopped running across the restart";
      }
    }
  }

  // Removes everything listed (in-flight leftovers included) until at most
  // `keep` of the model's pods remain; every removal must succeed.
  void Prune(size_t keep) {
    std::lock_guard l(model_.mu);
    for (const auto& p : ListPods()) {
      if (model_.pods.contains(p.id()) && !model_.maybe_gone.contains(p.id()) && model_.pods.size() <= keep) continue;
      ASSERT_TRUE(StopPod(p.id()).ok()) << p.id();
      const auto st = RemovePod(p.id());
      ASSERT_TRUE(st.ok()) << p.id() << ": " << st.error_message() << "\n" << berthd_->log();
      model_.pods.erase(p.id());
      std::erase_if(model_.ctrs, [&](const auto& kv) { return kv.second.pod == p.id(); });
    }
    model_.maybe_pod_names.clear();
    model_.maybe_ctr_pods.clear();
    model_.maybe_gone.clear();
    // Containers of kept pods that a lost CreateContainer left are fine to keep:
    // they are listed, so the model takes them in.
    for (const auto& c : List())
      if (!model_.ctrs.contains(c.id())) model_.ctrs[c.id()] = {c.pod_sandbox_id(), c.state() == runtime::v1::CONTAINER_RUNNING};
  }

  Model model_;
};

TEST_F(FaultTest, KilledAtRandomMomentsLosesNothingAndLeaksNothing) {
  const uint64_t cycles = EnvNumber("BERTH_FAULT_CYCLES", 15);
  const uint64_t seed = EnvNumber("BERTH_FAULT_SEED", std::random_device{}());
  std::cout << "fault test: " << cycles << " cycles, seed " << seed << " (BERTH_FAULT_SEED=" << seed
            << " repeats it)" << std::endl;
  RecordProperty("seed", std::to_string(seed));
  StartBerthd(1, "berthflt", 186);
  std::mt19937_64 rng(seed);
  for (uint64_t cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", seed " + std::to_string(seed));
    std::atomic<bool> killed{false};
    const uint64_t client_seed = rng();
    std::thread client([&] { Client(client_seed, static_cast<int>(cycle), killed); });
    // Anywhere in the first pods' lifecycles: mostly mid-call.
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 2500));
    killed = true;
    ::kill(berthd_->pid(), SIGKILL);
    client.join();
    berthd_->Stop(SIGKILL);  // reaps it
    berthd_->Start();
    CheckNothingLost(static_cast<int>(cycle));
    if (HasFatalFailure()) return;
    Prune(6);  // bounds the work per cycle; removes what in-flight calls left
    if (HasFatalFailure()) return;
  }
  Prune(0);
  EXPECT_TRUE(ListPods().empty());
  EXPECT_TRUE(List().empty());
  ExpectNoProcessAndNothingLeaked(layout(), run_root(), work_ / "ipam", kFaultCgroup);
}

}  // namespace
}  // namespace berth::testing
