// Exec's checks before any container is looked at; the URL it hands out and
// the session behind it are tests/integration/streaming_test.cc's.
#include <gtest/gtest.h>

#include "server/runtime_service.h"
#include "tests/support/test_runtime_service.h"

namespace berth::server {
namespace {

grpc::Status CallExec(RuntimeService& svc, const runtime::v1::ExecRequest& req) {
  grpc::ServerContext ctx;
  runtime::v1::ExecResponse resp;
  auto st = svc.Exec(&ctx, &req, &resp);
  if (!st.ok()) {
    EXPECT_TRUE(resp.url().empty());
  }
  return st;
}

TEST(ExecRpc, RefusesARequestWithoutStreamsOrWithStderrOnATty) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  runtime::v1::ExecRequest req;
  req.set_container_id("abc");
  req.add_cmd("sh");
  auto st = CallExec(rt.service, req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("one of stdin, stdout and stderr"), std::string::npos) << st.error_message();
  req.set_tty(true);
  req.set_stdout(true);
  req.set_stderr(true);
  st = CallExec(rt.service, req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("tty and stderr"), std::string::npos) << st.error_message();
}

TEST(ExecRpc, RefusesAnEmptyOrOversizedCommandAndAnUnknownContainer) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  runtime::v1::ExecRequest req;
  req.set_container_id("abc");
  req.set_stdout(true);
  EXPECT_EQ(CallExec(rt.service, req).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.add_cmd(std::string(200 * 1024, 'a'));
  auto st = CallExec(rt.service, req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(st.error_message().size(), 400u) << "the value is quoted, not echoed";
  req.clear_cmd();
  req.add_cmd("true");
  st = CallExec(rt.service, req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(st.error_message().find("abc"), std::string::npos) << st.error_message();
}

}  // namespace
}  // namespace berth::server
