// A tty container through the CRI against a real berthd, runc and
// berth-conmon (bridge berthtty1, subnet 10.197.1.0/24; the test busybox
// image from a docker-registry on 127.0.0.1): its stdio is a pty and what it
// prints lands in the CRI log as stdout lines.
#include <gtest/gtest.h>

#include "tests/integration/container_fixture.h"

namespace berth::testing {
namespace {

using ContainerTtyTest = ContainerFixture;

TEST_F(ContainerTtyTest, TtyContainerGetsAPtyAndItsOutputIsLogged) {
  StartBerthd(1, "berthtty", 197);
  const std::string pod = RunPod("tty");
  auto req = CtrRequest(pod, "tty", {"sh", "-c", "tty; echo hi >&2; exit 3"});
  req.mutable_config()->set_tty(true);
  const std::string id = MustRunContainer(req);
  ASSERT_TRUE(WaitState(id, runtime::v1::CONTAINER_EXITED)) << berthd_->log();
  EXPECT_EQ(Status(id).status().exit_code(), 3);
  // Both lines (stderr too: one tty) as stdout.
  EXPECT_EQ(LogLines(LogPath("tty", "tty"), "stdout"), (std::vector<std::string>{"F /dev/pts/0", "F hi"}));
  EXPECT_TRUE(LogLines(LogPath("tty", "tty"), "stderr").empty());
}

}  // namespace
}  // namespace berth::testing
