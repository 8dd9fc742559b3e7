// The start socket between berthd (pod/oci/monitor.h) and a sandbox
// runtime's monitor (conmon/start_socket.h), at a path longer than sun_path.
#include <gtest/gtest.h>
#include <poll.h>

#include <filesystem>
#include <string>
#include <thread>

#include "conmon/start_socket.h"
#include "pod/oci/monitor.h"
#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::pod::oci {
namespace {

// Answers one request with `answer` and returns what it was asked.
std::string ServeOne(const conmon::StartSocket& s, const std::string& answer) {
  pollfd p{s.fd(), POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return "<nothing>";
  conmon::Fd conn;
  const std::string request = s.Accept(conn);
  conmon::StartSocket::Reply(conn, answer);
  return request;
}

class StartSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = work_ / std::string(120, 'd');  // a container run dir under a long run_root
    std::filesystem::create_directories(dir_);
    path_ = dir_ + "/start.sock";
    ASSERT_GT(path_.size(), 108u);
  }
  berth::testing::TempDir work_;
  std::string dir_, path_;
};

TEST_F(StartSocketTest, StartAndAbandonReachTheMonitor) {
  {
    conmon::StartSocket s(path_);
    std::string asked;
    std::thread server([&] { asked = ServeOne(s, "ok"); });
    EXPECT_NO_THROW(StartThroughMonitor(path_, "container c1"));
    server.join();
    EXPECT_EQ(asked, "start");

    server = std::thread([&] { asked = ServeOne(s, "ok"); });
    EXPECT_TRUE(AbandonThroughMonitor(path_));
    server.join();
    EXPECT_EQ(asked, "abandon");
  }
  EXPECT_FALSE(std::filesystem::exists(path_)) << "the monitor unlinks it when done";
}

TEST_F(StartSocketTest, ARuntimeErrorIsPassedOn) {
  conmon::StartSocket s(path_);
  std::thread server([&] { ServeOne(s, "error: runsc start: sandbox is gone"); });
  try {
    StartThroughMonitor(path_, "container c1");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInternal);
    EXPECT_NE(std::string(e.what()).find("container c1: start failed: runsc start: sandbox is gone"),
              std::string::npos)
        << e.what();
  }
  server.join();
}

TEST_F(StartSocketTest, NoMonitorListening) {
  EXPECT_FALSE(AbandonThroughMonitor(path_));
  try {
    StartThroughMonitor(path_, "container c1");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("no monitor awaits its start"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace berth::pod::oci
