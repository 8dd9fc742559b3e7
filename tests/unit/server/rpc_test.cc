#include "server/rpc.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace berth::server {
namespace {

TEST(RpcTest, EveryCodeMapsToItsGrpcStatus) {
  const std::pair<Code, grpc::StatusCode> cases[] = {
      {Code::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {Code::kNotFound, grpc::StatusCode::NOT_FOUND},
      {Code::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {Code::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {Code::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
      {Code::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {Code::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {Code::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
      {Code::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
      {Code::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {Code::kInternal, grpc::StatusCode::INTERNAL},
  };
  for (const auto& [code, want] : cases) EXPECT_EQ(ToGrpcCode(code), want) << code;
}

TEST(RpcTest, RunRpcTurnsWhatTheBodyThrowsIntoAStatus) {
  EXPECT_TRUE(RunRpc("Ok", [] {}).ok());
  grpc::Status s = RunRpc("Bad", [] { throw InvalidArgument("Bad: field x is \"y\""); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "Bad: field x is \"y\"");
  s = RunRpc("Sys", [] { throw SysError("open /x", ENOENT); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << "a missing file is not NOT_FOUND unless an RPC says so";
  s = RunRpc("Bug", [] { throw std::logic_error("oops"); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "Bug: oops");
}

}  // namespace
}  // namespace berth::server
