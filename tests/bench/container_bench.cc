#include "tests/bench/container_bench.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "cri/cri_grpc.h"

namespace berth::bench {
namespace {

namespace fs = std::filesystem;
using runtime::v1::RuntimeService;

constexpr auto kExecTimeoutSeconds = 10;

// The CreateContainer request kubelet sends for a plain container running
// `sleep 3600` (its own PID namespace, logs under the pod's log directory).
runtime::v1::CreateContainerRequest ContainerRequest(const ReadyPod& pod, const std::string& image,
                                                     const std::string& name, const std::vector<std::string>& cmd) {
  runtime::v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod.id);
  *req.mutable_sandbox_config() = pod.config;
  auto* c = req.mutable_config();
  c->mutable_metadata()->set_name(name);
  c->mutable_metadata()->set_attempt(0);
  c->mutable_image()->set_image(image);
  for (const auto& a : cmd) c->add_command(a);
  c->set_log_path(name + "/0.log");
  (*c->mutable_labels())["io.kubernetes.container.name"] = name;
  (*c->mutable_labels())["io.kubernetes.pod.name"] = pod.config.metadata().name();
  (*c->mutable_labels())["io.kubernetes.pod.namespace"] = pod.config.metadata().namespace_();
  (*c->mutable_labels())["io.kubernetes.pod.uid"] = pod.config.metadata().uid();
  c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(runtime::v1::CONTAINER);
  return req;
}

}  // namespace

bool RunPod(RuntimeService::Stub& stub, const RunpOptions& opt, int n, ReadyPod* pod) {
  const std::string uid = NewUid();
  pod->log_dir = opt.log_root + "/" + opt.name_prefix + "-" + std::to_string(n) + "_" + uid;
  std::error_code ec;
  fs::create_directories(pod->log_dir, ec);
  if (ec) {
    std::fprintf(stderr, "berth-cri-bench: mkdir %s: %s\n", pod->log_dir.c_str(), ec.message().c_str());
    return false;
  }
  const auto req = PodRequest(opt, n, uid, pod->log_dir);
  runtime::v1::RunPodSandboxResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  if (!Check("RunPodSandbox", req.config().metadata().name(), stub.RunPodSandbox(&ctx, req, &resp))) return false;
  pod->id = resp.pod_sandbox_id();
  pod->config = req.config();
  return true;
}

bool CreateAndStart(RuntimeService::Stub& stub, const ReadyPod& pod, const std::string& image, const std::string& name,
                    std::string* id, CtrTimes* times, const std::vector<std::string>& cmd) {
  const auto creq = ContainerRequest(pod, image, name, cmd);
  runtime::v1::CreateContainerResponse cresp;
  grpc::ClientContext cctx;
  SetDeadline(cctx);
  const auto start = std::chrono::steady_clock::now();
  if (!Check("CreateContainer", name, stub.CreateContainer(&cctx, creq, &cresp))) return false;
  times->create_ms = MillisSince(start);
  *id = cresp.container_id();
  runtime::v1::StartContainerRequest sreq;
  sreq.set_container_id(*id);
  runtime::v1::StartContainerResponse sresp;
  grpc::ClientContext sctx;
  SetDeadline(sctx);
  const auto started = std::chrono::steady_clock::now();
  if (!Check("StartContainer", name, stub.StartContainer(&sctx, sreq, &sresp))) return false;
  times->start_ms = MillisSince(started);
  times->total_ms = MillisSince(start);
  return true;
}

bool StopAndRemoveContainer(RuntimeService::Stub& stub, const std::string& id, double* stop_ms, double* rm_ms) {
  runtime::v1::StopContainerRequest sreq;
  sreq.set_container_id(id);
  sreq.set_timeout(0);
  runtime::v1::StopContainerResponse sresp;
  grpc::ClientContext sctx;
  SetDeadline(sctx);
  auto start = std::chrono::steady_clock::now();
  if (!Check("StopContainer", id, stub.StopContainer(&sctx, sreq, &sresp))) return false;
  *stop_ms = MillisSince(start);
  runtime::v1::RemoveContainerRequest rreq;
  rreq.set_container_id(id);
  runtime::v1::RemoveContainerResponse rresp;
  grpc::ClientContext rctx;
  SetDeadline(rctx);
  start = std::chrono::steady_clock::now();
  if (!Check("RemoveContainer", id, stub.RemoveContainer(&rctx, rreq, &rresp))) return false;
  *rm_ms = MillisSince(start);
  return true;
}

