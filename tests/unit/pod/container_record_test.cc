#include "pod/container.h"

#include <gtest/gtest.h>

namespace berth::pod {
namespace {

TEST(ContainerRecordTest, SurvivesItsJsonRoundTrip) {
  Container c;
  c.id = std::string(64, 'f');
  c.sandbox_id = std::string(64, 'e');
  c.name = "app";
  c.attempt = 2;
  c.state = ContainerState::kExited;
  c.created_at = 1;
  c.started_at = 2;
  c.finished_at = 3;
  c.exit_code = 137;
  c.oom_killed = true;
  c.message = "killed";
  c.image = "busybox";
  c.image_id = "sha256:" + std::string(64, 'a');
  c.labels = {{"k", "v"}};
  c.annotations = {{"a", "b"}};
  c.log_path = "/var/log/pods/x/app/2.log";
  c.runtime_handler = "runc";
  c.stop_signal = "SIGQUIT";
  c.oom_score_adj_requested = -998;
  c.pid = 10;
  c.monitor_pid = 9;
  const Container back = nlohmann::json(c).get<Container>();
  EXPECT_EQ(back.id, c.id);
  EXPECT_EQ(back.NameKey(), c.sandbox_id + "/app_2");
  EXPECT_EQ(back.state, ContainerState::kExited);
  EXPECT_EQ(back.exit_code, 137);
  EXPECT_TRUE(back.oom_killed);
  EXPECT_EQ(back.labels, c.labels);
  EXPECT_EQ(back.annotations, c.annotations);
  EXPECT_EQ(back.stop_signal, "SIGQUIT");
  EXPECT_EQ(back.oom_score_adj_requested, -998);
  EXPECT_EQ(back.pid, 10);
  EXPECT_EQ(back.monitor_pid, 9);
  EXPECT_EQ(nlohmann::json(c)["state"], "exited");
}

}  // namespace
}  // namespace berth::pod
