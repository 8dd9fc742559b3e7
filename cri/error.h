#pragma once
// The error every berth library throws for a request that cannot be served.
// Its code is the gRPC status the CRI answer carries; its message says what,
// which id and, for syscalls, which call and errno.

#include <grpcpp/support/status.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth {

class Error : public std::runtime_error {
 public:
  Error(grpc::StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  grpc::StatusCode code() const { return code_; }
  grpc::Status ToStatus() const { return {code_, what()}; }

 private:
  grpc::StatusCode code_;
};

inline Error InvalidArgument(const std::string& m) { return {grpc::StatusCode::INVALID_ARGUMENT, m}; }
inline Error NotFound(const std::string& m) { return {grpc::StatusCode::NOT_FOUND, m}; }
inline Error AlreadyExists(const std::string& m) { return {grpc::StatusCode::ALREADY_EXISTS, m}; }
inline Error FailedPrecondition(const std::string& m) { return {grpc::StatusCode::FAILED_PRECONDITION, m}; }
inline Error DeadlineExceeded(const std::string& m) { return {grpc::StatusCode::DEADLINE_EXCEEDED, m}; }
inline Error Unavailable(const std::string& m) { return {grpc::StatusCode::UNAVAILABLE, m}; }
inline Error PermissionDenied(const std::string& m) { return {grpc::StatusCode::PERMISSION_DENIED, m}; }
inline Error Unauthenticated(const std::string& m) { return {grpc::StatusCode::UNAUTHENTICATED, m}; }
inline Error Internal(const std::string& m) { return {grpc::StatusCode::INTERNAL, m}; }

// A failed syscall: "what: strerror (errno N)". `what` names the call and its object,
// e.g. SysError("mount overlay on " + target).
inline Error SysError(const std::string& what, int err = errno) {
  return Internal(what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")");
}

// A request's value as an error message shows it: quoted, control bytes
// escaped (a newline or NUL cannot cut or forge a log line), and cut to
// `max` bytes with the full length said, so a 1 MiB id is not echoed whole.
inline std::string Quoted(std::string_view v, size_t max = 80) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < v.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (v.size() > max) out += "... (" + std::to_string(v.size()) + " bytes)";
  return out;
}

}  // namespace berth
