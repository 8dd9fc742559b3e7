#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/runtime_service.h"
#include "tests/support/test_runtime_service.h"
#include "tests/support/temp_dir.h"

namespace berth::server {
namespace {

using berth::testing::TempDir;

const runtime::v1::RuntimeCondition* Find(const runtime::v1::StatusResponse& r, const std::string& type) {
  for (const auto& c : r.status().conditions())
    if (c.type() == type) return &c;
  return nullptr;
}

class StatusRpc : public ::testing::Test {
 protected:
  StatusRpc() { cfg.cni.conf_dir = dir / "net.d"; }
  runtime::v1::StatusResponse Call(bool verbose) {
    testing::TestRuntimeService rt(cfg);
    RuntimeService& svc = rt.service;
    grpc::ServerContext ctx;
    runtime::v1::StatusRequest req;
    req.set_verbose(verbose);
    runtime::v1::StatusResponse resp;
    EXPECT_TRUE(svc.Status(&ctx, &req, &resp).ok());
    return resp;
  }
  TempDir dir;
  config::Config cfg = config::Config::Defaults();
};

TEST_F(StatusRpc, RuntimeReadyNetworkNotReadyWithoutCniConfig) {
  auto r = Call(false);
  ASSERT_TRUE(Find(r, "RuntimeReady"));
  EXPECT_TRUE(Find(r, "RuntimeReady")->status());
  const auto* net = Find(r, "NetworkReady");
  ASSERT_TRUE(net);
  EXPECT_FALSE(net->status());
  EXPECT_EQ(net->reason(), "NetworkPluginNotReady");
  EXPECT_EQ(net->message(), "no CNI network config found in " + cfg.cni.conf_dir);
  EXPECT_TRUE(r.info().empty());
}

TEST_F(StatusRpc, NetworkReadyOnceAConfigAppears) {
  dir.Write("net.d/10-pods.conflist",
            R"({"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge"},{"type":"portmap"}]})");
  auto r = Call(true);
  EXPECT_TRUE(Find(r, "NetworkReady")->status());
  auto net = nlohmann::json::parse(r.info().at("network"));
  EXPECT_EQ(net["defaultNetwork"]["name"], "pods");
  EXPECT_EQ(net["defaultNetwork"]["plugins"], nlohmann::json({"bridge", "portmap"}));
}

TEST_F(StatusRpc, ListsTheDefaultAndEveryConfiguredHandler) {
  auto r = Call(false);
  std::vector<std::string> names;
  for (const auto& h : r.runtime_handlers()) names.push_back(h.name());
  EXPECT_EQ(names, (std::vector<std::string>{"", "crun", "runc", "runsc"}));
}

TEST_F(StatusRpc, VerboseInfoValuesAreJson) {
  auto r = Call(true);
  ASSERT_TRUE(r.info().contains("config"));
  auto cfg_json = nlohmann::json::parse(r.info().at("config"));
  EXPECT_EQ(cfg_json["runtime"]["default_handler"], "runc");
  EXPECT_EQ(cfg_json["listen"], cfg.listen);
  EXPECT_EQ(cfg_json["images"]["max_parallel_downloads"], 3);
  EXPECT_EQ(cfg_json["runtime"]["handlers"]["runc"]["root"], "");
  for (const auto& [k, v] : r.info()) EXPECT_TRUE(nlohmann::json::accept(v)) << k;
}

}  // namespace
}  // namespace berth::server
