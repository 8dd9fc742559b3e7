#pragma once
// The server edge: every RPC body runs inside RunRpc, which turns whatever it
// throws into a gRPC status (berth's codes map one to one), so a bad request
// or a bug in one call never takes berthd down. One log line per failed call
// with the RPC name: info for the caller's faults, error for berth's own.

#include <grpcpp/support/status.h>
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

#include "storage/base/error.h"

namespace berth::server {

grpc::StatusCode ToGrpcCode(Code code);
inline grpc::Status ToStatus(const Error& e) { return {ToGrpcCode(e.code()), e.what()}; }

template <class Body>
grpc::Status RunRpc(std::string_view rpc, Body&& body) {
  try {
    body();
    return grpc::Status::OK;
  } catch (const Error& e) {
    spdlog::log(e.code() == Code::kInternal ? spdlog::level::err : spdlog::level::info, "rpc {}: {}", rpc, e.what());
    return ToStatus(e);
  } catch (const std::exception& e) {
    spdlog::error("rpc {}: unexpected error: {}", rpc, e.what());
    return {grpc::StatusCode::INTERNAL, std::string(rpc) + ": " + e.what()};
  }
}

}  // namespace berth::server
