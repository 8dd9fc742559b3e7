#pragma once
// One mutex per id (a sandbox, a container): operations on one object are
// serialised, on different ones run in parallel. An id's entry lives only
// while someone holds or waits for its lock, so requests for ids that do not
// exist (or no longer do) leave nothing behind.

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace berth::pod {

class KeyedLocks {
  struct Entry {
    std::mutex mutex;
    size_t users = 0;  // holders and waiters; guarded by KeyedLocks::mu_
  };
  using Map = std::map<std::string, Entry>;

 public:
  // The lock of one id; releasing it forgets the id if nobody else wants it.
  class Held {
   public:
    Held(KeyedLocks* owner, Map::iterator it) : owner_(owner), it_(it) {}
    Held(Held&& o) noexcept : owner_(o.owner_), it_(o.it_) { o.owner_ = nullptr; }
    Held& operator=(Held&&) = delete;
    Held(const Held&) = delete;
    ~Held() {
      if (owner_) owner_->Release(it_);
    }
    const std::mutex* mutex() const { return &it_->second.mutex; }

   private:
    KeyedLocks* owner_;
    Map::iterator it_;  // std::map iterators stay valid while the entry exists
  };

  Held Lock(const std::string& id) {
    Map::iterator it;
    {
      std::lock_guard guard(mu_);
      it = locks_.try_emplace(id).first;
      ++it->second.users;
    }
    it->second.mutex.lock();
    return Held(this, it);
  }

  // Ids with a holder or a waiter (for tests and metrics).
  size_t size() {
    std::lock_guard guard(mu_);
    return locks_.size();
  }

 private:
  void Release(Map::iterator it) {
    it->second.mutex.unlock();
    std::lock_guard guard(mu_);
    if (--it->second.users == 0) locks_.erase(it);
  }

  std::mutex mu_;
  Map locks_;
};

}  // namespace berth::pod