bool RemovePods(RuntimeService::Stub& stub, const std::vector<ReadyPod>& pods) {
  bool ok = true;
  for (const ReadyPod& pod : pods) {
    if (!pod.id.empty()) ok = StopAndRemove(stub, pod.id, nullptr, nullptr) && ok;
    std::error_code ec;
    fs::remove_all(pod.log_dir, ec);
  }
  return ok;
}

void PrintStats(const char* what, const std::vector<double>& ms, const std::string& extra) {
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf("%s n=%zu p50_ms=%.2f p99_ms=%.2f mean_ms=%.2f%s ms=%s\n", what, sorted.size(), Percentile(sorted, 50),
              Percentile(sorted, 99), Mean(sorted), extra.c_str(), Join(ms).c_str());
}

bool PodWithContainer(RuntimeService::Stub& stub, const ContainerOptions& opt, std::vector<ReadyPod>* pods,
                      std::string* ctr, const std::vector<std::string>& cmd) {
  pods->emplace_back();
  CtrTimes times;
  return RunPod(stub, opt.pod, 0, &pods->back()) &&
         CreateAndStart(stub, pods->back(), opt.image, opt.pod.name_prefix + "-sleep", ctr, &times, cmd);
}

int Ctr(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods;
  std::vector<std::string> ids;
  std::vector<double> run_ms, create_ms, start_ms, stop_ms, rm_ms;
  bool ok = true;
  for (int p = 0; p < opt.pods && ok; ++p) {
    pods.emplace_back();
    ok = RunPod(*stub, opt.pod, p, &pods.back());
  }
  for (int i = 0; ok && i < opt.pods * opt.per_pod; ++i) {
    // Round-robin over the pods, so each pod's n-th container comes at the same point.
    const ReadyPod& pod = pods[static_cast<size_t>(i % opt.pods)];
    std::string id, name = "c";
    name += std::to_string(i);  // not "c" + ...: GCC 12's -Wrestrict false positive at -O2
    CtrTimes t;
    ok = CreateAndStart(*stub, pod, opt.image, name, &id, &t);
    if (!id.empty()) ids.push_back(id);
    if (ok) {
      run_ms.push_back(t.total_ms);
      create_ms.push_back(t.create_ms);
      start_ms.push_back(t.start_ms);
    }
  }
  for (const std::string& id : ids) {
    double stop = 0, rm = 0;
    if (StopAndRemoveContainer(*stub, id, &stop, &rm)) {
      stop_ms.push_back(stop);
      rm_ms.push_back(rm);
    } else {
      ok = false;
    }
  }
  ok = RemovePods(*stub, pods) && ok;
  if (!ok || run_ms.empty()) return 1;
  char means[96];
  std::snprintf(means, sizeof means, " stop_mean_ms=%.2f rm_mean_ms=%.2f", Mean(stop_ms), Mean(rm_ms));
  const std::string extra = means + (" create_ms=" + Join(create_ms)) + " start_ms=" + Join(start_ms) +
                            " stop_ms=" + Join(stop_ms) + " rm_ms=" + Join(rm_ms);
  PrintStats("ctr", run_ms, extra);
  return 0;
}

int Exec(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods;
  std::string ctr;
  bool ok = PodWithContainer(*stub, opt, &pods, &ctr);
  std::vector<double> exec_ms;
  for (int i = 0; ok && i < opt.per_pod; ++i) {
    runtime::v1::ExecSyncRequest req;
    req.set_container_id(ctr);
    req.add_cmd("true");
    req.set_timeout(kExecTimeoutSeconds);
    runtime::v1::ExecSyncResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    const auto start = std::chrono::steady_clock::now();
    ok = Check("ExecSync", ctr, stub->ExecSync(&ctx, req, &resp));
    const double ms = MillisSince(start);
    if (ok && resp.exit_code() != 0) {
      std::fprintf(stderr, "berth-cri-bench: ExecSync %s: `true` exited %d: %s\n", ctr.c_str(), resp.exit_code(),
                   resp.stderr().c_str());
      ok = false;
    }
    if (ok) exec_ms.push_back(ms);
  }
  ok = RemovePods(*stub, pods) && ok;
  if (!ok || exec_ms.empty()) return 1;
  PrintStats("exec", exec_ms, "");
  return 0;
}

int Idle(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods;
  std::string ctr;
  if (!PodWithContainer(*stub, opt, &pods, &ctr)) {
    RemovePods(*stub, pods);
    return 1;
  }
  std::printf("idle %s %s\n", pods.back().id.c_str(), ctr.c_str());
  return 0;
}

}  // namespace berth::bench
