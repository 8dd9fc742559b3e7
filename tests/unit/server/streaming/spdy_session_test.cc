#include "server/streaming/spdy_session.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <set>
#include <thread>

namespace berth::server::streaming::spdy {
namespace {

using namespace std::chrono_literals;

std::pair<UniqueFd, UniqueFd> SocketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw SysError("socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::unique_ptr<Transport> Wrap(UniqueFd fd) { return std::make_unique<FdTransport>(std::move(fd)); }

// The streams a session hands to on_stream, for the test thread to take.
class Inbox {
 public:
  void Put(std::shared_ptr<Stream> s) {
    std::lock_guard l(mu_);
    streams_.push_back(std::move(s));
    cv_.notify_all();
  }
  std::shared_ptr<Stream> Take() {
    std::unique_lock l(mu_);
    if (!cv_.wait_for(l, 5s, [&] { return !streams_.empty(); })) return nullptr;
    auto s = streams_.front();
    streams_.pop_front();
    return s;
  }
  auto Handler() {
    return [this](std::shared_ptr<Stream> s) { Put(std::move(s)); };
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Stream>> streams_;
};

// Everything a stream delivers until its end.
std::string ReadAll(Stream& s) {
  std::string all, chunk;
  while (s.Read(chunk)) all += chunk;
  return all;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
  return s;
}

// A berth server and a berth client over a socketpair.
class SpdySessionPair : public ::testing::Test {
 protected:
  SpdySessionPair() {
    auto [a, b] = SocketPair();
    server = std::make_unique<Session>(Wrap(std::move(a)), Role::kServer);
    client = std::make_unique<Session>(Wrap(std::move(b)), Role::kClient);
    server->Start(inbox.Handler());
    client->Start();
  }
  std::pair<std::shared_ptr<Stream>, std::shared_ptr<Stream>> OpenPair(const std::string& type) {
    auto c = client->Open({{"streamtype", type}}, 5s);
    return {c, inbox.Take()};
  }

  Inbox inbox;
  std::unique_ptr<Session> server, client;
};

TEST_F(SpdySessionPair, OpensStreamsWithHeaders) {
  auto error = client->Open({{"streamtype", "error"}}, 5s);
  auto out = client->Open({{"streamtype", "stdout"}, {"requestid", "7"}}, 5s);
  EXPECT_EQ(error->id(), 1u);
  EXPECT_EQ(out->id(), 3u);
  auto s1 = inbox.Take(), s2 = inbox.Take();
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(s1->id(), 1u);
  EXPECT_EQ(s1->Header("streamtype"), "error");
  EXPECT_EQ(s2->Header("streamtype"), "stdout");
  EXPECT_EQ(s2->Header("requestid"), "7");
  EXPECT_EQ(s2->Header("absent"), "");
  EXPECT_EQ(s2->headers().size(), 2u);
}

TEST_F(SpdySessionPair, DataBothWaysWithFin) {
  auto [c, s] = OpenPair("stdin");
  ASSERT_TRUE(s);
  ASSERT_TRUE(c->Write("hello "));
  ASSERT_TRUE(c->Write("server"));
  c->CloseWrite();
  EXPECT_EQ(ReadAll(*s), "hello server");
  EXPECT_FALSE(c->Write("after fin"));
  ASSERT_TRUE(s->Write("hello client"));
  s->CloseWrite();
  s->CloseWrite();  // once
  EXPECT_EQ(ReadAll(*c), "hello client");
}

TEST_F(SpdySessionPair, OneMebibyteBothWaysAtOnce) {
  auto [c, s] = OpenPair("stdout");
  ASSERT_TRUE(s);
  const std::string up = Pattern(1 << 20), down = Pattern((1 << 20) + 17);
  std::thread writer_up([&] { EXPECT_TRUE(c->Write(up)); c->CloseWrite(); });
  std::thread writer_down([&] { EXPECT_TRUE(s->Write(down)); s->CloseWrite(); });
  std::string got_down;
  std::thread reader_down([&] { got_down = ReadAll(*c); });
  EXPECT_TRUE(ReadAll(*s) == up);
  reader_down.join();
  EXPECT_TRUE(got_down == down);
  writer_up.join();
  writer_down.join();
}

TEST_F(SpdySessionPair, ResetEndsBothDirections) {
  auto [c, s] = OpenPair("stdin");
  ASSERT_TRUE(s);
  ASSERT_TRUE(c->Write("x"));
  std::string chunk;
  ASSERT_TRUE(s->Read(chunk));
  s->Reset(kRstCancel);
  EXPECT_FALSE(s->Read(chunk));
  EXPECT_FALSE(s->Write("y"));
  EXPECT_FALSE(c->Read(chunk));  // the peer's RST ends the read...
  EXPECT_FALSE(c->Write("z"));   // ...and the writes
  auto [c2, s2] = OpenPair("stdout");  // the session lives on
  ASSERT_TRUE(s2);
  c2->Reset(kRstCancel);
  EXPECT_FALSE(s2->Read(chunk));
}

TEST_F(SpdySessionPair, PingsBothWays) {
  EXPECT_TRUE(client->Ping(5s));
  EXPECT_TRUE(server->Ping(5s));
  EXPECT_TRUE(client->Ping(5s));
}

TEST_F(SpdySessionPair, CloseUnblocksReadersOnBothSides) {
  auto [c, s] = OpenPair("stdout");
  ASSERT_TRUE(s);
  std::atomic<int> ended{0};
  std::thread server_reader([&] { ended += ReadAll(*s).empty(); });
  std::thread client_reader([&] { ended += ReadAll(*c).empty(); });
  std::this_thread::sleep_for(50ms);
  server->Close();
  server->Close();  // idempotent
  client->WaitClosed();
  server_reader.join();
  client_reader.join();
  EXPECT_EQ(ended, 2);
  EXPECT_TRUE(client->closed());
  EXPECT_EQ(client->error(), "");
  EXPECT_FALSE(c->Write("x"));
  EXPECT_THROW(client->Open({{"streamtype", "stdin"}}, 1s), Error);
  EXPECT_FALSE(client->Ping(100ms));
}

TEST_F(SpdySessionPair, WriterBlocksAtThePeersWindowAndResumes) {
  auto [c, s] = OpenPair("stdin");
  ASSERT_TRUE(s);
  ASSERT_TRUE(c->Write(std::string(kInitialWindow, 'a')));  // the whole window: no wait
  std::atomic<bool> done{false};
  std::thread writer([&] { done = c->Write("b"); });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(done) << "wrote past the peer's window";
  std::string chunk;
  ASSERT_TRUE(s->Read(chunk));  // half a window read: WINDOW_UPDATEs go out
  EXPECT_EQ(chunk.size(), kMaxDataChunk);
  writer.join();
  EXPECT_TRUE(done);
  c->CloseWrite();
  EXPECT_EQ(ReadAll(*s), std::string(kInitialWindow - kMaxDataChunk, 'a') + "b");
}

// The far end of a session under test, speaking frames by hand: a peer like
// Go's spdystream, which never sends WINDOW_UPDATE or SETTINGS.
class RawPeer {
 public:
  explicit RawPeer(UniqueFd fd) : fd_(std::move(fd)) {}
  void SendBytes(std::string_view bytes) {
    std::lock_guard l(write_mu_);
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the session under test hung up
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void Send(const Frame& f) {
    std::string bytes;
    {
      std::lock_guard l(write_mu_);
      bytes = Encode(f, compressor_);
    }
    SendBytes(bytes);
  }
  // The next frame not of a type in `skip`; nullopt at EOF or timeout.
  std::optional<Frame> Next(std::set<FrameType> skip = {FrameType::kSettings, FrameType::kWindowUpdate},
                            std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (std::optional<Frame> f = reader_.Next(decompressor_))
        if (!skip.contains(f->type)) return f;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[65536];
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      reader_.Feed(std::string_view(buf, static_cast<size_t>(n)));
    }
  }
  void Hangup() { ::shutdown(fd_.get(), SHUT_RDWR); }

 private:
  UniqueFd fd_;
  std::mutex write_mu_;
  HeaderCompressor compressor_;
  HeaderDecompressor decompressor_;
  FrameReader reader_;
};

struct RawPair {
  explicit RawPair(Role role, SessionOptions options = {}, std::string already = {}) {
    auto [a, b] = SocketPair();
    session = std::make_unique<Session>(Wrap(std::move(a)), role, std::move(already), options);
    peer = std::make_unique<RawPeer>(std::move(b));
  }
  Inbox inbox;
  std::unique_ptr<Session> session;
  std::unique_ptr<RawPeer> peer;
};

TEST(SpdySessionRaw, ServerAnnouncesWindowRepliesEchoesAndRefuses) {
  RawPair p(Role::kServer);
  p.session->Start(p.inbox.Handler());
  p.peer->Send(SynStreamFrame(1, {{"streamtype", "error"}}));
  EXPECT_EQ(p.peer->Next({}), SettingsFrame({{0, kSettingsInitialWindowSize, kInitialWindow}}));
  EXPECT_EQ(p.peer->Next(), SynReplyFrame(1, {}));
  ASSERT_TRUE(p.inbox.Take());
  p.peer->Send(PingFrame(1));  // a client's id: echoed
  EXPECT_EQ(p.peer->Next(), PingFrame(1));
  p.peer->Send(SynStreamFrame(2, {}));  // a server's id from the client
  EXPECT_EQ(p.peer->Next(), RstStreamFrame(2, kRstProtocolError));
  p.peer->Send(SynStreamFrame(1, {}));  // an id used before
  EXPECT_EQ(p.peer->Next(), RstStreamFrame(1, kRstProtocolError));
}

TEST(SpdySessionRaw, NeverBlocksOnAPeerWithoutFlowControl) {
  RawPair p(Role::kServer);
  p.session->Start(p.inbox.Handler());
  p.peer->Send(SynStreamFrame(1, {{"streamtype", "stdout"}}));
  auto s = p.inbox.Take();
  ASSERT_TRUE(s);
  const std::string big = Pattern(1 << 20);
  std::thread writer([&] { EXPECT_TRUE(s->Write(big)); s->CloseWrite(); });
  std::string got;
  for (std::optional<Frame> f; (f = p.peer->Next()) && !f->fin();) got += f->type == FrameType::kData ? f->data : "";
  writer.join();
  EXPECT_TRUE(got == big) << got.size();
}

TEST(SpdySessionRaw, SlowConsumerGetsBackPressureNotAReset) {
  RawPair p(Role::kServer, {.stream_buffer_limit = 256 << 10, .stall_timeout = 2000ms});
  p.session->Start(p.inbox.Handler());
  p.peer->Send(SynStreamFrame(1, {{"streamtype", "stdin"}}));
  auto s = p.inbox.Take();
  ASSERT_TRUE(s);
  const std::string big = Pattern(4 << 20);
  std::thread writer([&] {
    for (size_t at = 0; at < big.size(); at += kMaxDataChunk) p.peer->Send(DataFrame(1, big.substr(at, kMaxDataChunk)));
    p.peer->Send(DataFrame(1, "", kFlagFin));
  });
  std::string got, chunk;
  while (s->Read(chunk)) {
    got += chunk;
    std::this_thread::sleep_for(1ms);
  }
  writer.join();
  EXPECT_TRUE(got == big) << got.size();
}

TEST(SpdySessionRaw, StalledConsumerIsResetAndOthersFlow) {
  RawPair p(Role::kServer, {.stream_buffer_limit = 128 << 10, .stall_timeout = 300ms});
  p.session->Start(p.inbox.Handler());
  p.peer->Send(SynStreamFrame(1, {{"streamtype", "stdin"}}));
  p.peer->Send(SynStreamFrame(3, {{"streamtype", "resize"}}));
  auto stalled = p.inbox.Take(), other = p.inbox.Take();
  ASSERT_TRUE(stalled && other);
  std::thread writer([&] {
    for (int i = 0; i < 32; ++i) p.peer->Send(DataFrame(1, std::string(kMaxDataChunk, 'x')));
    p.peer->Send(DataFrame(3, "{\"Width\":80}", kFlagFin));
  });
  EXPECT_EQ(ReadAll(*other), "{\"Width\":80}");
  std::optional<Frame> rst = p.peer->Next({FrameType::kSettings, FrameType::kWindowUpdate, FrameType::kSynReply});
  EXPECT_EQ(rst, RstStreamFrame(1, kRstFlowControlError));
  std::string chunk;
  EXPECT_FALSE(stalled->Read(chunk));
  writer.join();
}

TEST(SpdySessionRaw, CloseDoesNotHangOnAPeerThatStopsReading) {
  RawPair p(Role::kServer);
  p.session->Start(p.inbox.Handler());
  p.peer->Send(SynStreamFrame(1, {{"streamtype", "stdout"}}));
  auto s = p.inbox.Take();
  ASSERT_TRUE(s);
  std::atomic<bool> wrote{true};
  std::thread writer([&] { wrote = s->Write(std::string(8 << 20, 'x')); });  // far more than the socket holds
  std::this_thread::sleep_for(200ms);
  const auto start = std::chrono::steady_clock::now();
  p.session->Close();
  writer.join();
  EXPECT_FALSE(wrote);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(SpdySessionRaw, MalformedInputEndsTheSessionWithGoAway) {
  RawPair p(Role::kServer);
  p.session->Start(p.inbox.Handler());
  p.peer->SendBytes(std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12));  // SPDY/2 PING
  EXPECT_EQ(p.peer->Next(), GoAwayFrame(0, kGoAwayProtocolError));
  EXPECT_EQ(p.peer->Next(), std::nullopt);  // then EOF
  p.session->WaitClosed();
  EXPECT_NE(p.session->error().find("version 2"), std::string::npos) << p.session->error();
}

TEST(SpdySessionRaw, BytesReadPastTheUpgradeAreTheFirstFrames) {
  HeaderCompressor c;
  const std::string early = Encode(SynStreamFrame(1, {{"streamtype", "stdin"}}), c) + Encode(DataFrame(1, "early"), c);
  RawPair p(Role::kServer, {}, early);
  p.session->Start(p.inbox.Handler());
  auto s = p.inbox.Take();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->Header("streamtype"), "stdin");
  std::string chunk;
  ASSERT_TRUE(s->Read(chunk));
  EXPECT_EQ(chunk, "early");
  p.peer->Hangup();
  EXPECT_FALSE(s->Read(chunk));
  p.session->WaitClosed();
}

TEST(SpdySessionRaw, OpenWaitsForTheReply) {
  RawPair p(Role::kClient);
  p.session->Start();
  try {
    p.session->Open({{"streamtype", "error"}}, 150ms);
    ADD_FAILURE() << "no reply, yet Open returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kDeadlineExceeded) << e.what();
  }
  EXPECT_EQ(p.peer->Next()->headers, (HeaderBlock{{"streamtype", "error"}}));
  EXPECT_EQ(p.peer->Next(), RstStreamFrame(1, kRstCancel));
  std::thread refuser([&] {
    if (std::optional<Frame> f = p.peer->Next()) p.peer->Send(RstStreamFrame(f->stream_id, kRstRefusedStream));
  });
  try {
    p.session->Open({{"streamtype", "stdout"}}, 5s);
    ADD_FAILURE() << "refused, yet Open returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kUnavailable) << e.what();
  }
  refuser.join();
}

TEST(SpdySessionRaw, GoAwayStopsNewStreamsButNotOpenOnes) {
  RawPair p(Role::kClient);
  p.session->Start();
  std::thread server([&] {
    std::optional<Frame> syn = p.peer->Next();
    ASSERT_TRUE(syn);
    p.peer->Send(SynReplyFrame(syn->stream_id, {}));
    p.peer->Send(DataFrame(syn->stream_id, "x"));
    p.peer->Send(GoAwayFrame(syn->stream_id, kGoAwayOk));
    p.peer->Send(DataFrame(syn->stream_id, "y", kFlagFin));
  });
  auto s = p.session->Open({{"streamtype", "stdout"}}, 5s);
  server.join();
  EXPECT_EQ(ReadAll(*s), "xy");
  EXPECT_THROW(p.session->Open({{"streamtype", "stdin"}}, 1s), Error);
  p.peer->Hangup();
  p.session->WaitClosed();
}

}  // namespace
}  // namespace berth::server::streaming::spdy
