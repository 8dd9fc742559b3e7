#include "server/rpc.h"

namespace berth::server {

grpc::StatusCode ToGrpcCode(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case Code::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case Code::kAlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case Code::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case Code::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case Code::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case Code::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case Code::kUnauthenticated: return grpc::StatusCode::UNAUTHENTICATED;
    case Code::kUnimplemented: return grpc::StatusCode::UNIMPLEMENTED;
    case Code::kDataLoss: return grpc::StatusCode::DATA_LOSS;
    case Code::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

}  // namespace berth::server
