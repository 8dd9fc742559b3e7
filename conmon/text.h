#pragma once
// Small text files (/proc, cgroup files, the runtime's log and pid file),
// read and split without iostreams: the first stream a process makes sets
// up libstdc++'s locales, which leaves pages dirty in every monitor for its
// container's whole life.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "conmon/fd.h"

namespace berth::conmon {

// The whole file; "" when it cannot be opened or read.
inline std::string ReadFile(const std::string& path) {
  std::string out;
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return out;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The parts of `text` between `sep`s (a trailing separator ends the last part).
inline std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

}  // namespace berth::conmon
