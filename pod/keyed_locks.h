#pragma once
// One mutex per id (a sandbox, a container): operations on one object are
// serialised, on different ones run in parallel. A held lock shares
// ownership of its mutex, so Drop may forget the id while it is held.

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace berth::pod {

class KeyedLocks {
 public:
  struct Held {
    std::shared_ptr<std::mutex> mutex;
    std::unique_lock<std::mutex> lock;
  };

  Held Lock(const std::string& id) {
    std::shared_ptr<std::mutex> m;
    {
      std::lock_guard guard(mu_);
      auto& slot = locks_[id];
      if (!slot) slot = std::make_shared<std::mutex>();
      m = slot;
    }
    std::unique_lock<std::mutex> l(*m);
    return {std::move(m), std::move(l)};
  }

  // Forgets the id (its object is gone).
  void Drop(const std::string& id) {
    std::lock_guard guard(mu_);
    locks_.erase(id);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;
};

}  // namespace berth::pod
