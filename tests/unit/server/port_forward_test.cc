// PortForward's checks; the forwarding itself is tests/integration/streaming_test.cc's.
#include <gtest/gtest.h>

#include "server/runtime_service.h"
#include "tests/support/test_runtime_service.h"

namespace berth::server {
namespace {

TEST(PortForwardRpc, RefusesPortsOutsideTcpsRangeAndAnUnknownPod) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  grpc::ServerContext ctx;
  runtime::v1::PortForwardResponse resp;
  for (int32_t bad : {0, -1, 65536, 70000}) {
    runtime::v1::PortForwardRequest req;
    req.set_pod_sandbox_id("abc");
    req.add_port(bad);
    auto st = rt.service.PortForward(&ctx, &req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(st.error_message().find(std::to_string(bad)), std::string::npos) << st.error_message();
  }
  runtime::v1::PortForwardRequest req;
  req.set_pod_sandbox_id("abc");
  req.add_port(80);
  EXPECT_EQ(rt.service.PortForward(&ctx, &req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(resp.url().empty());
}

}  // namespace
}  // namespace berth::server
