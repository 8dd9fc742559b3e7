// berthd's attach client (pod/oci/attach.h): against a SOCK_SEQPACKET
// listener made here, what it sends and how it reads, its errors; then
// against berth-conmon's own server (conmon/attach.h).
#include "pod/oci/attach.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "conmon/attach.h"
#include "conmon/attach_protocol.h"
#include "pod/oci/monitor.h"
#include "storage/base/error.h"
#include "storage/base/unix_address.h"
#include "tests/support/temp_dir.h"

namespace berth::pod::oci {
namespace {

using namespace std::string_literals;
using conmon::AttachKind;
using conmon::kAttachMaxPayload;

// What the client sent, one message a call; "" at EOF.
std::string Recv(const UniqueFd& fd) {
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return "<none>";
  char buf[conmon::kAttachMaxMessage + 1];
  const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
  return n < 0 ? "<error>" : std::string(buf, static_cast<size_t>(n));
}

void Send(const UniqueFd& fd, const std::string& msg) {
  ASSERT_EQ(::send(fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL), static_cast<ssize_t>(msg.size()));
}

class AttachClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = work_ / std::string(120, 'd');  // a container run dir under a long run_root
    std::filesystem::create_directories(dir_);
    path_ = AttachSocketPath(dir_);
    ASSERT_GT(path_.size(), 108u);
  }

  // Listens at path_ as conmon would.
  void Listen() {
    listen_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    UnixAddress addr(path_);
    ASSERT_TRUE(addr.ok());
    ASSERT_EQ(::bind(listen_.get(), addr.get(), addr.size()), 0);
    ASSERT_EQ(::listen(listen_.get(), 4), 0);
  }
  UniqueFd Accept() const { return UniqueFd(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC)); }

  berth::testing::TempDir work_;
  std::string dir_, path_;
  UniqueFd listen_;
};

TEST_F(AttachClientTest, TheSocketIsInTheRunDir) { EXPECT_EQ(AttachSocketPath("/run/berth/c/abc"), "/run/berth/c/abc/attach.sock"); }

TEST_F(AttachClientTest, NoSocketIsAFailedPreconditionNamingIt) {
  for (const std::string& path : {path_, dir_ + "/gone/" + std::string(120, 'e') + "/attach.sock"}) {
    try {
      AttachClient::Connect(path);
      ADD_FAILURE() << "connected to nothing";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kFailedPrecondition) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

TEST_F(AttachClientTest, ASocketNobodyListensOnIsASysError) {
  Listen();
  listen_.reset();  // the file stays, as after a monitor killed
  try {
    AttachClient::Connect(path_);
    ADD_FAILURE() << "connected to nobody";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInternal) << e.what();
    EXPECT_EQ(e.sys_errno(), ECONNREFUSED) << e.what();
  }
}

TEST_F(AttachClientTest, ReadsOutputUntilEof) {
  Listen();
  AttachClient c = AttachClient::Connect(path_);
  UniqueFd conn = Accept();
  Send(conn, "\x01out\n"s);
  Send(conn, "\x07future kind"s);  // not output: skipped
  Send(conn, "\x02"s + std::string(kAttachMaxPayload, 'e'));
  Send(conn, "\x01"s);
  int stream = 0;
  std::string data;
  ASSERT_TRUE(c.Read(stream, data));
  EXPECT_EQ(stream, 1);
  EXPECT_EQ(data, "out\n");
  ASSERT_TRUE(c.Read(stream, data));
  EXPECT_EQ(stream, 2);
  EXPECT_EQ(data, std::string(kAttachMaxPayload, 'e'));
  ASSERT_TRUE(c.Read(stream, data));
  EXPECT_EQ(stream, 1);
  EXPECT_EQ(data, "");
  conn.reset();
  EXPECT_FALSE(c.Read(stream, data));
  EXPECT_FALSE(c.Read(stream, data)) << "EOF stays EOF";
}

TEST_F(AttachClientTest, SendsStdinInPiecesThenCloseAndResize) {
  Listen();
  AttachClient c = AttachClient::Connect(path_);
  UniqueFd conn = Accept();
  std::string input(2 * kAttachMaxPayload + 100, 'a');
  input[kAttachMaxPayload] = 'b';
  c.WriteStdin(input);
  c.WriteStdin("");  // nothing to send
  c.CloseStdin();
  c.Resize(40, 0x1234);
  EXPECT_EQ(Recv(conn), "\x00"s + input.substr(0, kAttachMaxPayload));
  EXPECT_EQ(Recv(conn), "\x00"s + input.substr(kAttachMaxPayload, kAttachMaxPayload));
  EXPECT_EQ(Recv(conn), "\x00"s + std::string(100, 'a'));
  EXPECT_EQ(Recv(conn), "\x03"s);
  EXPECT_EQ(Recv(conn), "\x04\x00\x28\x12\x34"s);
}

TEST_F(AttachClientTest, ShutdownEndsABlockedRead) {
  Listen();
  AttachClient c = AttachClient::Connect(path_);
  UniqueFd conn = Accept();
  bool read = true;
  std::thread reader([&] {
    int stream;
    std::string data;
    read = c.Read(stream, data);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.Shutdown();
  reader.join();
  EXPECT_FALSE(read);
  EXPECT_EQ(Recv(conn), "") << "the monitor sees the client go";
  try {
    c.WriteStdin("late");
    ADD_FAILURE() << "sent after shutdown";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), EPIPE) << e.what();
  }
}

TEST_F(AttachClientTest, Moves) {
  Listen();
  AttachClient a = AttachClient::Connect(path_);
  const int fd = a.fd();
  AttachClient b = std::move(a);
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move): moved-from is empty
  UniqueFd conn = Accept();
  b.CloseStdin();
  EXPECT_EQ(Recv(conn), "\x03"s);
}

// Against berth-conmon's server, pumped here as conmon's poll loop pumps it.
TEST_F(AttachClientTest, TalksToTheMonitor) {
  conmon::AttachServer server(path_);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd stdin_read(p[0]);
  server.input().TakePipe(conmon::Fd(p[1]));
  auto pump = [&] {
    for (int i = 0; i < 5; ++i) {
      std::vector<pollfd> fds;
      server.Watch(fds);
      ::poll(fds.data(), fds.size(), 10);
      server.Serve(fds);
    }
  };
  AttachClient c = AttachClient::Connect(path_);
  pump();
  ASSERT_EQ(server.clients(), 1u);
  c.WriteStdin("hello\n");
  c.CloseStdin();
  pump();
  char buf[64];
  ASSERT_EQ(::read(stdin_read.get(), buf, sizeof buf), 6);
  EXPECT_EQ(std::string(buf, 6), "hello\n");
  EXPECT_EQ(::read(stdin_read.get(), buf, sizeof buf), 0) << "closed";
  server.Broadcast(conmon::Stream::kStderr, "oops\n");
  server.Finish(std::chrono::seconds(1));
  int stream = 0;
  std::string data;
  ASSERT_TRUE(c.Read(stream, data));
  EXPECT_EQ(stream, 2);
  EXPECT_EQ(data, "oops\n");
  EXPECT_FALSE(c.Read(stream, data));
  EXPECT_FALSE(std::filesystem::exists(path_));
}

}  // namespace
}  // namespace berth::pod::oci
