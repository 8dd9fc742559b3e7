#include "tests/bench/node_bench.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cri/cri_grpc.h"

namespace berth::bench {
namespace {

using runtime::v1::RuntimeService;

// Runs fn(0..n-1) on `threads` threads, each taking the next index until all
// are taken or one fn answers false; false if any did.
bool ForEachParallel(int n, int threads, const std::function<bool(int)>& fn) {
  std::atomic<int> next{0};
  std::atomic<bool> ok{true};
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < std::max(1, std::min(threads, n)); ++t) {
      workers.emplace_back([&] {
        for (int i = next++; i < n && ok; i = next++) {
          if (!fn(i)) ok = false;
        }
      });
    }
  }  // jthreads join here
  return ok;
}

// Stops and removes the pods from `threads` clients at once (untimed clean-up).
bool RemovePodsParallel(RuntimeService::Stub& stub, const std::vector<ReadyPod>& pods, int threads) {
  return ForEachParallel(static_cast<int>(pods.size()), threads,
                         [&](int i) { return RemovePods(stub, {pods[static_cast<size_t>(i)]}); });
}

// One unary list RPC without a filter; how many items it answered, -1 on failure.
template <typename Req, typename Resp>
int Listed(RuntimeService::Stub& stub, const char* rpc,
           grpc::Status (RuntimeService::Stub::*call)(grpc::ClientContext*, const Req&, Resp*),
           int (Resp::*size)() const) {
  Resp resp;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  if (!Check(rpc, "", (stub.*call)(&ctx, Req{}, &resp))) return -1;
  return (resp.*size)();
}

struct ListCall {
  const char* key;  // the output's "<key>_ms="
  std::function<int(RuntimeService::Stub&)> call;
  int want;  // the fewest items it must list
  std::vector<double> ms;
  int got = 0;
};

// Times each call once; false (and a message) if one fails or lists too few.
bool TimeCalls(RuntimeService::Stub& stub, std::vector<ListCall>* calls) {
  for (ListCall& c : *calls) {
    const auto start = std::chrono::steady_clock::now();
    c.got = c.call(stub);
    c.ms.push_back(MillisSince(start));
    if (c.got < 0) return false;
    if (c.got < c.want) {
      std::fprintf(stderr, "berth-cri-bench: %s listed %d, not %d\n", c.key, c.got, c.want);
      return false;
    }
  }
  return true;
}

// A list call for TimeCalls: rpc through `call`, counting the answer with `size`.
template <typename Req, typename Resp>
ListCall Call(const char* key, const char* rpc,
              grpc::Status (RuntimeService::Stub::*call)(grpc::ClientContext*, const Req&, Resp*),
              int (Resp::*size)() const, int want) {
  return {key, [=](RuntimeService::Stub& s) { return Listed(s, rpc, call, size); }, want, {}};
}

ListCall ContainersCall(int want) {
  return Call("lc", "ListContainers", &RuntimeService::Stub::ListContainers,
              &runtime::v1::ListContainersResponse::containers_size, want);
}
ListCall PodsCall(int want) {
  return Call("lp", "ListPodSandbox", &RuntimeService::Stub::ListPodSandbox,
              &runtime::v1::ListPodSandboxResponse::items_size, want);
}
ListCall ContainerStatsCall(int want) {
  return Call("lcs", "ListContainerStats", &RuntimeService::Stub::ListContainerStats,
              &runtime::v1::ListContainerStatsResponse::stats_size, want);
}
ListCall PodStatsCall(int want) {
  return Call("lps", "ListPodSandboxStats", &RuntimeService::Stub::ListPodSandboxStats,
              &runtime::v1::ListPodSandboxStatsResponse::stats_size, want);
}

double P(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return Percentile(v, p);
}

}  // namespace

bool MakePods(RuntimeService::Stub& stub, const ContainerOptions& opt, int threads, std::vector<ReadyPod>* pods) {
  pods->assign(static_cast<size_t>(opt.pods), ReadyPod{});
  return ForEachParallel(opt.pods, threads, [&](int p) {
    ReadyPod& pod = (*pods)[static_cast<size_t>(p)];
    if (!RunPod(stub, opt.pod, p, &pod)) return false;
    for (int c = 0; c < opt.per_pod; ++c) {
      std::string id, name = "c";
      name += std::to_string(c);  // not "c" + ...: GCC 12's -Wrestrict false positive at -O2
      CtrTimes t;
      if (!CreateAndStart(stub, pod, opt.image, name, &id, &t)) return false;
    }
    return true;
  });
}

