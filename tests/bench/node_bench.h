// The node-scale subcommands of berth-cri-bench (hack/bench.sh and
// hack/bench-stats.sh drive them): many pods at once, pod start from several
// clients, list calls against a full node, and a daemon's CPU time.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "tests/bench/container_bench.h"

namespace berth::bench {

// opt.pods pods with opt.per_pod running `sleep` containers each (per_pod 0:
// the pause alone), made by `threads` clients at once on one channel, each
// client a whole pod at a time (untimed). *pods gets every pod (an empty id
// where RunPodSandbox failed); false if anything failed.
bool MakePods(runtime::v1::RuntimeService::Stub& stub, const ContainerOptions& opt, int threads,
              std::vector<ReadyPod>* pods);

// utime+stime of process `pid` from /proc/PID/stat, in ms; -1 if unreadable.
double CpuMs(int pid);

// opt.pods pods, each RunPodSandbox + CreateContainer + StartContainer of one
// `sleep` container, timed from the first call to the last answer; `threads`
// clients at once (1: one after the other). With daemon_pid > 0, also the
// daemon's CPU time (utime+stime) over those starts. Then stops and removes
// the pods (untimed). Prints
//   podstart n=N parallel=P wall_ms=.. p50_ms=.. p99_ms=.. mean_ms=.. cpu_ms=.. ms=a,b,...
// (cpu_ms -1 without a pid).
int PodStart(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int threads, int daemon_pid);

// MakePods with `threads` clients, the pods left running for the caller to
// measure (removed later by rmp); prints "fill pods=N containers=M wall_ms=..".
int Fill(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int threads);

// `calls` rounds of ListContainers and ListPodSandbox, then `stats_calls`
// rounds of ListContainerStats and ListPodSandboxStats (no filter, as kubelet
// calls them), each call timed and checked to list at least `containers`
// containers and `pods` pods. Prints
//   list n=N containers=C pods=P lc_ms=a,b,... lp_ms=.. lcs_ms=.. lps_ms=..
// (C, P: what the last ListContainers / ListPodSandbox answered; lcs_ms and
// lps_ms empty without stats calls).
int List(std::shared_ptr<grpc::Channel> channel, int calls, int stats_calls, int containers, int pods);

// opt.pods pods with opt.per_pod running `sleep` containers each (untimed),
// then `samples` rounds of ListContainerStats and ListPodSandboxStats (no
// filter), each call timed and checked to list every container (pod); then
// removes the pods. Prints
//   stats n=N containers=C lcs_p50_ms=.. lcs_p99_ms=.. lps_p50_ms=.. lps_p99_ms=.. lcs_ms=.. lps_ms=..
int Stats(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int samples);

}  // namespace berth::bench
