#pragma once
// What berth's fuzz targets share: a broken property is reported and aborts
// (libFuzzer then saves the input), and a refusal must be a berth::Error
// naming the caller's fault, never INTERNAL nor another exception type.

#include <cxxabi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>

#include "storage/base/error.h"
#include "storage/base/utf8.h"

namespace berth::fuzz {

// Prints what broke (`detail` quoted, control bytes escaped) and aborts.
[[noreturn]] inline void Finding(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n==== fuzz finding: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty()) std::fprintf(stderr, "     %s\n", Quoted(detail, 4000).c_str());
  std::fflush(stderr);
  std::abort();
}

inline void Require(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) Finding(what, detail);
}

// The demangled type of the exception being handled, for a finding's message.
inline std::string CurrentExceptionType() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  if (t == nullptr) return "?";
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(t->name(), nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? name.get() : t->name();
}

// Runs `f`. nullopt: it returned. A code: it threw a berth::Error with that
// (client) code. An INTERNAL error or any other exception is a finding.
template <class F>
std::optional<Code> Refusal(std::string_view what, F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const Error& e) {
    if (e.code() == Code::kInternal) Finding(std::string(what) + ": INTERNAL error on a request", e.what());
    return e.code();
  } catch (const std::exception& e) {
    Finding(std::string(what) + ": threw " + CurrentExceptionType() + ", not berth::Error", e.what());
  } catch (...) {
    Finding(std::string(what) + ": threw " + CurrentExceptionType());
  }
}

}  // namespace berth::fuzz
