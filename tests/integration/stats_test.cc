// Stats, metrics and events end to end: what the CRI reports matches what
// the containers do (burn a core, allocate memory, write files, ping a
// neighbour), and the event stream and /metrics say what happened.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <mutex>
#include <regex>
#include <thread>

#include "pod/cgroup_stats.h"
#include "tests/integration/container_fixture.h"

namespace berth::testing {
namespace {

using runtime::v1::ContainerEventResponse;

class StatsTest : public ContainerFixture {
 protected:
  void Boot(int n, const std::string& extra_yaml = "") { StartBerthd(n, "berthsts", 193, extra_yaml); }

  runtime::v1::ContainerStats CtrStats(const std::string& id) {
    runtime::v1::ContainerStatsRequest req;
    req.set_container_id(id);
    runtime::v1::ContainerStatsResponse resp;
    auto st = berthd_->runtime().ContainerStats(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.stats();
  }

  std::vector<runtime::v1::ContainerStats> ListCtrStats(const runtime::v1::ContainerStatsFilter& f = {}) {
    runtime::v1::ListContainerStatsRequest req;
    *req.mutable_filter() = f;
    runtime::v1::ListContainerStatsResponse resp;
    auto st = berthd_->runtime().ListContainerStats(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return {resp.stats().begin(), resp.stats().end()};
  }

  runtime::v1::PodSandboxStats PodStats(const std::string& id) {
    runtime::v1::PodSandboxStatsRequest req;
    req.set_pod_sandbox_id(id);
    runtime::v1::PodSandboxStatsResponse resp;
    auto st = berthd_->runtime().PodSandboxStats(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.stats();
  }

  // Polls until `pred` holds of a fresh sample (samples are cached for a second).
  bool WaitStats(const std::string& id, const std::function<bool(const runtime::v1::ContainerStats&)>& pred,
                 int seconds = 20) {
    return WaitFor([&] { return pred(CtrStats(id)); }, std::chrono::seconds(seconds));
  }
};

TEST_F(StatsTest, ABusyContainerUsesACore) {
  Boot(1);
  const std::string pod = RunPod("cpu");
  const std::string id = MustRunContainer(CtrRequest(pod, "burn", {"sh", "-c", "while :; do :; done"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto first = CtrStats(id);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const auto second = CtrStats(id);
  ASSERT_TRUE(second.cpu().has_usage_nano_cores()) << second.DebugString();
  const double cores = static_cast<double>(second.cpu().usage_nano_cores().value()) / 1e9;
  // One core, give or take what the other test running beside this one takes.
  EXPECT_GT(cores, 0.4) << second.DebugString();
  EXPECT_LT(cores, 1.3) << second.DebugString();
  EXPECT_GT(second.cpu().usage_core_nano_seconds().value(), first.cpu().usage_core_nano_seconds().value());
  EXPECT_GT(second.cpu().timestamp(), first.cpu().timestamp());
  EXPECT_EQ(second.attributes().id(), id);
  EXPECT_EQ(second.attributes().metadata().name(), "burn");
  EXPECT_EQ(second.attributes().labels().at("test"), "burn");
}

TEST_F(StatsTest, AllocatingFiftyMegabytesGrowsTheWorkingSet) {
  Boot(2);
  const std::string pod = RunPod("mem");
  // tail keeps its last line in memory: 50 MiB of zeros without a newline.
  const std::string id = MustRunContainer(
      CtrRequest(pod, "hog", {"sh", "-c", "sleep 2; (head -c 52428800 /dev/zero; sleep 1000) | tail"}));
  const auto before = CtrStats(id);
  ASSERT_TRUE(before.memory().has_working_set_bytes()) << before.DebugString();
  const uint64_t base = before.memory().working_set_bytes().value();
  EXPECT_TRUE(WaitStats(id, [&](const auto& s) {
    return s.memory().working_set_bytes().value() >= base + (45u << 20);
  })) << CtrStats(id).DebugString();
  const auto after = CtrStats(id);
  EXPECT_LT(after.memory().working_set_bytes().value(), base + (70u << 20)) << after.DebugString();
  EXPECT_GE(after.memory().usage_bytes().value(), after.memory().working_set_bytes().value());
  EXPECT_GT(after.memory().rss_bytes().value(), 40u << 20);
  EXPECT_GT(after.memory().page_faults().value(), 0u);
  EXPECT_FALSE(after.memory().has_available_bytes()) << "no limit: nothing to be available against";
}

TEST_F(StatsTest, WritingAFileGrowsTheWritableLayerAndLimitsGiveAvailableBytes) {
  Boot(3);
  const std::string pod = RunPod("fs");
  auto req = CtrRequest(pod, "writer", {"sleep", "1000"});
  req.mutable_config()->mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(128 << 20);
  const std::string id = MustRunContainer(req);
  const auto before = CtrStats(id);
  EXPECT_EQ(before.writable_layer().fs_id().mountpoint(), layout().ContainerRecords());
  EXPECT_GT(before.memory().available_bytes().value(), 100u << 20);
  runtime::v1::ExecSyncResponse out;
  ASSERT_TRUE(Exec(id, {"dd", "if=/dev/zero", "of=/big", "bs=1M", "count=10"}, 30, &out).ok());
  ASSERT_EQ(out.exit_code(), 0) << out.stderr();
  EXPECT_TRUE(WaitStats(id, [&](const auto& s) {
    return s.writable_layer().used_bytes().value() >= before.writable_layer().used_bytes().value() + (10u << 20);
  })) << CtrStats(id).DebugString();
  EXPECT_GT(CtrStats(id).writable_layer().inodes_used().value(), before.writable_layer().inodes_used().value());
}

TEST_F(StatsTest, APodPingingItsNeighbourShowsTrafficAndItsContainers) {
  Boot(4);
  const std::string a = RunPod("ping-a"), b = RunPod("ping-b");
  const std::string ip_b = PodStatus(b).status().network().ip();
  ASSERT_FALSE(ip_b.empty());
  const std::string pinger = MustRunContainer(CtrRequest(a, "pinger", {"sleep", "1000"}));
  const auto before = PodStats(a);
  ASSERT_TRUE(before.linux().network().has_default_interface()) << before.DebugString();
  EXPECT_EQ(before.linux().network().default_interface().name(), "eth0");
  const uint64_t tx = before.linux().network().default_interface().tx_bytes().value();
  const uint64_t rx = before.linux().network().default_interface().rx_bytes().value();
  runtime::v1::ExecSyncResponse out;
  ASSERT_TRUE(Exec(pinger, {"ping", "-c", "5", "-i", "0.2", "-W", "2", ip_b}, 30, &out).ok());
  ASSERT_EQ(out.exit_code(), 0) << out.stdout() << out.stderr();
  runtime::v1::PodSandboxStats after;
  EXPECT_TRUE(WaitFor([&] {
    after = PodStats(a);
    return after.linux().network().default_interface().tx_bytes().value() >= tx + 5 * 84;
  }, std::chrono::seconds(10))) << after.DebugString();
  EXPECT_GE(after.linux().network().default_interface().rx_bytes().value(), rx + 5 * 84);
  EXPECT_EQ(after.attributes().id(), a);
  EXPECT_EQ(after.attributes().metadata().name(), "ping-a");
  ASSERT_EQ(after.linux().containers_size(), 1);
  EXPECT_EQ(after.linux().containers(0).attributes().id(), pinger);
  EXPECT_GE(after.linux().process().process_count().value(), 2u);  // the pause and sleep
  EXPECT_TRUE(after.linux().memory().has_working_set_bytes());
  EXPECT_TRUE(after.linux().cpu().has_usage_core_nano_seconds());

  runtime::v1::ListPodSandboxStatsRequest lreq;
  runtime::v1::ListPodSandboxStatsResponse lresp;
  ASSERT_TRUE(berthd_->runtime().ListPodSandboxStats(Ctx().get(), lreq, &lresp).ok());
  EXPECT_EQ(lresp.stats_size(), 2);
  (*lreq.mutable_filter()->mutable_label_selector())["nope"] = "x";
  lresp.Clear();
  ASSERT_TRUE(berthd_->runtime().ListPodSandboxStats(Ctx().get(), lreq, &lresp).ok());
  EXPECT_EQ(lresp.stats_size(), 0);
}

TEST_F(StatsTest, ExitedContainersStillAnswerAndFiltersSelect) {
  Boot(5);
  const std::string pod = RunPod("exited");
  const std::string done = MustRunContainer(CtrRequest(pod, "done", {"true"}));
  const std::string live = MustRunContainer(CtrRequest(pod, "live", {"sleep", "1000"}));
  ASSERT_TRUE(WaitState(done, runtime::v1::CONTAINER_EXITED));
  EXPECT_EQ(CtrStats(done).attributes().id(), done);
  EXPECT_EQ(ListCtrStats().size(), 2u);
  runtime::v1::ContainerStatsFilter f;
  f.set_id(live.substr(0, 12));
  auto by_prefix = ListCtrStats(f);
  ASSERT_EQ(by_prefix.size(), 1u);
  EXPECT_EQ(by_prefix[0].attributes().id(), live);
  f.Clear();
  (*f.mutable_label_selector())["test"] = "done";
  ASSERT_EQ(ListCtrStats(f).size(), 1u);
  f.Clear();
  f.set_pod_sandbox_id(pod);
  EXPECT_EQ(ListCtrStats(f).size(), 2u);
  f.set_pod_sandbox_id(std::string(64, 'f'));
  EXPECT_TRUE(ListCtrStats(f).empty());

  runtime::v1::ContainerStatsRequest bad;
  bad.set_container_id("nosuchcontainer");
  runtime::v1::ContainerStatsResponse resp;
  EXPECT_EQ(berthd_->runtime().ContainerStats(Ctx().get(), bad, &resp).error_code(), grpc::StatusCode::NOT_FOUND);

  // The cAdvisor-style metrics of the same samples.
  runtime::v1::ListMetricDescriptorsResponse descs;
  ASSERT_TRUE(berthd_->runtime().ListMetricDescriptors(Ctx().get(), {}, &descs).ok());
  std::set<std::string> names;
  for (const auto& d : descs.descriptors()) names.insert(d.name());
  for (const char* n : {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                        "container_network_receive_bytes_total", "container_fs_usage_bytes", "container_processes"}) {
    EXPECT_TRUE(names.contains(n) || std::string(n) == "container_processes") << n;
  }
  runtime::v1::ListPodSandboxMetricsResponse pm;
  ASSERT_TRUE(berthd_->runtime().ListPodSandboxMetrics(Ctx().get(), {}, &pm).ok());
  ASSERT_EQ(pm.pod_metrics_size(), 1);
  EXPECT_EQ(pm.pod_metrics(0).pod_sandbox_id(), pod);
  EXPECT_EQ(pm.pod_metrics(0).container_metrics_size(), 2);
  bool working_set = false;
  for (const auto& cm : pm.pod_metrics(0).container_metrics()) {
    for (const auto& m : cm.metrics()) {
      if (m.name() == "container_memory_working_set_bytes" && cm.container_id() == live) {
        working_set = true;
        EXPECT_EQ(m.label_values_size(), 6);
        EXPECT_EQ(m.label_values(1), live);
      }
    }
  }
  EXPECT_TRUE(working_set) << pm.DebugString();
}

// One subscriber's stream, read on its own thread.
class EventReader {
 public:
  explicit EventReader(runtime::v1::RuntimeService::Stub& stub) {
    reader_ = stub.GetContainerEvents(&ctx_, {});
    thread_ = std::thread([this] {
      ContainerEventResponse ev;
      while (reader_->Read(&ev)) {
        std::lock_guard lock(mu_);
        events_.push_back(ev);
      }
    });
  }
  ~EventReader() {
    ctx_.TryCancel();
    thread_.join();
  }
  std::vector<ContainerEventResponse> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  // The event types seen for `id`, in order.
  std::vector<runtime::v1::ContainerEventType> TypesOf(const std::string& id) {
    std::vector<runtime::v1::ContainerEventType> out;
    for (const auto& e : events()) {
      if (e.container_id() == id) out.push_back(e.container_event_type());
    }
    return out;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<ContainerEventResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<ContainerEventResponse> events_;
};

TEST_F(StatsTest, EventsTellEveryStepToEverySubscriberInOrder) {
  Boot(6);
  EventReader one(berthd_->runtime()), two(berthd_->runtime());
  // A subscriber that never reads: berthd must not wait for it.
  grpc::ClientContext stuck_ctx;
  auto stuck = berthd_->runtime().GetContainerEvents(&stuck_ctx, {});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the streams are open on the server

  const std::string pod = RunPod("events");
  const std::string a = MustRunContainer(CtrRequest(pod, "a", {"sleep", "1000"}));
  ASSERT_TRUE(Stop(a, 0).ok());
  ASSERT_TRUE(RemoveCtr(a).ok());
  const std::string b = MustRunContainer(CtrRequest(pod, "b", {"sh", "-c", "sleep 0.5; exit 3"}));
  using E = runtime::v1::ContainerEventType;
  const std::vector<E> lifecycle = {runtime::v1::CONTAINER_CREATED_EVENT, runtime::v1::CONTAINER_STARTED_EVENT,
                                    runtime::v1::CONTAINER_STOPPED_EVENT, runtime::v1::CONTAINER_DELETED_EVENT};
  // b exits by itself: nobody calls, and the stream still says so.
  EXPECT_TRUE(WaitFor([&] { return one.TypesOf(b).size() == 3 && two.TypesOf(b).size() == 3; },
                      std::chrono::seconds(10)))
      << one.TypesOf(b).size();
  ASSERT_TRUE(StopPod(pod).ok());
  ASSERT_TRUE(StopPod(pod).ok());  // again, as kubelet does: told once
  ASSERT_TRUE(RemovePod(pod).ok());
  for (EventReader* r : {&one, &two}) {
    ASSERT_TRUE(WaitFor([&] { return r->TypesOf(pod).size() == 4 && r->TypesOf(b).size() == 4; },
                        std::chrono::seconds(10)));
    EXPECT_EQ(r->TypesOf(a), lifecycle);
    EXPECT_EQ(r->TypesOf(b), lifecycle);
    EXPECT_EQ(r->TypesOf(pod), lifecycle);
    for (const auto& e : r->events()) {
      EXPECT_EQ(e.pod_sandbox_status().id(), pod) << e.DebugString();
      EXPECT_GT(e.created_at(), 0);
      if (e.container_id() == a && e.container_event_type() == runtime::v1::CONTAINER_STARTED_EVENT) {
        ASSERT_EQ(e.containers_statuses_size(), 1);
        EXPECT_EQ(e.containers_statuses(0).id(), a);
        EXPECT_EQ(e.containers_statuses(0).state(), runtime::v1::CONTAINER_RUNNING);
      }
      if (e.container_id() == b && e.container_event_type() == runtime::v1::CONTAINER_STOPPED_EVENT) {
        ASSERT_EQ(e.containers_statuses_size(), 1);
        EXPECT_EQ(e.containers_statuses(0).exit_code(), 3);
      }
    }
  }
  stuck_ctx.TryCancel();
}

// A metric's value in Prometheus text, parsed by prometheus_client (Debian's
// python3-prometheus-client): the parser fails the test on malformed text.
double Scrape(const std::string& address, const std::string& sample_name, const std::string& labels_json) {
  const std::string py =
      "import json,sys,urllib.request\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "text=urllib.request.urlopen(\"http://" + address + "/metrics\").read().decode()\n"
      "want=json.loads(sys.argv[2]); v=0.0\n"
      "for f in text_string_to_metric_families(text):\n"
      "  for s in f.samples:\n"
      "    if s.name==sys.argv[1] and all(s.labels.get(k)==x for k,x in want.items()): v=s.value\n"
      "print(v)\n";
  // Single-quoted for the shell; none of the arguments holds a single quote.
  const auto [rc, out] = Sh("/usr/bin/python3 -c '" + py + "' '" + sample_name + "' '" + labels_json + "' 2>&1");
  EXPECT_EQ(rc, 0) << out;
  try {
    return std::stod(out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "scrape printed: " << out;
    return -1;
  }
}

TEST_F(StatsTest, MetricsEndpointCountsTheCallsMade) {
  Boot(7, "metrics:\n  address: 127.0.0.1:0\n");
  std::smatch m;
  std::string log;
  ASSERT_TRUE(WaitFor([&] {
    log = berthd_->log();
    return std::regex_search(log, m, std::regex("metrics on http://([0-9.]+:[0-9]+)/metrics"));
  }, std::chrono::seconds(10))) << log;
  const std::string address = m[1];
  const std::string ok = R"({"method":"ListContainers","code":"OK"})";
  const double before = Scrape(address, "berth_grpc_requests_total", ok);
  for (int i = 0; i < 5; ++i) List();
  EXPECT_EQ(Scrape(address, "berth_grpc_requests_total", ok), before + 5);
  EXPECT_EQ(Scrape(address, "berth_grpc_request_duration_seconds_count", ok), before + 5);
  runtime::v1::ContainerStatusResponse resp;
  runtime::v1::ContainerStatusRequest bad;
  bad.set_container_id("nosuch");
  berthd_->runtime().ContainerStatus(Ctx().get(), bad, &resp);
  EXPECT_EQ(Scrape(address, "berth_grpc_requests_total", R"({"method":"ContainerStatus","code":"NOT_FOUND"})"), 1);
  const std::string pod = RunPod("metrics");
  MustRunContainer(CtrRequest(pod, "m", {"sleep", "1000"}));
  EXPECT_EQ(Scrape(address, "berth_pods", R"({"state":"ready"})"), 1);
  EXPECT_EQ(Scrape(address, "berth_containers", R"({"state":"running"})"), 1);
  EXPECT_GE(Scrape(address, "berth_cni_operation_duration_seconds_count", R"({"operation":"ADD","result":"ok"})"), 1);
  EXPECT_GE(Scrape(address, "berth_image_pulls_total", R"({"result":"ok"})"), 1);
  EXPECT_GT(Scrape(address, "berth_process_resident_memory_bytes", "{}"), 1e6);
  EXPECT_GT(Scrape(address, "berth_process_cpu_seconds_total", "{}"), 0);
  EXPECT_EQ(Sh("curl -s -o /dev/null -w '%{http_code}' http://" + address + "/other").second, "404");
}

// The v2 reader on a real cgroup2 hierarchy: this node's is the hybrid one
// at /sys/fs/cgroup/unified (its memory and pids are v1's, so only CPU time
// and the process count are there to read).
TEST(CgroupV2Stats, ReadsCpuAndProcessesOfABusyProcess) {
  const std::string root = fs::exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  if (::geteuid() != 0 || !fs::exists(root + "/cgroup.procs")) GTEST_SKIP() << "needs root and a cgroup2 hierarchy";
  const std::string dir = root + "/berth-stats-v2-test-" + std::to_string(::getpid());
  ASSERT_TRUE(fs::create_directory(dir)) << dir;
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl("/bin/sh", "sh", "-c", "while :; do :; done", nullptr);
    ::_exit(127);
  }
  ASSERT_GT(child, 0);
  Sh("echo " + std::to_string(child) + " > " + dir + "/cgroup.procs");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  pod::CgroupDirs d;
  d.unified = true;
  d.v2 = dir;
  const pod::CgroupSample s = pod::ReadCgroup(d);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  fs::remove(dir);
  EXPECT_TRUE(s.found);
  ASSERT_TRUE(s.cpu_usage_ns);
  EXPECT_GT(*s.cpu_usage_ns, 100'000'000u);  // most of 300 ms
  EXPECT_EQ(s.processes, 1u);
}

}  // namespace
}  // namespace berth::testing
