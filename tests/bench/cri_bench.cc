// berth-cri-bench: a minimal CRI client for the hack/ benchmarks, so they need
// no crictl. It times one RPC with steady_clock and prints the result:
//   berth-cri-bench pull SOCKET IMAGE     -> "<ms> <image_ref>"
//   berth-cri-bench rmi SOCKET IMAGE      -> "<ms> removed <image>"
//   berth-cri-bench version SOCKET        -> "<runtime_name> <runtime_version> <runtime_api_version>"
//   berth-cri-bench ps SOCKET             -> "pod <id> <READY|NOTREADY> <namespace>/<name> <attempt>" per
//                                            pod, then "ctr <id> <state> <pod id> <name> <attempt> <pid>"
//                                            per container (pid from the verbose status; 0 if none)
//   berth-cri-bench runp SOCKET COUNT LOG_ROOT CGROUP_ROOT NAME_PREFIX
//                                         -> "runp n=.. run_p50_ms=.. ..." (see pod_bench.h)
//   berth-cri-bench rmp SOCKET [all]      -> "rmp removed <n>" (every pod runp made; with all, every pod)
//   berth-cri-bench ctr SOCKET PODS PER_POD LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE
//   berth-cri-bench exec SOCKET COUNT LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE
//   berth-cri-bench idle SOCKET LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE
//                                         -> see container_bench.h
//   berth-cri-bench podstart SOCKET COUNT PARALLEL LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE [DAEMON_PID]
//   berth-cri-bench fill SOCKET PODS PER_POD PARALLEL LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE
//   berth-cri-bench list SOCKET CALLS STATS_CALLS CONTAINERS PODS
//   berth-cri-bench stats SOCKET PODS PER_POD SAMPLES LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE
//                                         -> see node_bench.h
//   berth-cri-bench stream-exec SOCKET COUNT LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE
//   berth-cri-bench port-forward SOCKET COUNT MIB LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE
//                                         -> see stream_bench.h
// SOCKET is a path or a unix:// URL. Exit status: 0 on success, 1 when the
// RPC fails (its gRPC code and message on stderr), 2 on bad usage.
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "cri/cri_grpc.h"
#include "tests/bench/container_bench.h"
#include "tests/bench/node_bench.h"
#include "tests/bench/pod_bench.h"
#include "tests/bench/stream_bench.h"

