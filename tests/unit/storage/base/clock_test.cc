#include "storage/base/clock.h"

#include <gtest/gtest.h>

#include <ctime>

namespace berth {
namespace {

TEST(ClockTest, NowNsIsUnixTimeInNanoseconds) {
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  const int64_t now = NowNs();
  const int64_t after = static_cast<int64_t>(std::time(nullptr));
  EXPECT_GE(now / 1000000000, before);
  EXPECT_LE(now / 1000000000, after);
  EXPECT_LE(now, NowNs()) << "does not go backwards between two reads";
}

}  // namespace
}  // namespace berth
