#include <gtest/gtest.h>

#include "server/runtime_service.h"

namespace berth::server {
namespace {

TEST(UnimplementedRpcs, AnswerUnimplementedNamingTheRpc) {
  config::Config cfg = config::Config::Defaults();
  RuntimeService runtime_svc(cfg);
  ImageService image_svc(cfg);
  grpc::ServerContext ctx;
  {
    runtime::v1::RunPodSandboxRequest req;
    runtime::v1::RunPodSandboxResponse resp;
    auto st = runtime_svc.RunPodSandbox(&ctx, &req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(st.error_message(), "berth does not implement RunPodSandbox yet");
  }
  {
    runtime::v1::PullImageRequest req;
    runtime::v1::PullImageResponse resp;
    auto st = image_svc.PullImage(&ctx, &req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(st.error_message(), "berth does not implement PullImage yet");
  }
  {
    runtime::v1::GetEventsRequest req;
    auto st = runtime_svc.GetContainerEvents(&ctx, &req, nullptr);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(st.error_message(), "berth does not implement GetContainerEvents yet");
  }
}

}  // namespace
}  // namespace berth::server
