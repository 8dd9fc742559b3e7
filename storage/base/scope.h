#pragma once
// Scope guards. Rollback: undo steps for a multi-step operation (each step
// done registers its undo; unless Commit() is reached, the destructor runs
// them in reverse order, so a failure anywhere leaves nothing behind).
// ScopeExit: runs its function when the scope ends, whatever the outcome.

#include <spdlog/spdlog.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace berth {

class Rollback {
 public:
  explicit Rollback(std::string what) : what_(std::move(what)) {}
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() {
    if (committed_) return;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      try {
        it->second();
      } catch (const std::exception& e) {
        spdlog::error("{}: rollback of {} failed: {}", what_, it->first, e.what());
      }
    }
  }

  void Add(std::string step, std::function<void()> undo) { steps_.emplace_back(std::move(step), std::move(undo)); }
  void Commit() { committed_ = true; }

 private:
  std::string what_;
  std::vector<std::pair<std::string, std::function<void()>>> steps_;
  bool committed_ = false;
};

class ScopeExit {
 public:
  explicit ScopeExit(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~ScopeExit() { fn_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  std::function<void()> fn_;
};

}  // namespace berth
