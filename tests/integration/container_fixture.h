#pragma once
// The container tests' fixture: a real berthd, runc, berth-conmon, CNI
// (bridge + host-local) and the test busybox image pulled from a
// docker-registry on 127.0.0.1, with CRI calls as the tests make them.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/berthd_harness.h"
#include "tests/integration/pod_calls.h"
#include "tests/support/registry.h"
#include "tests/integration/leak_check.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace berth::testing {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::v1::ContainerState;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kCgroupParent = "/berthctrtest";

inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

inline bool MountTableMentions(const std::string& s) { return Slurp("/proc/self/mountinfo").find(s) != std::string::npos; }

// The text of a CRI log's lines for one stream, tags kept: "F hello".
inline std::vector<std::string> LogLines(const std::string& path, const std::string& stream) {
  std::vector<std::string> out;
  std::istringstream in(Slurp(path));
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string ts, st, tag;
    f >> ts >> st >> tag;
    if (st != stream) continue;
    std::string rest = line.size() > ts.size() + st.size() + tag.size() + 3
                           ? line.substr(ts.size() + st.size() + tag.size() + 3)
                           : "";
    out.push_back(tag + " " + rest);
  }
  return out;
}

class ContainerFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    reg_ = new TestRegistry();
    reg_->PushTestImages("test/busybox");
  }
  static void TearDownTestSuite() {
    delete reg_;
    reg_ = nullptr;
  }

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (runc, network namespaces, mounts, cgroups)";
  }

  // Bridge <bridge_prefix><n> on 10.<octet>.<n>.0/24: each test file its own
  // prefix and octet, each test its own n, so ctest -j runs them side by side.
  void StartBerthd(int n, const std::string& bridge_prefix = "berthctr", int octet = 196,
                   const std::string& extra_yaml = "") {
    bridge_ = bridge_prefix + std::to_string(n);
    json conf = {{"cniVersion", "1.0.0"},
                 {"name", "net-" + bridge_},
                 {"plugins",
                  {{{"type", "bridge"},
                    {"bridge", bridge_},
                    {"isGateway", true},
                    {"ipam",
                     {{"type", "host-local"},
                      {"ranges", {{{{"subnet", "10." + std::to_string(octet) + "." + std::to_string(n) + ".0/24"}}}}},
                      {"dataDir", work_ / "ipam"}}}}}}};
    for (const auto& p : extra_plugins_) conf["plugins"].push_back(p);
    Berthd::Options o;
    o.cni_conflist = conf.dump(2);
    o.extra_args = extra_args_;
    o.config_yaml = "images:\n  registries:\n    \"" + reg_->host() + "\": {insecure: true}\n" + extra_yaml;
    berthd_ = std::make_unique<Berthd>(std::move(o));
    runtime::v1::PullImageRequest pull;
    pull.mutable_image()->set_image(Image());
    runtime::v1::PullImageResponse resp;
    auto st = berthd_->images().PullImage(Ctx(120).get(), pull, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void TearDown() override {
    TearDownBerthd(berthd_, bridge_);
  }

  std::string Image() const { return reg_->host() + "/test/busybox:amd64"; }
  std::string run_root() const { return berthd_->dir() / "run"; }
  std::string root() const { return berthd_->dir() / "root"; }
  config::Layout layout() const { return berthd_->layout(); }
  std::string logs() const { return work_ / "logs"; }

  runtime::v1::RunPodSandboxRequest PodRequest(const std::string& name) const {
    runtime::v1::RunPodSandboxRequest req;
    auto* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_namespace_("container-test");
    c->mutable_metadata()->set_uid("uid-" + name);
    c->set_hostname(name);
    c->set_log_directory(logs() + "/" + name);
    c->mutable_linux()->set_cgroup_parent(kCgroupParent);
    return req;
  }

  grpc::Status RunPod(const runtime::v1::RunPodSandboxRequest& req, std::string* id) {
    auto st = RunPodSandbox(*berthd_, req, id);
    if (st.ok()) pod_config_ = req.config();
    return st;
  }

  std::string RunPod(const std::string& name) { return MustRunPod(PodRequest(name)); }
  std::string MustRunPod(const runtime::v1::RunPodSandboxRequest& req) {
    std::string id;
    auto st = RunPod(req, &id);
    EXPECT_TRUE(st.ok()) << st.error_message() << "\n" << berthd_->log();
    return id;
  }

  runtime::v1::PodSandboxStatusResponse PodStatus(const std::string& id, grpc::Status* out = nullptr) {
    return PodSandboxStatus(*berthd_, id, out);
  }
  grpc::Status StopPod(const std::string& id) { return StopPodSandbox(*berthd_, id); }
  grpc::Status RemovePod(const std::string& id) { return RemovePodSandbox(*berthd_, id); }
  std::vector<runtime::v1::PodSandbox> ListPods() { return ListPodSandbox(*berthd_); }

  json PodInfo(const std::string& id) { return json::parse(PodStatus(id).info().at("info")); }
  json CtrInfo(const std::string& id) { return json::parse(Status(id).info().at("info")); }

  // The stdout of a container's log, tags dropped, one "\n" per record.
  std::string Stdout(const std::string& pod_name, const std::string& ctr_name) const {
    std::string out;
    for (const auto& l : LogLines(LogPath(pod_name, ctr_name), "stdout")) out += l.substr(2) + "\n";
    return out;
  }

  // Nothing of the pod: records, run dirs, netns pins, mounts.
  void ExpectNoPodLeft() {
    EXPECT_TRUE(ListPods().empty());
    for (const std::string& dir : {layout().SandboxRecords(), layout().SandboxRunDirs(), layout().NetnsDir()}) {
      if (!fs::exists(dir)) continue;
      EXPECT_TRUE(fs::is_empty(dir)) << dir << " is not empty";
    }
    EXPECT_FALSE(MountTableMentions(layout().SandboxRunDirs() + "/")) << Slurp("/proc/self/mountinfo");
  }

  runtime::v1::CreateContainerRequest CtrRequest(const std::string& pod, const std::string& name,
                                                 std::vector<std::string> cmd) {
    runtime::v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    auto* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_image()->set_image(Image());
    for (auto& a : cmd) c->add_command(a);
    c->set_log_path(name + ".log");
    (*c->mutable_labels())["test"] = name;
    *req.mutable_sandbox_config() = pod_config_;
    return req;
  }

  grpc::Status Create(const runtime::v1::CreateContainerRequest& req, std::string* id) {
    runtime::v1::CreateContainerResponse resp;
    auto st = berthd_->runtime().CreateContainer(Ctx(60).get(), req, &resp);
    *id = resp.container_id();
    return st;
  }

  std::string MustCreate(const runtime::v1::CreateContainerRequest& req) {
    std::string id;
    auto st = Create(req, &id);
    EXPECT_TRUE(st.ok()) << st.error_message() << "\n" << berthd_->log();
    return id;
  }

  grpc::Status Start(const std::string& id) {
    runtime::v1::StartContainerRequest req;
    req.set_container_id(id);
    runtime::v1::StartContainerResponse resp;
    return berthd_->runtime().StartContainer(Ctx(30).get(), req, &resp);
  }

  std::string MustRunContainer(const runtime::v1::CreateContainerRequest& req) {
    std::string id = MustCreate(req);
    auto st = Start(id);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return id;
  }

  runtime::v1::ContainerStatusResponse Status(const std::string& id, grpc::Status* out = nullptr) {
    runtime::v1::ContainerStatusRequest req;
    req.set_container_id(id);
    req.set_verbose(true);
    runtime::v1::ContainerStatusResponse resp;
    auto st = berthd_->runtime().ContainerStatus(Ctx().get(), req, &resp);
    if (out) *out = st;
    else EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  bool WaitState(const std::string& id, ContainerState want, int seconds = 20) {
    return WaitFor([&] { return Status(id).status().state() == want; }, std::chrono::seconds(seconds));
  }

  grpc::Status Stop(const std::string& id, int64_t timeout) {
    runtime::v1::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(timeout);
    runtime::v1::StopContainerResponse resp;
    return berthd_->runtime().StopContainer(Ctx(60).get(), req, &resp);
  }

  grpc::Status RemoveCtr(const std::string& id) {
    runtime::v1::RemoveContainerRequest req;
    req.set_container_id(id);
    runtime::v1::RemoveContainerResponse resp;
    return berthd_->runtime().RemoveContainer(Ctx(60).get(), req, &resp);
  }

  grpc::Status Exec(const std::string& id, std::vector<std::string> cmd, int64_t timeout,
                    runtime::v1::ExecSyncResponse* resp) {
    runtime::v1::ExecSyncRequest req;
    req.set_container_id(id);
    for (auto& a : cmd) req.add_cmd(a);
    req.set_timeout(timeout);
    return berthd_->runtime().ExecSync(Ctx(static_cast<int>(timeout) + 30).get(), req, resp);
  }

  std::vector<runtime::v1::Container> List(const runtime::v1::ContainerFilter& f = {}) {
    runtime::v1::ListContainersRequest req;
    *req.mutable_filter() = f;
    runtime::v1::ListContainersResponse resp;
    EXPECT_TRUE(berthd_->runtime().ListContainers(Ctx().get(), req, &resp).ok());
    return {resp.containers().begin(), resp.containers().end()};
  }

  std::string LogPath(const std::string& pod_name, const std::string& ctr_name) const {
    return logs() + "/" + pod_name + "/" + ctr_name + ".log";
  }

  std::string CgroupDir(const std::string& controller, const std::string& ctr_id) const {
    return "/sys/fs/cgroup/" + controller + kCgroupParent + "/" + ctr_id;
  }

  // Nothing of the container in the mount table, the run and root dirs or the cgroup tree.
  void ExpectNothingLeft(const std::string& id) {
    EXPECT_FALSE(MountTableMentions(id)) << Slurp("/proc/self/mountinfo");
    EXPECT_FALSE(fs::exists(layout().ContainerRunDir(id)));
    EXPECT_FALSE(fs::exists(layout().ContainerDir(id)));
    ExpectTrashEmptied(layout());
    EXPECT_FALSE(fs::exists(CgroupDir("memory", id)));
    EXPECT_FALSE(fs::exists(CgroupDir("pids", id)));
  }

  static inline TestRegistry* reg_ = nullptr;
  TempDir work_;
  json extra_plugins_ = json::array();   // appended to StartBerthd's plugin chain
  std::vector<std::string> extra_args_;  // berthd flags after the harness's (later flags win)
  std::string bridge_;
  std::unique_ptr<Berthd> berthd_;
  runtime::v1::PodSandboxConfig pod_config_;
};

}  // namespace berth::testing
