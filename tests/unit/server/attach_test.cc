// Attach's checks before any container is looked at; the session is
// tests/integration/streaming_test.cc's.
#include <gtest/gtest.h>

#include "server/runtime_service.h"
#include "tests/support/test_runtime_service.h"

namespace berth::server {
namespace {

TEST(AttachRpc, RefusesBadStreamsAndAnUnknownContainer) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  grpc::ServerContext ctx;
  runtime::v1::AttachRequest req;
  req.set_container_id("abc");
  runtime::v1::AttachResponse resp;
  EXPECT_EQ(rt.service.Attach(&ctx, &req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_tty(true);
  req.set_stderr(true);
  EXPECT_EQ(rt.service.Attach(&ctx, &req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_stderr(false);
  req.set_stdout(true);
  auto st = rt.service.Attach(&ctx, &req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  EXPECT_TRUE(resp.url().empty());
}

}  // namespace
}  // namespace berth::server
