#include <gtest/gtest.h>

#include "server/runtime_service.h"
#include "tests/support/test_runtime_service.h"

namespace berth::server {
namespace {

TEST(RuntimeConfigRpc, ReportsTheConfiguredCgroupDriver) {
  config::Config cfg = config::Config::Defaults();
  for (auto [mgr, want] : {std::pair{config::CgroupManager::kCgroupfs, runtime::v1::CGROUPFS},
                           std::pair{config::CgroupManager::kSystemd, runtime::v1::SYSTEMD}}) {
    cfg.runtime.cgroup_manager = mgr;
    testing::TestRuntimeService rt(cfg);
    RuntimeService& svc = rt.service;
    grpc::ServerContext ctx;
    runtime::v1::RuntimeConfigRequest req;
    runtime::v1::RuntimeConfigResponse resp;
    ASSERT_TRUE(svc.RuntimeConfig(&ctx, &req, &resp).ok());
    EXPECT_EQ(resp.linux().cgroup_driver(), want);
  }
}

grpc::Status UpdateCidr(RuntimeService& svc, const std::string& cidr) {
  grpc::ServerContext ctx;
  runtime::v1::UpdateRuntimeConfigRequest req;
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr(cidr);
  runtime::v1::UpdateRuntimeConfigResponse resp;
  return svc.UpdateRuntimeConfig(&ctx, &req, &resp);
}

TEST(UpdateRuntimeConfigRpc, KeepsAValidPodCidr) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  RuntimeService& svc = rt.service;
  EXPECT_TRUE(UpdateCidr(svc, "10.244.1.0/24").ok());
  EXPECT_EQ(svc.pod_cidr(), "10.244.1.0/24");
  EXPECT_TRUE(UpdateCidr(svc, "10.244.1.0/24,fd00:10:244:1::/64").ok());
  EXPECT_EQ(svc.pod_cidr(), "10.244.1.0/24,fd00:10:244:1::/64");
  EXPECT_TRUE(UpdateCidr(svc, "").ok());  // nothing to change
  EXPECT_EQ(svc.pod_cidr(), "10.244.1.0/24,fd00:10:244:1::/64");
}

TEST(UpdateRuntimeConfigRpc, RejectsANonCidr) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  RuntimeService& svc = rt.service;
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "bogus/8", "10.0.0.0/24,", "::/129"}) {
    auto st = UpdateCidr(svc, bad);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(st.error_message().find(bad), std::string::npos);
  }
  EXPECT_EQ(svc.pod_cidr(), "");
}

}  // namespace
}  // namespace berth::server
