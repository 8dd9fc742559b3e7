// KeyedLocks: one id's operations are serialised while other ids proceed,
// and Drop forgets an id without breaking a lock that is still held on it.
#include "pod/keyed_locks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::pod {
namespace {

using namespace std::chrono_literals;

TEST(KeyedLocks, ALockOnOneIdWaitsForItsHolder) {
  KeyedLocks locks;
  auto held = std::make_unique<KeyedLocks::Held>(locks.Lock("pod-a"));
  EXPECT_TRUE(held->lock.owns_lock());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    KeyedLocks::Held h = locks.Lock("pod-a");
    got = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(got) << "a second lock on pod-a while it is held";
  held.reset();  // releases
  waiter.join();
  EXPECT_TRUE(got);
}

TEST(KeyedLocks, DifferentIdsDoNotWaitForEachOther) {
  KeyedLocks locks;
  KeyedLocks::Held a = locks.Lock("pod-a");
  // Would deadlock (and time out) if ids shared a mutex.
  auto other = std::async(std::launch::async, [&] { return locks.Lock("pod-b").lock.owns_lock(); });
  ASSERT_EQ(other.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(other.get());
}

TEST(KeyedLocks, OneIdsCriticalSectionsNeverOverlap) {
  KeyedLocks locks;
  int inside = 0, max_inside = 0, total = 0;  // guarded by the "shared" id's lock only
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        KeyedLocks::Held h = locks.Lock("shared");
        ++inside;
        max_inside = std::max(max_inside, inside);
        ++total;
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(max_inside, 1);
  EXPECT_EQ(total, 2000);
}

TEST(KeyedLocks, DropWhileHeldKeepsTheHeldMutexAlive) {
  KeyedLocks locks;
  auto held = std::make_unique<KeyedLocks::Held>(locks.Lock("ctr"));
  std::weak_ptr<std::mutex> weak = held->mutex;
  locks.Drop("ctr");
  EXPECT_FALSE(weak.expired());  // the holder still shares it
  // The id is forgotten: a new Lock gets a fresh mutex and does not wait.
  auto fresh = std::async(std::launch::async, [&] {
    KeyedLocks::Held h = locks.Lock("ctr");
    return h.mutex.get();
  });
  ASSERT_EQ(fresh.wait_for(5s), std::future_status::ready);
  EXPECT_NE(fresh.get(), held->mutex.get());
  held.reset();
  EXPECT_TRUE(weak.expired());  // unlocked and freed once the last holder let go
}

TEST(KeyedLocks, TheSameIdReusesItsMutexUntilDropped) {
  KeyedLocks locks;
  std::mutex* first = nullptr;
  {
    KeyedLocks::Held h = locks.Lock("x");
    first = h.mutex.get();
  }
  {
    KeyedLocks::Held h = locks.Lock("x");
    EXPECT_EQ(h.mutex.get(), first);
  }
  locks.Drop("x");
  locks.Drop("never-locked");  // fine
  KeyedLocks::Held h = locks.Lock("x");
  EXPECT_TRUE(h.lock.owns_lock());
}

}  // namespace
}  // namespace berth::pod
