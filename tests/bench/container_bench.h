// The container subcommands of berth-cri-bench (hack/bench-containers.sh drives them).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/bench/pod_bench.h"

namespace berth::bench {

struct ContainerOptions {
  RunpOptions pod;    // socket, log/cgroup roots, name prefix of the pods (pod.count is unused)
  std::string image;  // a busybox image, pulled beforehand
  int pods = 1;       // ready pods to make (untimed)
  int per_pod = 1;    // Ctr: containers per pod; Exec: ExecSync calls
};

// A pod berth-cri-bench made, for removal.
struct ReadyPod {
  std::string id;
  std::string log_dir;
  runtime::v1::PodSandboxConfig config;
};
// Runs pod <prefix>-<n> as kubelet would (log directory first); false on failure.
bool RunPod(runtime::v1::RuntimeService::Stub& stub, const RunpOptions& opt, int n, ReadyPod* pod);

struct CtrTimes {
  double create_ms = 0;  // CreateContainer's RPC
  double start_ms = 0;   // StartContainer's RPC
  double total_ms = 0;   // CreateContainer's call to StartContainer's answer
};
// CreateContainer (as kubelet asks for a plain container running `cmd`) then
// StartContainer; sets *id once created; false (and a message) on failure.
bool CreateAndStart(runtime::v1::RuntimeService::Stub& stub, const ReadyPod& pod, const std::string& image,
                    const std::string& name, std::string* id, CtrTimes* times,
                    const std::vector<std::string>& cmd = {"sleep", "3600"});
// StopContainer (timeout 0: SIGKILL) then RemoveContainer, each timed.
bool StopAndRemoveContainer(runtime::v1::RuntimeService::Stub& stub, const std::string& id, double* stop_ms,
                            double* rm_ms);

// One pod and one running container of `cmd` in it (untimed); false on failure.
bool PodWithContainer(runtime::v1::RuntimeService::Stub& stub, const ContainerOptions& opt,
                      std::vector<ReadyPod>* pods, std::string* ctr,
                      const std::vector<std::string>& cmd = {"sleep", "3600"});
// Stops and removes the pods (and with them anything left in them) and their log dirs.
bool RemovePods(runtime::v1::RuntimeService::Stub& stub, const std::vector<ReadyPod>& pods);
// "<what> n=N p50_ms=.. p99_ms=.. mean_ms=..<extra> ms=a,b,..."
void PrintStats(const char* what, const std::vector<double>& ms, const std::string& extra);

// Runs opt.pods pods (untimed), then opt.per_pod `sleep` containers in each,
// one after the other, timing CreateContainer+StartContainer together; then
// stops and removes the containers (timed separately) and the pods. Prints
//   ctr n=N p50_ms=.. p99_ms=.. mean_ms=.. stop_mean_ms=.. rm_mean_ms=.. create_ms=a,b,... start_ms=..
//       stop_ms=.. rm_ms=.. ms=a,b,...
// (ms: create+start; the i-th sample of each list is the same container's).
int Ctr(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt);

// One pod, one running `sleep` container (untimed), then opt.per_pod ExecSync
// calls of `true`, each timed and checked for exit code 0; then removes the
// pod. Prints
//   exec n=N p50_ms=.. p99_ms=.. mean_ms=.. ms=a,b,...
int Exec(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt);

// One pod with one running `sleep` container, left running for the caller to
// measure (removed later by rmp); prints "idle <pod_id> <container_id>".
int Idle(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt);

}  // namespace berth::bench