namespace {

constexpr auto kRpcTimeout = std::chrono::minutes(30);  // a slow pull is a result, not a hang

int Usage() {
  std::fprintf(stderr,
               "usage: berth-cri-bench pull SOCKET IMAGE\n"
               "       berth-cri-bench rmi SOCKET IMAGE\n"
               "       berth-cri-bench version SOCKET\n"
               "       berth-cri-bench ps SOCKET\n"
               "       berth-cri-bench runp SOCKET COUNT LOG_ROOT CGROUP_ROOT NAME_PREFIX\n"
               "       berth-cri-bench rmp SOCKET [all]\n"
               "       berth-cri-bench ctr SOCKET PODS PER_POD LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE\n"
               "       berth-cri-bench exec SOCKET COUNT LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE\n"
               "       berth-cri-bench idle SOCKET LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE\n"
               "       berth-cri-bench stats SOCKET PODS PER_POD SAMPLES LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE\n"
               "       berth-cri-bench podstart SOCKET COUNT PARALLEL LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE [DAEMON_PID]\n"
               "       berth-cri-bench fill SOCKET PODS PER_POD PARALLEL LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE\n"
               "       berth-cri-bench list SOCKET CALLS STATS_CALLS CONTAINERS PODS\n"
               "       berth-cri-bench stream-exec SOCKET COUNT LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE\n"
               "       berth-cri-bench port-forward SOCKET COUNT MIB LOG_ROOT CGROUP_ROOT NAME_PREFIX IMAGE\n");
  return 2;
}

std::shared_ptr<grpc::Channel> Connect(std::string_view socket) {
  std::string target(socket);
  if (!target.starts_with("unix:")) target = "unix://" + target;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

void SetDeadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
}

int Failed(const char* rpc, const grpc::Status& s) {
  std::fprintf(stderr, "berth-cri-bench: %s: code %d: %s\n", rpc, static_cast<int>(s.error_code()),
               s.error_message().c_str());
  return 1;
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

int Pull(std::string_view socket, const std::string& image) {
  auto stub = runtime::v1::ImageService::NewStub(Connect(socket));
  runtime::v1::PullImageRequest req;
  req.mutable_image()->set_image(image);
  runtime::v1::PullImageResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  const auto start = std::chrono::steady_clock::now();
  const grpc::Status s = stub->PullImage(&ctx, req, &resp);
  const double ms = MillisSince(start);
  if (!s.ok()) return Failed("PullImage", s);
  std::printf("%.1f %s\n", ms, resp.image_ref().c_str());
  return 0;
}

int Remove(std::string_view socket, const std::string& image) {
  auto stub = runtime::v1::ImageService::NewStub(Connect(socket));
  runtime::v1::RemoveImageRequest req;
  req.mutable_image()->set_image(image);
  runtime::v1::RemoveImageResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  const auto start = std::chrono::steady_clock::now();
  const grpc::Status s = stub->RemoveImage(&ctx, req, &resp);
  const double ms = MillisSince(start);
  if (!s.ok()) return Failed("RemoveImage", s);
  std::printf("%.1f removed %s\n", ms, image.c_str());
  return 0;
}

int Version(std::string_view socket) {
  auto stub = runtime::v1::RuntimeService::NewStub(Connect(socket));
  runtime::v1::VersionRequest req;
  runtime::v1::VersionResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const grpc::Status s = stub->Version(&ctx, req, &resp);
  if (!s.ok()) return Failed("Version", s);
  std::printf("%s %s %s\n", resp.runtime_name().c_str(), resp.runtime_version().c_str(),
              resp.runtime_api_version().c_str());
  return 0;
}

// The pid a container's verbose status names (0 when it has none).
long VerbosePid(const runtime::v1::ContainerStatusResponse& resp) {
  auto it = resp.info().find("info");
  if (it == resp.info().end()) return 0;
  const auto info = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  return info.is_object() ? info.value("pid", 0L) : 0;
}

int Ps(std::string_view socket) {
  auto stub = runtime::v1::RuntimeService::NewStub(Connect(socket));
  runtime::v1::ListPodSandboxResponse pods;
  grpc::ClientContext pctx;
  SetDeadline(pctx);
  if (auto s = stub->ListPodSandbox(&pctx, {}, &pods); !s.ok()) return Failed("ListPodSandbox", s);
  for (const auto& p : pods.items()) {
    std::printf("pod %s %s %s/%s %u\n", p.id().c_str(), p.state() == runtime::v1::SANDBOX_READY ? "READY" : "NOTREADY",
                p.metadata().namespace_().c_str(), p.metadata().name().c_str(), p.metadata().attempt());
  }
  runtime::v1::ListContainersResponse ctrs;
  grpc::ClientContext cctx;
  SetDeadline(cctx);
  if (auto s = stub->ListContainers(&cctx, {}, &ctrs); !s.ok()) return Failed("ListContainers", s);
  for (const auto& c : ctrs.containers()) {
    runtime::v1::ContainerStatusRequest req;
    req.set_container_id(c.id());
    req.set_verbose(true);
    runtime::v1::ContainerStatusResponse st;
    grpc::ClientContext sctx;
    SetDeadline(sctx);
    const long pid = stub->ContainerStatus(&sctx, req, &st).ok() ? VerbosePid(st) : 0;
    std::printf("ctr %s %s %s %s %u %ld\n", c.id().c_str(), runtime::v1::ContainerState_Name(c.state()).c_str(),
                c.pod_sandbox_id().c_str(), c.metadata().name().c_str(), c.metadata().attempt(), pid);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string_view cmd = argv[1];
  if (cmd == "pull" && argc == 4) return Pull(argv[2], argv[3]);
  if (cmd == "rmi" && argc == 4) return Remove(argv[2], argv[3]);
  if (cmd == "version" && argc == 3) return Version(argv[2]);
  if (cmd == "ps" && argc == 3) return Ps(argv[2]);
  if (cmd == "rmp" && argc == 3) return berth::bench::Rmp(Connect(argv[2]));
  if (cmd == "rmp" && argc == 4 && std::string_view(argv[3]) == "all") return berth::bench::Rmp(Connect(argv[2]), true);
  if (cmd == "runp" && argc == 7) {
    berth::bench::RunpOptions opt{argv[2], std::atoi(argv[3]), argv[4], argv[5], argv[6]};
    if (opt.count <= 0) return Usage();
    return berth::bench::Runp(Connect(opt.socket), opt);
  }
  if (cmd == "ctr" && argc == 9) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[5], argv[6], argv[7]}, argv[8], std::atoi(argv[3]),
                                       std::atoi(argv[4])};
    if (opt.pods <= 0 || opt.per_pod <= 0) return Usage();
    return berth::bench::Ctr(Connect(argv[2]), opt);
  }
  if (cmd == "exec" && argc == 8) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[4], argv[5], argv[6]}, argv[7], 1, std::atoi(argv[3])};
    if (opt.per_pod <= 0) return Usage();
    return berth::bench::Exec(Connect(argv[2]), opt);
  }
  if (cmd == "stream-exec" && argc == 8) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[4], argv[5], argv[6]}, argv[7], 1, std::atoi(argv[3])};
    if (opt.per_pod <= 0) return Usage();
    return berth::bench::StreamExec(Connect(argv[2]), opt);
  }
  if (cmd == "port-forward" && argc == 9) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[5], argv[6], argv[7]}, argv[8], 1, std::atoi(argv[3])};
    const int mib = std::atoi(argv[4]);
    if (opt.per_pod <= 0 || mib <= 0) return Usage();
    return berth::bench::PortForward(Connect(argv[2]), opt, mib);
  }
  if (cmd == "stats" && argc == 10) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[6], argv[7], argv[8]}, argv[9], std::atoi(argv[3]),
                                       std::atoi(argv[4])};
    const int samples = std::atoi(argv[5]);
    if (opt.pods <= 0 || opt.per_pod <= 0 || samples <= 0) return Usage();
    return berth::bench::Stats(Connect(argv[2]), opt, samples);
  }
  if (cmd == "podstart" && (argc == 9 || argc == 10)) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[5], argv[6], argv[7]}, argv[8], std::atoi(argv[3]), 1};
    const int parallel = std::atoi(argv[4]);
    const int pid = argc == 10 ? std::atoi(argv[9]) : 0;
    if (opt.pods <= 0 || parallel <= 0 || pid < 0) return Usage();
    return berth::bench::PodStart(Connect(argv[2]), opt, parallel, pid);
  }
  if (cmd == "fill" && argc == 10) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[6], argv[7], argv[8]}, argv[9], std::atoi(argv[3]),
                                       std::atoi(argv[4])};
    const int parallel = std::atoi(argv[5]);
    if (opt.pods <= 0 || opt.per_pod < 0 || parallel <= 0) return Usage();
    return berth::bench::Fill(Connect(argv[2]), opt, parallel);
  }
  if (cmd == "list" && argc == 7) {
    const int calls = std::atoi(argv[3]), stats_calls = std::atoi(argv[4]);
    const int containers = std::atoi(argv[5]), pods = std::atoi(argv[6]);
    if (calls < 0 || stats_calls < 0 || calls + stats_calls == 0 || containers < 0 || pods < 0) return Usage();
    return berth::bench::List(Connect(argv[2]), calls, stats_calls, containers, pods);
  }
  if (cmd == "idle" && argc == 7) {
    berth::bench::ContainerOptions opt{{argv[2], 0, argv[3], argv[4], argv[5]}, argv[6], 1, 1};
    return berth::bench::Idle(Connect(argv[2]), opt);
  }
  return Usage();
}
