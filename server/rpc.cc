#include "server/rpc.h"

#include "storage/base/metrics.h"

namespace berth::server {

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

void RecordRpc(std::string_view rpc, grpc::StatusCode code, std::chrono::steady_clock::duration took) {
  static auto& calls = metrics::Registry::Global().Counter(
      "berth_grpc_requests_total", "CRI calls answered, by method and gRPC status code.", {"method", "code"});
  static auto& latency = metrics::Registry::Global().Histogram(
      "berth_grpc_request_duration_seconds", "Time to answer a CRI call, by method and gRPC status code.",
      {"method", "code"}, metrics::LatencyBuckets());
  const metrics::Labels labels{std::string(rpc), GrpcCodeName(code)};
  calls.Inc(labels);
  latency.Observe(labels, std::chrono::duration<double>(took).count());
}

std::string ClientMessage(std::string_view message) {
  // berth::Error escapes at construction; other exceptions' texts may not.
  std::string out = EscapeControlBytes(std::string(message.substr(0, kMaxMessage)));
  if (out.size() <= kMaxMessage && message.size() <= kMaxMessage) return out;
  out.resize(kMaxMessage);
  // Not inside a UTF-8 sequence: back up to the start of the last character.
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
  return out + "... (" + std::to_string(message.size()) + " bytes)";
}

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
    case Code::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case Code::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

}  // namespace berth::server
