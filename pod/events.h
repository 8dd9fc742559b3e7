#pragma once
// Container and sandbox lifecycle events for GetContainerEvents (kubelet's
// evented PLEG): every subscriber gets every event, in order, through a
// bounded queue of its own. Publishing never waits: a subscriber whose
// queue is full is dropped (logged), and its stream ends, so a client that
// stops reading never slows berthd.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "cri/cri.h"

namespace berth::pod {

class EventBus {
 public:
  class Subscription {
   public:
    explicit Subscription(size_t capacity) : capacity_(capacity) {}
    // The next event, or nullopt after `wait` (or at once once dropped or closed).
    std::optional<runtime::v1::ContainerEventResponse> Next(std::chrono::milliseconds wait);
    // Dropped for not keeping up: the stream should end.
    bool dropped() const;

   private:
    friend class EventBus;
    bool Push(const runtime::v1::ContainerEventResponse& ev);  // false: full, now dropped
    void Close();
    const size_t capacity_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<runtime::v1::ContainerEventResponse> queue_;
    bool dropped_ = false, closed_ = false;
  };

  static constexpr size_t kDefaultCapacity = 1024;

  // Ends with Unsubscribe (the stream's end); a dropped one is gone already.
  std::shared_ptr<Subscription> Subscribe(size_t capacity = kDefaultCapacity);
  void Unsubscribe(const std::shared_ptr<Subscription>& s);
  bool HasSubscribers() const;
  size_t subscribers() const;
  void Publish(const runtime::v1::ContainerEventResponse& ev);
  // berthd stopping: every stream ends.
  void CloseAll();

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subs_;
};

}  // namespace berth::pod
