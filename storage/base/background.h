#pragma once
// A call on a thread of its own, beside the caller's work (a pod's CNI ADD
// beside its pause's create, its DEL beside the pause's end). Joined on
// destruction, so nothing it touches is gone before it ends, whatever the
// caller throws meanwhile.

#include <exception>
#include <functional>
#include <thread>

namespace berth {

class BackgroundCall {
 public:
  explicit BackgroundCall(std::function<void()> fn)
      : thread_([this, fn = std::move(fn)] {
          try {
            fn();
          } catch (...) {
            error_ = std::current_exception();
          }
        }) {}
  ~BackgroundCall() {
    if (thread_.joinable()) thread_.join();
  }
  BackgroundCall(const BackgroundCall&) = delete;
  BackgroundCall& operator=(const BackgroundCall&) = delete;

  // Joins, and rethrows what the call threw. False when waited for before.
  bool Wait() {
    if (!thread_.joinable()) return false;
    thread_.join();
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  std::exception_ptr error_;
  std::thread thread_;  // last: it starts once error_ exists
};

}  // namespace berth
