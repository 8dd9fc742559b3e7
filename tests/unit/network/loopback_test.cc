#include "network/loopback.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace berth::network {
namespace {

// lo's flags in the calling thread's network namespace; -1 on error.
int LoFlags() {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  const int rc = ::ioctl(s, SIOCGIFFLAGS, &ifr);
  ::close(s);
  return rc == 0 ? ifr.ifr_flags : -1;
}

// In a thread of its own (unshare moves only the calling thread, and the
// netns goes when the thread does): 0 when lo came up, else the failed step.
int InFreshNetns() {
  if (::unshare(CLONE_NEWNET) != 0) return 1;
  if (LoFlags() & IFF_UP) return 2;  // a new netns starts with lo down
  try {
    BringUpLoopback();
  } catch (const std::exception&) {
    return 3;
  }
  return (LoFlags() & IFF_UP) ? 0 : 4;
}

TEST(LoopbackTest, BringsLoUpInAFreshNetworkNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
  int step = -1;
  std::thread([&] { step = InFreshNetns(); }).join();
  EXPECT_EQ(step, 0) << "step that failed (1 unshare, 2 lo already up, 3 BringUpLoopback, 4 still down)";
  EXPECT_TRUE(LoFlags() & IFF_UP) << "the test process's own netns is untouched";
}

}  // namespace
}  // namespace berth::network
