// berth-conmon's console socket: receiving the pty master the way an OCI
// runtime sends it (one message, the terminal name as payload, the fd as
// SCM_RIGHTS), rejecting messages without exactly one fd, and the default
// window size.
#include "conmon/console.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace berth::conmon {
namespace {

// Sends `payload` with `fds` attached, as runc's utils.SendFd does.
void SendFds(int sock, const std::string& payload, const std::vector<int>& fds) {
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    ASSERT_NE(c, nullptr);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ASSERT_EQ(::sendmsg(sock, &msg, 0), static_cast<ssize_t>(payload.size()));
}

Fd OpenPtyMaster() {
  Fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  EXPECT_TRUE(master);
  return master;
}

TEST(ConmonConsole, ReceivesThePtyMasterFromAConnectedRuntime) {
  Fd master = OpenPtyMaster();
  ASSERT_TRUE(master);
  std::string dir;
  {
    ConsoleSocket sock;
    dir = std::filesystem::path(sock.path()).parent_path();
    EXPECT_EQ(std::filesystem::status(dir).permissions(), std::filesystem::perms::owner_all);
    // The runtime connects, sends and exits before conmon accepts.
    Fd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock.path().c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    SendFds(client.get(), "/dev/pts/7", {master.get()});
    client.reset();

    Fd got = sock.ReceiveMaster();
    ASSERT_TRUE(got);
    EXPECT_NE(::fcntl(got.get(), F_GETFD) & FD_CLOEXEC, 0);
    EXPECT_EQ(::ptsname(got.get()) == nullptr, false) << "not a pty master";
    EXPECT_EQ(std::string(::ptsname(got.get())), std::string(::ptsname(master.get())));
  }
  EXPECT_FALSE(std::filesystem::exists(dir)) << "console socket directory left behind";
}

TEST(ConmonConsole, NoConnectionIsAnError) {
  ConsoleSocket sock;
  EXPECT_THROW(sock.ReceiveMaster(), std::runtime_error);
}

TEST(ConmonConsole, MessageMustCarryExactlyOneFd) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  SendFds(a.get(), "name", {});
  EXPECT_THROW(ReceiveFd(b.get(), nullptr), std::runtime_error);
  SendFds(a.get(), "name", {0, 1});
  EXPECT_THROW(ReceiveFd(b.get(), nullptr), std::runtime_error);
  SendFds(a.get(), "/dev/pts/0", {0});
  std::string name;
  Fd got = ReceiveFd(b.get(), &name);
  EXPECT_TRUE(got);
  EXPECT_EQ(name, "/dev/pts/0");
}

TEST(ConmonConsole, UnsizedPtyGets80x24AndASizedOneIsKept) {
  Fd master = OpenPtyMaster();
  ASSERT_TRUE(master);
  SetDefaultWindowSize(master.get());
  winsize ws{};
  ASSERT_EQ(::ioctl(master.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_col, 80);
  EXPECT_EQ(ws.ws_row, 24);
  ws.ws_col = 132;
  ws.ws_row = 50;
  ASSERT_EQ(::ioctl(master.get(), TIOCSWINSZ, &ws), 0);
  SetDefaultWindowSize(master.get());
  ASSERT_EQ(::ioctl(master.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_col, 132);
  EXPECT_EQ(ws.ws_row, 50);
}

}  // namespace
}  // namespace berth::conmon
