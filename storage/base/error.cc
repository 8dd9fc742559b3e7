#include "storage/base/error.h"

#include <cstring>
#include <ostream>

namespace berth {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return "INVALID_ARGUMENT";
    case Code::kNotFound: return "NOT_FOUND";
    case Code::kAlreadyExists: return "ALREADY_EXISTS";
    case Code::kFailedPrecondition: return "FAILED_PRECONDITION";
    case Code::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case Code::kUnavailable: return "UNAVAILABLE";
    case Code::kPermissionDenied: return "PERMISSION_DENIED";
    case Code::kUnauthenticated: return "UNAUTHENTICATED";
    case Code::kUnimplemented: return "UNIMPLEMENTED";
    case Code::kDataLoss: return "DATA_LOSS";
    case Code::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case Code::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

std::ostream& operator<<(std::ostream& os, Code code) { return os << CodeName(code); }

Error SysError(const std::string& what, int err) {
  const Code code = err == ENOSPC || err == EDQUOT ? Code::kResourceExhausted : Code::kInternal;
  return {code, what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")", err};
}

std::string EscapeControlBytes(const std::string& message) {
  const auto plain = [](unsigned char c) { return (c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t'; };
  bool clean = true;
  for (unsigned char c : message) clean = clean && plain(c);
  if (clean) return message;  // the common case: no copy beyond runtime_error's own
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : message) {
    if (plain(c)) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string Quoted(std::string_view v, size_t max) {
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
