#pragma once
// The pod sandbox tests' fixture: a real berthd, runc, berth-conmon,
// berth-pause and CNI plugins (bridge + host-local). Each test has its own
// bridge (berthpod<N>) and subnet (10.198.<N>.0/24), so ctest -j can run them
// side by side; host-local's dataDir is in the test's own dir.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/berthd_harness.h"
#include "tests/integration/pod_calls.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace berth::testing {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::v1::PodSandboxStatusResponse;

inline bool ProcessAlive(pid_t pid) {
  // A zombie is dead for our purpose, but it must have been reaped too: check /proc.
  return pid > 0 && fs::exists("/proc/" + std::to_string(pid));
}

class SandboxTest : public ::testing::Test {
 protected:
  static constexpr const char* kCgroupParent = "/berthpodtest";

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (runc, network namespaces, mounts, cgroups)";
  }

  // Starts berthd with a bridge network berthpod<n> on 10.198.<n>.0/24. `extra_plugin`
  // (if any) is appended to the chain.
  void StartBerthd(int n, json extra_plugin = nullptr, std::vector<std::string> extra_args = {},
                   std::string config_yaml = "") {
    bridge_ = "berthpod" + std::to_string(n);
    subnet_prefix_ = "10.198." + std::to_string(n) + ".";
    json plugins = json::array({{{"type", "bridge"},
                                 {"bridge", bridge_},
                                 {"isGateway", true},
                                 {"ipam",
                                  {{"type", "host-local"},
                                   {"ranges", {{{{"subnet", subnet_prefix_ + "0/24"}}}}},
                                   {"dataDir", ipam_dir()}}}}});
    if (!extra_plugin.is_null()) plugins.push_back(extra_plugin);
    json conf = {{"cniVersion", "1.0.0"}, {"name", net_name()}, {"plugins", plugins}};
    Berthd::Options o;
    o.cni_conflist = conf.dump(2);
    o.extra_args = std::move(extra_args);
    o.config_yaml = std::move(config_yaml);
    berthd_ = std::make_unique<Berthd>(std::move(o));
  }

  void TearDown() override {
    TearDownBerthd(berthd_, bridge_);
    for (const char* ctrl :
         {"memory", "cpu", "cpuacct", "pids", "blkio", "devices", "freezer", "cpuset", "systemd", "unified"}) {
      ::rmdir((std::string("/sys/fs/cgroup/") + ctrl + kCgroupParent).c_str());  // busy while another test runs
    }
  }

  std::string ipam_dir() const { return work_ / "ipam"; }
  std::string net_name() const { return "net-" + bridge_; }
  std::string ipam_file(const std::string& ip) const { return ipam_dir() + "/" + net_name() + "/" + ip; }
  std::string run_root() const { return berthd_->dir() / "run"; }
  config::Layout layout() const { return berthd_->layout(); }

  runtime::v1::RunPodSandboxRequest PodRequest(const std::string& name) {
    runtime::v1::RunPodSandboxRequest req;
    auto* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_namespace_("sandbox-test");
    c->mutable_metadata()->set_uid("uid-" + name);
    c->set_hostname(name);
    (*c->mutable_labels())["test"] = "sandbox";
    c->mutable_linux()->set_cgroup_parent(kCgroupParent);
    c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(runtime::v1::CONTAINER);
    return req;
  }

  grpc::Status Run(const runtime::v1::RunPodSandboxRequest& req, std::string* id) {
    return RunPodSandbox(*berthd_, req, id);
  }

  std::string MustRun(const runtime::v1::RunPodSandboxRequest& req) {
    std::string id;
    auto st = Run(req, &id);
    EXPECT_TRUE(st.ok()) << st.error_message() << "\n" << berthd_->log();
    EXPECT_EQ(id.size(), 64u);
    return id;
  }

  PodSandboxStatusResponse Status(const std::string& id, grpc::Status* st_out = nullptr) {
    return PodSandboxStatus(*berthd_, id, st_out);
  }

  json Info(const std::string& id) {
    auto resp = Status(id);
    return json::parse(resp.info().at("info"));
  }

  pid_t PausePid(const std::string& id) { return Info(id).at("pid").get<pid_t>(); }

  grpc::Status Stop(const std::string& id) { return StopPodSandbox(*berthd_, id); }
  grpc::Status Remove(const std::string& id) { return RemovePodSandbox(*berthd_, id); }
  std::vector<runtime::v1::PodSandbox> List() { return ListPodSandbox(*berthd_); }

  // Nothing of the pod is left: mounts, netns pin, cgroup, IP, process, files.
  void ExpectGone(const std::string& id, pid_t pause_pid, const std::string& ip) {
    EXPECT_EQ(Slurp("/proc/self/mountinfo").find(id), std::string::npos) << "a mount of pod " << id << " is left";
    EXPECT_FALSE(fs::exists(layout().Netns(id)));
    EXPECT_FALSE(fs::exists(layout().SandboxRunDir(id)));
    EXPECT_FALSE(fs::exists(layout().SandboxRecords() + "/" + id));
    EXPECT_FALSE(fs::exists(std::string("/sys/fs/cgroup/memory") + kCgroupParent + "/" + id));
    EXPECT_FALSE(fs::exists(std::string("/sys/fs/cgroup/pids") + kCgroupParent + "/" + id));
    if (!ip.empty()) {
      EXPECT_FALSE(fs::exists(ipam_file(ip))) << ip << " still allocated";
    }
    EXPECT_FALSE(ProcessAlive(pause_pid)) << "pause pid " << pause_pid;
    auto [rc, out] = Sh("runc --root " + layout().RuntimeRoot("runc") + " list -q");
    EXPECT_EQ(out.find(id), std::string::npos) << out;
  }

  TempDir work_;
  std::unique_ptr<Berthd> berthd_;
  std::string bridge_, subnet_prefix_;
};

}  // namespace berth::testing
