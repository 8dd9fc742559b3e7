// berth-conmon's attach socket (conmon/attach.h) driven as conmon's poll
// loop drives it, with raw SOCK_SEQPACKET clients: output to every client
// from its attach on, stdin into a pipe (in order, closed after what was
// queued, never blocking the server), a pty's resize, slow clients dropped,
// EOF at the end and the socket gone.
#include "conmon/attach.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "storage/base/unix_address.h"
#include "tests/support/temp_dir.h"

namespace berth::conmon {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// conmon's share of the poll loop for the server, until `done` (false after 5 s).
bool PumpUntil(AttachServer& s, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::vector<pollfd> fds;
    s.Watch(fds);
    if (::poll(fds.data(), fds.size(), 10) < 0) return false;
    s.Serve(fds);
  }
  return true;
}

// One round: what is ready now.
void PumpOnce(AttachServer& s) {
  std::vector<pollfd> fds;
  s.Watch(fds);
  if (::poll(fds.data(), fds.size(), 0) >= 0) s.Serve(fds);
}

void PumpFor(AttachServer& s, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  PumpUntil(s, [&] { return std::chrono::steady_clock::now() > until; });
}

Fd Connect(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  UnixAddress addr(path);
  if (!fd || !addr.ok() || ::connect(fd.get(), addr.get(), addr.size()) != 0) return Fd();
  return fd;
}

// The next message; "" at EOF, "<none>" when nothing came within `wait`.
std::string Recv(const Fd& fd, std::chrono::milliseconds wait = 5s) {
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return "<none>";
  char buf[kAttachMaxMessage + 1];
  const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
  if (n < 0) return "<error " + std::to_string(errno) + ">";
  return std::string(buf, static_cast<size_t>(n));
}

bool SendTo(const Fd& fd, const std::string& msg) {
  return ::send(fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(msg.size());
}

// Reads a pipe's non-blocking read end until EOF, pumping the server between reads.
std::string ReadPipeToEof(AttachServer& s, int read_end) {
  std::string got;
  bool eof = false;
  PumpUntil(s, [&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(read_end, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    eof = n == 0;
    return eof;
  });
  return eof ? got : got + "<no EOF>";
}

class AttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = work_ / std::string(120, 'd');  // a container run dir under a long run_root
    std::filesystem::create_directories(dir);
    path_ = dir + "/attach.sock";
    ASSERT_GT(path_.size(), 108u);
  }

  // A client the server has accepted.
  Fd Attach(AttachServer& s) {
    const size_t before = s.clients();
    Fd c = Connect(path_);
    EXPECT_TRUE(c);
    EXPECT_TRUE(PumpUntil(s, [&] { return s.clients() == before + 1; }));
    return c;
  }

  // The stdin pipe, its write end given to the server; returns the read end (non-blocking).
  Fd GiveStdinPipe(AttachServer& s) {
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
    s.input().TakePipe(Fd(p[1]));
    EXPECT_EQ(::fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    return Fd(p[0]);
  }

  berth::testing::TempDir work_;
  std::string path_;
};

TEST_F(AttachTest, ListensPrivatelyAndRemovesTheSocket) {
  work_.Write(std::string(120, 'd') + "/attach.sock", "stale");
  {
    AttachServer s(path_);
    struct stat st{};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode)) << "a stale file there is replaced";
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "whoever connects reads the output and writes stdin";
    Fd c = Attach(s);
  }
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_FALSE(Connect(path_));
}

TEST_F(AttachTest, OutputReachesEveryClientFromItsAttachOn) {
  AttachServer s(path_);
  s.Broadcast(Stream::kStdout, "before anyone\n");  // to nobody
  Fd a = Attach(s);
  s.Broadcast(Stream::kStdout, "one\n");
  Fd b = Attach(s);
  s.Broadcast(Stream::kStderr, "two\n");
  EXPECT_EQ(Recv(a), "\x01one\n"s);
  EXPECT_EQ(Recv(a), "\x02two\n"s);
  EXPECT_EQ(Recv(b), "\x02two\n"s) << "b attached after one";
  EXPECT_EQ(Recv(b, 50ms), "<none>");
}

TEST_F(AttachTest, AChunkIsCutIntoMessagesOfAtMost32KiB) {
  AttachServer s(path_);
  Fd a = Attach(s);
  const std::string chunk = std::string(kAttachMaxPayload, 'a') + std::string(kAttachMaxPayload, 'b') + "c";
  s.Broadcast(Stream::kStderr, chunk);
  EXPECT_EQ(Recv(a), "\x02"s + std::string(kAttachMaxPayload, 'a'));
  EXPECT_EQ(Recv(a), "\x02"s + std::string(kAttachMaxPayload, 'b'));
  EXPECT_EQ(Recv(a), "\x02""c"s);
}

