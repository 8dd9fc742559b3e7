// KeyedLocks: one id's operations are serialised while other ids proceed,
// and an id is forgotten once nobody holds or waits for it.
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
  auto other = std::async(std::launch::async, [&] { return locks.Lock("pod-b").mutex() != a.mutex(); });
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

TEST(KeyedLocks, AnIdIsForgottenWhenItsLastHolderLeaves) {
  KeyedLocks locks;
  for (int i = 0; i < 1000; ++i) KeyedLocks::Held h = locks.Lock("unknown-" + std::to_string(i));
  EXPECT_EQ(locks.size(), 0u) << "ids nobody holds must not stay in the map";
}

TEST(KeyedLocks, AWaiterKeepsTheEntryAliveUntilItIsServed) {
  KeyedLocks locks;
  auto held = std::make_unique<KeyedLocks::Held>(locks.Lock("ctr"));
  const std::mutex* first = held->mutex();
  std::promise<const std::mutex*> got;
  std::thread waiter([&] {
    KeyedLocks::Held h = locks.Lock("ctr");
    got.set_value(h.mutex());
  });
  std::this_thread::sleep_for(100ms);  // lets the waiter block on the held lock
  held.reset();  // the waiter must get the same mutex, not a fresh one beside it
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), first);
  waiter.join();
  EXPECT_EQ(locks.size(), 0u);
}

TEST(KeyedLocks, AMovedHeldReleasesOnce) {
  KeyedLocks locks;
  {
    KeyedLocks::Held a = locks.Lock("x");
    KeyedLocks::Held b(std::move(a));
    EXPECT_EQ(locks.size(), 1u);
  }
  EXPECT_EQ(locks.size(), 0u);
  KeyedLocks::Held again = locks.Lock("x");  // would deadlock if the move had left it locked
  EXPECT_EQ(locks.size(), 1u);
}

}  // namespace
}  // namespace berth::pod
