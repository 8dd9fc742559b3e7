#include "pod/oci/monitor_reaper.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace berth::pod::oci {
namespace {

TEST(MonitorReaperTest, ReapsOnlyTheRegisteredMonitorsThatExited) {
  const pid_t monitor = ::fork();
  ASSERT_GE(monitor, 0);
  if (monitor == 0) ::_exit(0);
  const pid_t other = ::fork();  // someone else's child: never reaped here
  ASSERT_GE(other, 0);
  if (other == 0) ::_exit(0);
  WatchMonitor(monitor);
  int reaped = 0;
  for (int i = 0; i < 200 && reaped == 0; ++i) {
    reaped = ReapExitedMonitors();
    if (reaped == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(reaped, 1);
  EXPECT_EQ(::waitpid(monitor, nullptr, WNOHANG), -1) << "already reaped";
  EXPECT_EQ(ReapExitedMonitors(), 0) << "no longer watched";
  EXPECT_EQ(::waitpid(other, nullptr, 0), other) << "an unregistered child's status is left to its owner";
}

}  // namespace
}  // namespace berth::pod::oci
