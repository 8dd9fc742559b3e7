#include "pod/events.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::pod {

std::optional<runtime::v1::ContainerEventResponse> EventBus::Subscription::Next(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return !queue_.empty() || dropped_ || closed_; });
  if (queue_.empty() || dropped_) return std::nullopt;
  auto ev = std::move(queue_.front());
  queue_.pop_front();
  return ev;
}

bool EventBus::Subscription::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_ || closed_;
}

bool EventBus::Subscription::Push(const runtime::v1::ContainerEventResponse& ev) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= capacity_) {
    dropped_ = true;
    queue_.clear();
    cv_.notify_all();
    return false;
  }
  queue_.push_back(ev);
  cv_.notify_one();
  return true;
}

void EventBus::Subscription::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

std::shared_ptr<EventBus::Subscription> EventBus::Subscribe(size_t capacity) {
  auto s = std::make_shared<Subscription>(capacity);
  std::lock_guard lock(mu_);
  subs_.push_back(s);
  return s;
}

void EventBus::Unsubscribe(const std::shared_ptr<Subscription>& s) {
  std::lock_guard lock(mu_);
  std::erase(subs_, s);
}

bool EventBus::HasSubscribers() const { return subscribers() > 0; }

size_t EventBus::subscribers() const {
  std::lock_guard lock(mu_);
  return subs_.size();
}

void EventBus::Publish(const runtime::v1::ContainerEventResponse& ev) {
  std::lock_guard lock(mu_);
  std::erase_if(subs_, [&](const std::shared_ptr<Subscription>& s) {
    if (s->Push(ev)) return false;
    spdlog::warn("GetContainerEvents: a subscriber fell {} events behind; its stream ends", s->capacity_);
    return true;
  });
}

void EventBus::CloseAll() {
  std::lock_guard lock(mu_);
  for (auto& s : subs_) s->Close();
  subs_.clear();
}

}  // namespace berth::pod
