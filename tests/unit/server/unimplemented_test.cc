#include <gtest/gtest.h>

#include "server/runtime_service.h"
#include "tests/support/test_runtime_service.h"

namespace berth::server {
namespace {

TEST(UnimplementedRpcs, AnswerUnimplementedNamingTheRpc) {
  config::Config cfg = config::Config::Defaults();
  testing::TestRuntimeService rt(cfg);
  RuntimeService& runtime_svc = rt.service;
  grpc::ServerContext ctx;
  {
    runtime::v1::CheckpointContainerRequest req;
    runtime::v1::CheckpointContainerResponse resp;
    auto st = runtime_svc.CheckpointContainer(&ctx, &req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(st.error_message(), "berth does not implement CheckpointContainer yet");
  }
  {
    runtime::v1::UpdatePodSandboxResourcesRequest req;
    runtime::v1::UpdatePodSandboxResourcesResponse resp;
    auto st = runtime_svc.UpdatePodSandboxResources(&ctx, &req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(st.error_message(), "berth does not implement UpdatePodSandboxResources yet");
  }
}

}  // namespace
}  // namespace berth::server
