#pragma once
// The server edge: every RPC body runs inside RunRpc, which turns whatever it
// throws into a gRPC status (berth's codes map one to one), so a bad request
// or a bug in one call never takes berthd down. One log line per failed call
// with the RPC name: info for the caller's faults, error for berth's own.

#include <grpcpp/support/status.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <string_view>

#include "storage/base/error.h"

namespace berth::server {

grpc::StatusCode ToGrpcCode(Code code);
// What a caller is told: control bytes escaped (a NUL would cut the message
// in C clients, a newline forge a log line), at most kMaxMessage bytes,
// whatever a library or a runtime's output put into it.
inline constexpr size_t kMaxMessage = 2048;
std::string ClientMessage(std::string_view message);
inline grpc::Status ToStatus(const Error& e) { return {ToGrpcCode(e.code()), ClientMessage(e.what())}; }
// "OK", "INVALID_ARGUMENT", ...: the gRPC names, as metrics label them.
const char* GrpcCodeName(grpc::StatusCode code);
// Counts the call and its latency by RPC and code (berth_grpc_* metrics).
void RecordRpc(std::string_view rpc, grpc::StatusCode code, std::chrono::steady_clock::duration took);

template <class Body>
grpc::Status RunRpc(std::string_view rpc, Body&& body) {
  const auto started = std::chrono::steady_clock::now();
  grpc::Status st = grpc::Status::OK;
  try {
    body();
  } catch (const Error& e) {
    spdlog::log(e.code() == Code::kInternal ? spdlog::level::err : spdlog::level::info, "rpc {}: {}", rpc, e.what());
    st = ToStatus(e);
  } catch (const std::exception& e) {
    spdlog::error("rpc {}: unexpected error: {}", rpc, e.what());
    st = {grpc::StatusCode::INTERNAL, ClientMessage(std::string(rpc) + ": " + e.what())};
  }
  RecordRpc(rpc, st.error_code(), std::chrono::steady_clock::now() - started);
  return st;
}

}  // namespace berth::server
