#include "storage/file_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

TEST(FileLock, SecondHolderIsRefusedAndToldThePid) {
  berth::testing::TempDir d;
  pid_t holder = -1;
  auto first = FileLock::TryAcquire(d / "x.lock", &holder);
  ASSERT_TRUE(first);
  auto second = FileLock::TryAcquire(d / "x.lock", &holder);
  EXPECT_FALSE(second);
  EXPECT_EQ(holder, ::getpid());
  first.reset();
  EXPECT_TRUE(FileLock::TryAcquire(d / "x.lock", &holder));  // released with the object
}

TEST(FileLock, UnopenablePathThrows) {
  EXPECT_THROW(FileLock::TryAcquire("/nonexistent-dir/x.lock", nullptr), Error);
}

}  // namespace
}  // namespace berth::storage
