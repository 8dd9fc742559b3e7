#include "tests/bench/pod_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "cri/cri_grpc.h"

namespace berth::bench {
namespace {

namespace fs = std::filesystem;
using runtime::v1::RuntimeService;

constexpr auto kRpcTimeout = std::chrono::minutes(4);  // as kubelet's runtime-request-timeout (2m), with margin
constexpr const char* kLabel = "io.berth.bench";       // marks our pods, so Rmp finds them and nothing else
constexpr const char* kNamespace = "berth-bench";

struct Pod {
  std::string id;
  std::string log_dir;
};

}  // namespace

// Shared with container_bench.cc (declared in pod_bench.h).
void SetDeadline(grpc::ClientContext& ctx) { ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout); }

bool Check(const char* rpc, const std::string& what, const grpc::Status& s) {
  if (s.ok()) return true;
  std::fprintf(stderr, "berth-cri-bench: %s %s: code %d: %s\n", rpc, what.c_str(), static_cast<int>(s.error_code()),
               s.error_message().c_str());
  return false;
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// A random RFC 4122 version-4 UUID, as the API server gives pods.
std::string NewUid() {
  static std::mutex mu;  // podstart's client threads share the generator
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = 0, lo = 0;
  {
    std::lock_guard lock(mu);
    hi = rng();
    lo = rng();
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xfff),
                static_cast<unsigned>(0x8000 | (lo >> 48 & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

// The sandbox config kubelet would send for a best-effort pod without host
// namespaces, on a node with the cgroupfs driver.
runtime::v1::RunPodSandboxRequest PodRequest(const RunpOptions& opt, int n, const std::string& uid,
                                             const std::string& log_dir) {
  runtime::v1::RunPodSandboxRequest req;
  auto* c = req.mutable_config();
  const std::string name = opt.name_prefix + "-" + std::to_string(n);
  c->mutable_metadata()->set_name(name);
  c->mutable_metadata()->set_uid(uid);
  c->mutable_metadata()->set_namespace_(kNamespace);
  c->mutable_metadata()->set_attempt(0);
  c->set_hostname(name);
  c->set_log_directory(log_dir);
  (*c->mutable_labels())[kLabel] = "true";
  (*c->mutable_labels())["io.kubernetes.pod.name"] = name;
  (*c->mutable_labels())["io.kubernetes.pod.namespace"] = kNamespace;
  (*c->mutable_labels())["io.kubernetes.pod.uid"] = uid;
  (*c->mutable_annotations())["kubernetes.io/config.source"] = "api";
  auto* linux = c->mutable_linux();
  linux->set_cgroup_parent(opt.cgroup_root + "/besteffort/pod" + uid);
  auto* ns = linux->mutable_security_context()->mutable_namespace_options();
  ns->set_network(runtime::v1::POD);
  ns->set_pid(runtime::v1::CONTAINER);
  ns->set_ipc(runtime::v1::POD);
  return req;
}

// Nearest-rank percentile of sorted samples (p99 of 50 samples is the largest).
double Percentile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Stops and removes one pod; false (and a message) if either RPC failed.
bool StopAndRemove(RuntimeService::Stub& stub, const std::string& id, double* stop_ms, double* rm_ms) {
  runtime::v1::StopPodSandboxRequest sreq;
  sreq.set_pod_sandbox_id(id);
  runtime::v1::StopPodSandboxResponse sresp;
  grpc::ClientContext sctx;
  SetDeadline(sctx);
  auto start = std::chrono::steady_clock::now();
  if (!Check("StopPodSandbox", id, stub.StopPodSandbox(&sctx, sreq, &sresp))) return false;
  if (stop_ms != nullptr) *stop_ms = MillisSince(start);

  runtime::v1::RemovePodSandboxRequest rreq;
  rreq.set_pod_sandbox_id(id);
  runtime::v1::RemovePodSandboxResponse rresp;
  grpc::ClientContext rctx;
  SetDeadline(rctx);
  start = std::chrono::steady_clock::now();
  if (!Check("RemovePodSandbox", id, stub.RemovePodSandbox(&rctx, rreq, &rresp))) return false;
  if (rm_ms != nullptr) *rm_ms = MillisSince(start);
  return true;
}

// Connects before anything is timed (the channel connects lazily).
bool Connected(RuntimeService::Stub& stub) {
  runtime::v1::VersionRequest req;
  runtime::v1::VersionResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return Check("Version", "", stub.Version(&ctx, req, &resp));
}

std::string Join(const std::vector<double>& v) {
  std::string out;
  char buf[32];
  for (double x : v) {
    std::snprintf(buf, sizeof buf, "%s%.2f", out.empty() ? "" : ",", x);
    out += buf;
  }
  return out;
}

int Runp(std::shared_ptr<grpc::Channel> channel, const RunpOptions& opt) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<Pod> pods;
  std::vector<double> run_ms, stop_ms, rm_ms;
  bool ok = true;
  const bool timeline = std::getenv("BERTH_BENCH_TIMELINE") != nullptr;
  for (int n = 0; n < opt.count && ok; ++n) {
    const std::string uid = NewUid();
    Pod pod{"", opt.log_root + "/" + kNamespace + "_" + opt.name_prefix + "-" + std::to_string(n) + "_" + uid};
    // kubelet makes the log directory before it asks for the sandbox.
    std::error_code ec;
    fs::create_directories(pod.log_dir, ec);
    if (ec) {
      std::fprintf(stderr, "berth-cri-bench: mkdir %s: %s\n", pod.log_dir.c_str(), ec.message().c_str());
      ok = false;
      break;
    }
    const auto req = PodRequest(opt, n, uid, pod.log_dir);
    runtime::v1::RunPodSandboxResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status s = stub->RunPodSandbox(&ctx, req, &resp);
    const double ms = MillisSince(start);
    ok = Check("RunPodSandbox", req.config().metadata().name(), s);
    if (timeline) {  // CLOCK_MONOTONIC seconds, to line up with `perf record -k CLOCK_MONOTONIC`
      const auto secs = [](auto t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); };
      std::fprintf(stderr, "timeline %s %.6f %.6f\n", req.config().metadata().name().c_str(), secs(start),
                   secs(start) + ms / 1000);
    }
    if (ok) {
      run_ms.push_back(ms);
      pod.id = resp.pod_sandbox_id();
    }
    pods.push_back(std::move(pod));
  }
  for (const Pod& pod : pods) {
    double stop = 0, rm = 0;
    if (!pod.id.empty()) {
      if (StopAndRemove(*stub, pod.id, &stop, &rm)) {
        stop_ms.push_back(stop);
        rm_ms.push_back(rm);
      } else {
        ok = false;
      }
    }
    std::error_code ec;
    fs::remove_all(pod.log_dir, ec);
  }
  if (!ok || run_ms.empty()) return 1;
  std::vector<double> sorted = run_ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "runp n=%zu run_p50_ms=%.2f run_p99_ms=%.2f run_mean_ms=%.2f stop_mean_ms=%.2f rm_mean_ms=%.2f run_ms=%s stop_ms=%s "
      "rm_ms=%s\n",
      sorted.size(), Percentile(sorted, 50), Percentile(sorted, 99), Mean(sorted), Mean(stop_ms), Mean(rm_ms),
      Join(run_ms).c_str(), Join(stop_ms).c_str(), Join(rm_ms).c_str());
  return 0;
}

int Rmp(std::shared_ptr<grpc::Channel> channel, bool all) {
  auto stub = RuntimeService::NewStub(channel);
  runtime::v1::ListPodSandboxRequest req;
  if (!all) (*req.mutable_filter()->mutable_label_selector())[kLabel] = "true";
  runtime::v1::ListPodSandboxResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  if (!Check("ListPodSandbox", "", stub->ListPodSandbox(&ctx, req, &resp))) return 1;
  int removed = 0;
  bool ok = true;
  for (const auto& pod : resp.items()) {
    if (StopAndRemove(*stub, pod.id(), nullptr, nullptr)) {
      ++removed;
    } else {
      ok = false;
    }
  }
  std::printf("rmp removed %d\n", removed);
  return ok ? 0 : 1;
}

}  // namespace berth::bench
