#pragma once
// The error every berth library throws for a request it cannot serve. It
// carries berth's own code (what kind of failure), the errno when a syscall
// failed, and a message that grows context as it travels up ("sandbox X:
// mount shm on /run/...: Permission denied (errno 13)"). Only the server edge
// (server/rpc.h) turns a code into a gRPC status.

#include <cerrno>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth {

enum class Code {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kDeadlineExceeded,
  kUnavailable,
  kPermissionDenied,
  kUnauthenticated,
  kUnimplemented,
  kDataLoss,
  kResourceExhausted,  // the node is out of something (disk space, quota)
  kInternal,
};

// "NOT_FOUND", ...: the name the CRI caller sees, for logs and tests.
const char* CodeName(Code code);
std::ostream& operator<<(std::ostream& os, Code code);  // its name, for test failures

// `message` with NUL and other control bytes but newline and tab as \xNN:
// what() is a C string, which a NUL would cut short.
std::string EscapeControlBytes(const std::string& message);

class Error : public std::runtime_error {
 public:
  Error(Code code, const std::string& message, int sys_errno = 0)
      : std::runtime_error(EscapeControlBytes(message)), code_(code), errno_(sys_errno) {}
  Code code() const { return code_; }
  // The errno of the syscall that failed, 0 when no syscall did.
  int sys_errno() const { return errno_; }
  // A syscall said the file or directory does not exist.
  bool missing() const { return errno_ == ENOENT; }
  // The same error with `context` in front: "context: message".
  Error With(const std::string& context) const { return {code_, context + ": " + what(), errno_}; }

 private:
  Code code_;
  int errno_;
};

inline Error InvalidArgument(const std::string& m) { return {Code::kInvalidArgument, m}; }
inline Error NotFound(const std::string& m) { return {Code::kNotFound, m}; }
inline Error AlreadyExists(const std::string& m) { return {Code::kAlreadyExists, m}; }
inline Error FailedPrecondition(const std::string& m) { return {Code::kFailedPrecondition, m}; }
inline Error DeadlineExceeded(const std::string& m) { return {Code::kDeadlineExceeded, m}; }
inline Error Unavailable(const std::string& m) { return {Code::kUnavailable, m}; }
inline Error PermissionDenied(const std::string& m) { return {Code::kPermissionDenied, m}; }
inline Error Unauthenticated(const std::string& m) { return {Code::kUnauthenticated, m}; }
inline Error Unimplemented(const std::string& m) { return {Code::kUnimplemented, m}; }
inline Error DataLoss(const std::string& m) { return {Code::kDataLoss, m}; }
inline Error ResourceExhausted(const std::string& m) { return {Code::kResourceExhausted, m}; }
inline Error Internal(const std::string& m) { return {Code::kInternal, m}; }

// A failed syscall: "what: strerror (errno N)", errno kept. `what` names the
// call and its object, e.g. SysError("mount overlay on " + target). A fault
// of the node, not of the request: INTERNAL unless a caller knows better,
// but RESOURCE_EXHAUSTED for a full disk or quota (ENOSPC, EDQUOT), which
// the caller can act on.
Error SysError(const std::string& what, int err = errno);

// Runs `f`; an Error it throws gets `context` in front of its message.
template <class F>
auto WithContext(const std::string& context, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw e.With(context);
  }
}

// A request's value as an error message shows it: quoted, control bytes
// escaped (a newline or NUL cannot cut or forge a log line), and cut to
// `max` bytes with the full length said, so a 1 MiB id is not echoed whole.
std::string Quoted(std::string_view v, size_t max = 80);

}  // namespace berth
