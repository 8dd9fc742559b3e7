#pragma once
// Helpers for recovery at start: one failed cleanup step is logged and the
// next one runs, so one broken leftover cannot keep berthd from serving.

#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::pod {

template <class F>
void TryStep(const std::string& what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("recovery: {}: {}", what, e.what());
  }
}

// Names in `dir` (none if it does not exist).
inline std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

}  // namespace berth::pod