double CpuMs(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  // Fields after the parenthesised command (which may hold spaces): state is
  // field 3, utime 14 and stime 15, in clock ticks.
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(paren + 1));
  std::string field;
  double ticks = 0;
  for (int n = 3; n <= 15 && rest >> field; ++n) {
    if (n >= 14) ticks += std::stod(field);
  }
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int PodStart(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int threads, int daemon_pid) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods(static_cast<size_t>(opt.pods));
  std::vector<double> ms(static_cast<size_t>(opt.pods));
  const double cpu_before = daemon_pid > 0 ? CpuMs(daemon_pid) : -1;
  const auto wall_start = std::chrono::steady_clock::now();
  bool ok = ForEachParallel(opt.pods, threads, [&](int p) {
    const auto i = static_cast<size_t>(p);
    const auto start = std::chrono::steady_clock::now();
    std::string id;
    CtrTimes t;
    if (!RunPod(*stub, opt.pod, p, &pods[i]) || !CreateAndStart(*stub, pods[i], opt.image, "c0", &id, &t)) {
      return false;
    }
    ms[i] = MillisSince(start);
    return true;
  });
  const double wall_ms = MillisSince(wall_start);
  const double cpu_after = daemon_pid > 0 ? CpuMs(daemon_pid) : -1;
  ok = RemovePodsParallel(*stub, pods, threads) && ok;
  if (!ok) return 1;
  const double cpu_ms = cpu_before < 0 || cpu_after < 0 ? -1 : cpu_after - cpu_before;
  std::printf("podstart n=%zu parallel=%d wall_ms=%.2f p50_ms=%.2f p99_ms=%.2f mean_ms=%.2f cpu_ms=%.0f ms=%s\n",
              ms.size(), threads, wall_ms, P(ms, 50), P(ms, 99), Mean(ms), cpu_ms, Join(ms).c_str());
  return 0;
}

int Fill(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int threads) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods;
  const auto start = std::chrono::steady_clock::now();
  if (!MakePods(*stub, opt, threads, &pods)) return 1;  // what was made stays for rmp
  std::printf("fill pods=%d containers=%d wall_ms=%.0f\n", opt.pods, opt.pods * opt.per_pod, MillisSince(start));
  return 0;
}

int List(std::shared_ptr<grpc::Channel> channel, int calls, int stats_calls, int containers, int pods) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ListCall> list{ContainersCall(containers), PodsCall(pods)};
  std::vector<ListCall> stats{ContainerStatsCall(containers), PodStatsCall(pods)};
  for (int i = 0; i < calls; ++i) {
    if (!TimeCalls(*stub, &list)) return 1;
  }
  for (int i = 0; i < stats_calls; ++i) {
    if (!TimeCalls(*stub, &stats)) return 1;
  }
  std::printf("list n=%d containers=%d pods=%d", calls, list[0].got, list[1].got);
  for (const auto* group : {&list, &stats}) {
    for (const ListCall& c : *group) std::printf(" %s_ms=%s", c.key, Join(c.ms).c_str());
  }
  std::printf("\n");
  return 0;
}

int Stats(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int samples) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods;
  const int want = opt.pods * opt.per_pod;
  bool ok = MakePods(*stub, opt, 1, &pods);
  std::vector<ListCall> list{ContainerStatsCall(want), PodStatsCall(opt.pods)};
  for (int i = 0; ok && i < samples; ++i) ok = TimeCalls(*stub, &list);
  ok = RemovePods(*stub, pods) && ok;
  if (!ok) return 1;
  const auto& lcs = list[0].ms;
  const auto& lps = list[1].ms;
  std::printf("stats n=%zu containers=%d lcs_p50_ms=%.3f lcs_p99_ms=%.3f lps_p50_ms=%.3f lps_p99_ms=%.3f lcs_ms=%s lps_ms=%s\n",
              lcs.size(), want, P(lcs, 50), P(lcs, 99), P(lps, 50), P(lps, 99), Join(lcs).c_str(), Join(lps).c_str());
  return 0;
}

}  // namespace berth::bench
