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
      {Code::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
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

TEST(RpcTest, AFullDiskIsResourceExhausted) {
  grpc::Status s = RunRpc("Pull", [] { throw SysError("write blob", ENOSPC); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  s = RunRpc("Pull", [] { throw SysError("write blob", EDQUOT); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(RpcTest, MessagesAreBoundedAndControlBytesEscaped) {
  const std::string huge(1 << 20, 'x');
  grpc::Status s = RunRpc("Big", [&] { throw NotFound("sandbox " + huge + " not found"); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LE(s.error_message().size(), kMaxMessage + 32);
  EXPECT_NE(s.error_message().find("(" + std::to_string(huge.size() + 18) + " bytes)"), std::string::npos)
      << s.error_message().substr(s.error_message().size() - 40);
  s = RunRpc("Nul", [] { throw InvalidArgument(std::string("id 'a\0b' bad\x01", 13)); });
  EXPECT_EQ(s.error_message(), "id 'a\\x00b' bad\\x01");
  EXPECT_EQ(ClientMessage("line one\nline\ttwo"), "line one\nline\ttwo");
}

TEST(RpcTest, ACutMessageEndsOnACharacterBoundary) {
  std::string text;
  while (text.size() < kMaxMessage + 10) text += "Ã©";  // é
  const std::string m = ClientMessage(text);
  const size_t cut = m.find("...");
  ASSERT_NE(cut, std::string::npos);
  EXPECT_EQ(cut % 2, 0u) << "a two-byte character was split";
}

}  // namespace
}  // namespace berth::server