TEST_F(AttachTest, StdinReachesThePipeAndCloseIsItsEof) {
  AttachServer s(path_);
  Fd in = GiveStdinPipe(s);
  Fd a = Attach(s), b = Attach(s);
  ASSERT_TRUE(SendTo(a, EncodeAttach(AttachKind::kStdin, "from a\n")));
  ASSERT_TRUE(PumpUntil(s, [&] {
    char buf[64];
    const ssize_t n = ::read(in.get(), buf, sizeof buf);
    return n > 0 && std::string(buf, static_cast<size_t>(n)) == "from a\n";
  }));
  ASSERT_TRUE(SendTo(b, EncodeAttach(AttachKind::kStdin, "from b\n")));
  ASSERT_TRUE(SendTo(b, EncodeAttach(AttachKind::kCloseStdin)));
  ASSERT_TRUE(SendTo(b, EncodeAttach(AttachKind::kStdin, "after the close\n")));
  EXPECT_EQ(ReadPipeToEof(s, in.get()), "from b\n");
  EXPECT_EQ(s.clients(), 2u) << "closing stdin ends no client";
}

TEST_F(AttachTest, AFullPipeStallsInputInOrderWithoutBlockingTheServer) {
  AttachServer s(path_);
  Fd in = GiveStdinPipe(s);
  Fd a = Attach(s);
  ASSERT_EQ(::fcntl(a.get(), F_SETFL, O_NONBLOCK), 0);
  // Nobody reads the pipe: the client sends until conmon stops reading it.
  std::string sent;
  for (int idle = 0; idle < 20;) {
    std::string piece(kAttachMaxPayload, static_cast<char>('a' + sent.size() / kAttachMaxPayload % 26));
    if (SendTo(a, EncodeAttach(AttachKind::kStdin, piece))) {
      sent += piece;
    } else {
      ASSERT_EQ(errno, EAGAIN);
      ++idle;
    }
    PumpFor(s, 1ms);
    ASSERT_LT(sent.size(), 16u << 20) << "conmon keeps reading input nobody takes";
  }
  EXPECT_TRUE(s.input().full());
  s.Broadcast(Stream::kStdout, "output still flows\n");
  EXPECT_EQ(Recv(a), "\x01output still flows\n"s);
  std::string got;
  PumpUntil(s, [&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(in.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    return got.size() >= sent.size();
  });
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "input arrives whole and in order";
}

TEST_F(AttachTest, AClientGoneWithInputQueuedStillDeliversIt) {
  AttachServer s(path_);
  Fd in = GiveStdinPipe(s);
  Fd a = Attach(s);
  ASSERT_EQ(::fcntl(a.get(), F_SETFL, O_NONBLOCK), 0);
  // Input until conmon's queue is full (nobody reads the pipe), then EOF,
  // and the client is gone before any of it was taken.
  size_t sent = 0;
  while (!s.input().full()) {
    if (SendTo(a, EncodeAttach(AttachKind::kStdin, std::string(kAttachMaxPayload, 'x')))) sent += kAttachMaxPayload;
    PumpOnce(s);
    ASSERT_LT(sent, 16u << 20);
  }
  ASSERT_TRUE(SendTo(a, EncodeAttach(AttachKind::kCloseStdin)));
  a.reset();
  PumpFor(s, 50ms);
  EXPECT_EQ(s.clients(), 1u) << "dropped with input unread";
  EXPECT_EQ(ReadPipeToEof(s, in.get()).size(), sent);
  EXPECT_TRUE(PumpUntil(s, [&] { return s.clients() == 0; }));
}

TEST_F(AttachTest, InputWithoutStdinIsIgnored) {
  AttachServer s(path_);
  Fd a = Attach(s);
  ASSERT_TRUE(SendTo(a, EncodeAttach(AttachKind::kStdin, "nowhere")));
  ASSERT_TRUE(SendTo(a, EncodeAttach(AttachKind::kCloseStdin)));
  ASSERT_TRUE(SendTo(a, EncodeResize({30, 100})));
  ASSERT_TRUE(SendTo(a, "\x09unknown"s));
  PumpFor(s, 50ms);
  EXPECT_EQ(s.clients(), 1u);
  s.Broadcast(Stream::kStdout, "x");
  EXPECT_EQ(Recv(a), "\x01x"s);
}

// A pty pair, both ends non-blocking: conmon holds the master, the container the slave.
struct Pty {
  Pty() {
    master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) return;
    slave.reset(::open(::ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
    ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(slave.get(), F_SETFL, O_NONBLOCK);
  }
  WindowSize Size() const {
    winsize ws{};
    ::ioctl(slave.get(), TIOCGWINSZ, &ws);
    return {ws.ws_row, ws.ws_col};
  }
  Fd master, slave;
};

TEST_F(AttachTest, TtyTakesInputAndResizesButIsNeverClosed) {
  Pty pty;
  ASSERT_TRUE(pty.slave);
  AttachServer s(path_);
  s.input().UseConsole(pty.master.get(), true);
  Fd a = Attach(s);
  ASSERT_TRUE(SendTo(a, EncodeResize({30, 100})));
  ASSERT_TRUE(SendTo(a, EncodeResize({0, 50})));  // ignored
  ASSERT_TRUE(SendTo(a, EncodeAttach(AttachKind::kCloseStdin)));  // ignored: it would hang the tty up
  ASSERT_TRUE(SendTo(a, EncodeAttach(AttachKind::kStdin, "typed\n")));
  std::string line;
  ASSERT_TRUE(PumpUntil(s, [&] {
    char buf[64];
    const ssize_t n = ::read(pty.slave.get(), buf, sizeof buf);
    if (n > 0) line.append(buf, static_cast<size_t>(n));
    return line.find('\n') != std::string::npos;
  }));
  EXPECT_EQ(line, "typed\n");
  EXPECT_EQ(pty.Size().rows, 30);
  EXPECT_EQ(pty.Size().cols, 100);
}

TEST_F(AttachTest, ATtyWithoutStdinOnlyResizes) {
  Pty pty;
  ASSERT_TRUE(pty.slave);
  AttachServer s(path_);
  s.input().UseConsole(pty.master.get(), false);
  Fd a = Attach(s);
  ASSERT_TRUE(SendTo(a, EncodeAttach(AttachKind::kStdin, "typed\n")));
  ASSERT_TRUE(SendTo(a, EncodeResize({50, 132})));
  ASSERT_TRUE(PumpUntil(s, [&] { return pty.Size().rows == 50; }));
  EXPECT_EQ(pty.Size().cols, 132);
  char buf[64];
  EXPECT_EQ(::read(pty.slave.get(), buf, sizeof buf), -1) << "no input reached the terminal";
  EXPECT_EQ(errno, EAGAIN);
}

TEST_F(AttachTest, AClientThatDoesNotReadIsDroppedAndTheOthersGoOn) {
  AttachServer s(path_);
  Fd slow = Attach(s), fast = Attach(s);
  const std::string chunk(65536, 'o');
  size_t fast_got = 0;
  for (size_t sent = 0; sent < 2 * AttachServer::kMaxClientQueue; sent += chunk.size()) {
    s.Broadcast(Stream::kStdout, chunk);  // never blocks, whoever does not read
    PumpOnce(s);
    for (std::string m; (m = Recv(fast, 0ms)) != "<none>";) fast_got += m.size() - 1;
  }
  EXPECT_EQ(s.clients(), 1u) << "the slow one is gone";
  EXPECT_EQ(fast_got, 2 * AttachServer::kMaxClientQueue);
  // It still reads what reached it, then a clean EOF (no reset).
  size_t slow_got = 0;
  for (std::string m; !(m = Recv(slow)).empty();) {
    ASSERT_EQ(m[0], '\x01') << m;
    slow_got += m.size() - 1;
  }
  EXPECT_LT(slow_got, 2 * AttachServer::kMaxClientQueue);
}

TEST_F(AttachTest, AHalfClosedClientStillReadsAClosedOneGoes) {
  AttachServer s(path_);
  Fd a = Attach(s), b = Attach(s);
  ASSERT_EQ(::shutdown(a.get(), SHUT_WR), 0);
  PumpFor(s, 50ms);
  EXPECT_EQ(s.clients(), 2u);
  s.Broadcast(Stream::kStdout, "still\n");
  EXPECT_EQ(Recv(a), "\x01still\n"s);
  b.reset();
  EXPECT_TRUE(PumpUntil(s, [&] { return s.clients() == 1; }));
  a.reset();
  EXPECT_TRUE(PumpUntil(s, [&] { return s.clients() == 0; }));
}

TEST_F(AttachTest, FinishSendsWhatIsQueuedThenEof) {
  AttachServer s(path_);
  Fd a = Attach(s);
  // More than the socket holds: some of it waits in conmon's queue.
  const size_t total = 3u << 20;
  for (size_t sent = 0; sent < total; sent += kAttachMaxPayload) {
    s.Broadcast(Stream::kStdout, std::string(kAttachMaxPayload, 'z'));
  }
  ASSERT_EQ(s.clients(), 1u);
  size_t got = 0;
  std::thread reader([&] {
    for (std::string m; !(m = Recv(a)).empty() && m[0] == '\x01';) got += m.size() - 1;
  });
  s.Finish(5s);
  reader.join();
  EXPECT_EQ(got, total);
  EXPECT_FALSE(std::filesystem::exists(path_)) << "the listener is closed at the end";
  EXPECT_EQ(s.clients(), 0u);
}

}  // namespace
}  // namespace berth::conmon
