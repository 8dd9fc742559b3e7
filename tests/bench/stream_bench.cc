#include "tests/bench/stream_bench.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <future>
#include <thread>

#include "cri/cri_grpc.h"
#include "tests/support/spdy_client.h"

namespace berth::bench {
namespace {

using runtime::v1::RuntimeService;
const std::vector<std::string> kRemoteCommand{"v4.channel.k8s.io"};

bool ExecTrue(RuntimeService::Stub& stub, const std::string& ctr) {
  runtime::v1::ExecRequest req;
  req.set_container_id(ctr);
  req.add_cmd("true");
  req.set_stdout(true);
  req.set_stderr(true);
  runtime::v1::ExecResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  if (!Check("Exec", ctr, stub.Exec(&ctx, req, &resp))) return false;
  testing::SpdyClient c;
  if (const int code = c.Connect(resp.url(), kRemoteCommand); code != 101) {
    std::fprintf(stderr, "berth-cri-bench: %s answered %d: %s\n", resp.url().c_str(), code, c.response().c_str());
    return false;
  }
  auto error = c.OpenChannel("error");
  auto out = c.OpenChannel("stdout");
  auto err = c.OpenChannel("stderr");
  auto drain = std::async(std::launch::async, [&] { return testing::ReadAll(*out) + testing::ReadAll(*err); });
  const std::string status = testing::ReadAll(*error);
  drain.get();
  c.Close();
  // As kubectl reads it: nothing on the error stream is success too (containerd sends none).
  const auto j = nlohmann::json::parse(status, nullptr, false);
  if (!status.empty() && (!j.is_object() || j.value("status", "") != "Success")) {
    std::fprintf(stderr, "berth-cri-bench: exec `true` ended with %s\n", status.c_str());
    return false;
  }
  return true;
}

// Reads one forwarded connection to its end; its bytes, or -1 on failure.
long long ReadForwarded(testing::SpdyClient& c, int request) {
  const std::string id = std::to_string(request);
  auto error = c.Open({{"streamtype", "error"}, {"port", "9000"}, {"requestid", id}});
  auto data = c.Open({{"streamtype", "data"}, {"port", "9000"}, {"requestid", id}});
  long long bytes = 0;
  std::string chunk;
  while (data->Read(chunk)) bytes += static_cast<long long>(chunk.size());
  const std::string why = testing::ReadAll(*error);
  if (!why.empty()) {
    std::fprintf(stderr, "berth-cri-bench: port-forward: %s\n", why.c_str());
    return -1;
  }
  return bytes;
}

}  // namespace

int StreamExec(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods;
  std::string ctr;
  bool ok = PodWithContainer(*stub, opt, &pods, &ctr);
  std::vector<double> ms;
  for (int i = 0; ok && i < opt.per_pod; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ok = ExecTrue(*stub, ctr);
    if (ok) ms.push_back(MillisSince(start));
  }
  ok = RemovePods(*stub, pods) && ok;
  if (!ok || ms.empty()) return 1;
  PrintStats("stream_exec", ms, "");
  return 0;
}

int PortForward(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int mib) {
  auto stub = RuntimeService::NewStub(channel);
  if (!Connected(*stub)) return 1;
  std::vector<ReadyPod> pods;
  std::string ctr;
  const std::string serve = "dd if=/dev/zero bs=1048576 count=" + std::to_string(mib) + " 2>/dev/null";
  bool ok = PodWithContainer(*stub, opt, &pods, &ctr, {"nc", "-ll", "-p", "9000", "-e", "sh", "-c", serve});
  std::vector<double> mbps;
  if (ok) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nc listening
    runtime::v1::PortForwardRequest req;
    req.set_pod_sandbox_id(pods.back().id);
    req.add_port(9000);
    runtime::v1::PortForwardResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    ok = Check("PortForward", pods.back().id, stub->PortForward(&ctx, req, &resp));
    testing::SpdyClient c;
    if (ok && c.Connect(resp.url(), {"portforward.k8s.io"}) != 101) {
      std::fprintf(stderr, "berth-cri-bench: %s: %s\n", resp.url().c_str(), c.response().c_str());
      ok = false;
    }
    const long long want = static_cast<long long>(mib) << 20;
    for (int i = 0; ok && i < opt.per_pod; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const long long got = ReadForwarded(c, i);
      const double seconds = MillisSince(start) / 1000;
      if (got < want) {
        std::fprintf(stderr, "berth-cri-bench: port-forward read %lld of %lld bytes\n", got, want);
        ok = false;
      } else {
        mbps.push_back(static_cast<double>(got) / 1e6 / seconds);
      }
    }
    c.Close();
  }
  ok = RemovePods(*stub, pods) && ok;
  if (!ok || mbps.empty()) return 1;
  std::vector<double> sorted = mbps;
  std::sort(sorted.begin(), sorted.end());
  std::printf("port_forward n=%zu mib=%d p50_mbps=%.1f mean_mbps=%.1f mbps=%s\n", sorted.size(), mib,
              Percentile(sorted, 50), Mean(sorted), Join(mbps).c_str());
  return 0;
}

}  // namespace berth::bench
