#pragma once
// The monitor's syscall errors: std::system_error carrying what failed and errno.

#include <cerrno>
#include <string>
#include <system_error>

namespace berth::conmon {

[[noreturn]] inline void ThrowSys(const std::string& what, int err = errno) {
  throw std::system_error(err, std::generic_category(), what);
}

}  // namespace berth::conmon
