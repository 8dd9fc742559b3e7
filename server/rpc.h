#pragma once
// Runs an RPC body and turns whatever it throws into a gRPC status, so a bad
// request or a bug in one call never takes berthd down. Logs one line per
// failed call with the RPC name.

#include <spdlog/spdlog.h>

#include <string_view>

#include "cri/error.h"

namespace berth::server {

template <class Body>
grpc::Status RunRpc(std::string_view rpc, Body&& body) {
  try {
    body();
    return grpc::Status::OK;
  } catch (const Error& e) {
    spdlog::log(e.code() == grpc::StatusCode::INTERNAL ? spdlog::level::err : spdlog::level::info, "rpc {}: {}", rpc,
                e.what());
    return e.ToStatus();
  } catch (const std::exception& e) {
    spdlog::error("rpc {}: unexpected error: {}", rpc, e.what());
    return {grpc::StatusCode::INTERNAL, std::string(rpc) + ": " + e.what()};
  }
}

}  // namespace berth::server
