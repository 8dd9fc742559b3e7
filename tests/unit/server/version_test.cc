#include <gtest/gtest.h>

#include "config/build_info.h"
#include "server/runtime_service.h"
#include "tests/support/test_runtime_service.h"

namespace berth::server {
namespace {

TEST(VersionRpc, NamesBerthAndTheV1Api) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  RuntimeService& svc = rt.service;
  grpc::ServerContext ctx;
  runtime::v1::VersionRequest req;
  req.set_version("v1");
  runtime::v1::VersionResponse resp;
  ASSERT_TRUE(svc.Version(&ctx, &req, &resp).ok());
  EXPECT_EQ(resp.runtime_name(), "berth");
  EXPECT_EQ(resp.runtime_api_version(), "v1");
  EXPECT_EQ(resp.runtime_version(), kVersion);
  EXPECT_EQ(resp.version(), "0.1.0");
}

}  // namespace
}  // namespace berth::server
