// The pod sandbox subcommands of berth-cri-bench (hack/bench-runp.sh drives them).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cri/cri_grpc.h"

namespace berth::bench {

struct RunpOptions {
  std::string socket;
  int count = 0;              // sandboxes to run, one after the other
  std::string log_root;       // each pod's log_directory is <log_root>/<ns>_<name>_<uid>, made beforehand
  std::string cgroup_root;    // cgroup_parent is <cgroup_root>/besteffort/pod<uid> (kubelet, cgroupfs)
  std::string name_prefix;    // metadata.name is <prefix>-<n>; unique per call and socket
};

// Runs opt.count sandboxes sequentially, timing each RunPodSandbox, then stops
// and removes them all (timed separately, in the order they ran), and prints one line:
//   runp n=N run_p50_ms=.. run_p99_ms=.. run_mean_ms=.. stop_mean_ms=.. rm_mean_ms=.. run_ms=a,b,...
//        stop_ms=a,b,... rm_ms=a,b,...
// (the i-th sample of each list is the same pod's).
// With BERTH_BENCH_TIMELINE set, also writes "timeline <name> <start> <end>"
// per pod to stderr (CLOCK_MONOTONIC seconds) for lining up with a trace.
// Returns the exit status (1 if any RPC failed; what it created is removed anyway).
int Runp(std::shared_ptr<grpc::Channel> channel, const RunpOptions& opt);

// Helpers shared with container_bench.cc.
void SetDeadline(grpc::ClientContext& ctx);
bool Check(const char* rpc, const std::string& what, const grpc::Status& s);  // prints a failure
double MillisSince(std::chrono::steady_clock::time_point start);
std::string NewUid();  // a random v4 UUID, as the API server gives pods (thread-safe)
// The RunPodSandbox request kubelet (cgroupfs driver) sends for pod <prefix>-<n>.
runtime::v1::RunPodSandboxRequest PodRequest(const RunpOptions& opt, int n, const std::string& uid,
                                             const std::string& log_dir);
double Percentile(const std::vector<double>& sorted, double p);  // nearest rank
double Mean(const std::vector<double>& v);
bool StopAndRemove(runtime::v1::RuntimeService::Stub& stub, const std::string& id, double* stop_ms, double* rm_ms);
bool Connected(runtime::v1::RuntimeService::Stub& stub);  // Version answered (connects before timing)
std::string Join(const std::vector<double>& v);          // "a,b,..." with 2 decimals

// Stops and removes every sandbox carrying the label this tool puts on its pods
// (clean-up after an interrupted run); prints "rmp removed N".
int Rmp(std::shared_ptr<grpc::Channel> channel, bool all = false);

}  // namespace berth::bench
