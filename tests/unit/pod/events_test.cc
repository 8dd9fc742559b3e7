#include "pod/events.h"

#include <gtest/gtest.h>

namespace berth::pod {
namespace {

runtime::v1::ContainerEventResponse EventOf(const std::string& id, runtime::v1::ContainerEventType t) {
  runtime::v1::ContainerEventResponse e;
  e.set_container_id(id);
  e.set_container_event_type(t);
  return e;
}

TEST(EventBus, EverySubscriberGetsEveryEventInOrder) {
  EventBus bus;
  EXPECT_FALSE(bus.HasSubscribers());
  auto a = bus.Subscribe(), b = bus.Subscribe();
  bus.Publish(EventOf("x", runtime::v1::CONTAINER_CREATED_EVENT));
  bus.Publish(EventOf("x", runtime::v1::CONTAINER_STARTED_EVENT));
  for (auto* s : {&a, &b}) {
    auto first = (*s)->Next(std::chrono::milliseconds(0));
    auto second = (*s)->Next(std::chrono::milliseconds(0));
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->container_event_type(), runtime::v1::CONTAINER_CREATED_EVENT);
    EXPECT_EQ(second->container_event_type(), runtime::v1::CONTAINER_STARTED_EVENT);
    EXPECT_FALSE((*s)->Next(std::chrono::milliseconds(10)));
  }
  bus.Unsubscribe(a);
  EXPECT_EQ(bus.subscribers(), 1u);
}

TEST(EventBus, ASubscriberThatFallsBehindIsDroppedNotWaitedFor) {
  EventBus bus;
  auto slow = bus.Subscribe(3), fast = bus.Subscribe(100);
  for (int i = 0; i < 10; ++i) bus.Publish(EventOf(std::to_string(i), runtime::v1::CONTAINER_CREATED_EVENT));
  EXPECT_TRUE(slow->dropped());
  EXPECT_FALSE(slow->Next(std::chrono::milliseconds(0)));
  EXPECT_EQ(bus.subscribers(), 1u);
  EXPECT_FALSE(fast->dropped());
  EXPECT_EQ(fast->Next(std::chrono::milliseconds(0))->container_id(), "0");
}

TEST(EventBus, CloseAllEndsEveryStream) {
  EventBus bus;
  auto s = bus.Subscribe();
  bus.CloseAll();
  EXPECT_TRUE(s->dropped());
  EXPECT_FALSE(bus.HasSubscribers());
}

}  // namespace
}  // namespace berth::pod
