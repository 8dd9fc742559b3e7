#include "server/streaming/ws_channels.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/ws_client.h"
#include "tests/unit/server/streaming/ws_test_server.h"

namespace berth::server::streaming {
namespace {

using testing::WsClient;

StreamRequest Exec(bool in, bool out, bool err, bool tty = false) {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kExec;
  r.id = "c1";
  r.in = in;
  r.out = out;
  r.err = err;
  r.tty = tty;
  return r;
}

// Serves `r` with WsChannels, running `body` on them.
WsTestServer::Serve With(const StreamRequest& r, std::function<void(WsChannels&)> body) {
  return [r, body = std::move(body)](WsConn& conn, const WsProtocol& p) {
    WsChannels ch(conn, p, r);
    body(ch);
  };
}

TEST(WsChannelsTest, V5StdinCloseEndsStdinThenStatusAndNormalClose) {
  std::atomic<bool> gone_after{true};
  WsTestServer server(WsRemoteCommandProtocols(), With(Exec(true, true, true), [&](WsChannels& ch) {
                        EXPECT_TRUE(ch.has_stdin() && ch.has_stdout() && ch.has_stderr());
                        EXPECT_FALSE(ch.has_resize());
                        EXPECT_TRUE(ch.WriteStdout("hello "));
                        EXPECT_TRUE(ch.WriteStderr("oops"));
                        std::string all, data;
                        while (ch.ReadStdin(data)) all += data;
                        EXPECT_FALSE(ch.gone());  // closing stdin is not leaving
                        EXPECT_TRUE(ch.WriteStdout(all));
                        ch.Finish({.exit_code = 0, .error = {}, .command = "[cat]"});
                        ch.WaitGone();
                        gone_after = ch.gone();
                      }));
  WsClient client(server.url(), {"v5.channel.k8s.io", "v4.channel.k8s.io"});
  EXPECT_EQ(client.protocol(), "v5.channel.k8s.io");
  auto first = client.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->channel, 1);  // the empty "streams are open" message
  EXPECT_EQ(first->data, "");
  ASSERT_TRUE(client.Send(0, "abc"));
  ASSERT_TRUE(client.Send(0, "def"));
  ASSERT_TRUE(client.CloseChannel(0));
  auto got = client.ReadAll();
  EXPECT_EQ(got[1], "hello abcdef");
  EXPECT_EQ(got[2], "oops");
  EXPECT_NE(got[3].find("\"status\":\"Success\""), std::string::npos) << got[3];
  EXPECT_EQ(client.close_code(), 1000);
  client.Close();
  EXPECT_FALSE(client.last_text());
  server.Join();
  EXPECT_FALSE(gone_after);
}

TEST(WsChannelsTest, Base64CarriesAnyBytesAsTextAndTheExitCode) {
  const std::string bytes("a\0b\xff\x80\n", 6);
  WsTestServer server(WsRemoteCommandProtocols(), With(Exec(true, true, false), [&](WsChannels& ch) {
                        EXPECT_FALSE(ch.has_stderr());
                        std::string data;
                        ASSERT_TRUE(ch.ReadStdin(data));
                        EXPECT_EQ(data, bytes);
                        EXPECT_TRUE(ch.WriteStdout(data + data));
                        EXPECT_TRUE(ch.WriteStderr("dropped: not asked for"));
                        ch.Finish({.exit_code = 7, .error = {}, .command = "[sh -c exit 7]"});
                      }));
  WsClient client(server.url(), {"v4.base64.channel.k8s.io"});
  EXPECT_EQ(client.protocol(), "v4.base64.channel.k8s.io");
  ASSERT_TRUE(client.Send(0, bytes));
  auto first = client.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(client.last_text());
  EXPECT_EQ(first->channel, 1);
  auto got = client.ReadAll();
  EXPECT_EQ(got[1], bytes + bytes);
  EXPECT_FALSE(got.contains(2));
  EXPECT_NE(got[3].find("NonZeroExitCode"), std::string::npos) << got[3];
  EXPECT_NE(got[3].find("\"message\":\"7\""), std::string::npos) << got[3];
  EXPECT_EQ(client.close_code(), 1000);
}

TEST(WsChannelsTest, TheClientsOrderChoosesTheProtocol) {
  WsTestServer server(WsRemoteCommandProtocols(), With(Exec(false, true, false), [](WsChannels& ch) {
                        ch.Finish({.exit_code = 0, .error = {}, .command = {}});
                      }));
  WsClient client(server.url(), {"v9.unknown", "v4.channel.k8s.io", "v5.channel.k8s.io"});
  EXPECT_EQ(client.protocol(), "v4.channel.k8s.io");
  auto got = client.ReadAll();
  EXPECT_NE(got[3].find("Success"), std::string::npos);
}

TEST(WsChannelsTest, NoSharedProtocolIsRefused) {
  WsTestServer server(WsRemoteCommandProtocols(), [](WsConn&, const WsProtocol&) { ADD_FAILURE() << "accepted"; });
  try {
    WsClient client(server.url(), {"v5.base64.channel.k8s.io"});
    ADD_FAILURE() << "no refusal";
  } catch (const testing::WsRefused& e) {
    EXPECT_EQ(e.status(), 403);
  }
}

TEST(WsChannelsTest, BeforeV4OnlyAFailureIsSentAndAsText) {
  {
    WsTestServer server(WsRemoteCommandProtocols(), With(Exec(false, false, false), [](WsChannels& ch) {
                          ch.Finish({.exit_code = 0, .error = {}, .command = {}});
                        }));
    WsClient client(server.url(), {"channel.k8s.io"});
    auto first = client.Read();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->channel, 3);  // no output asked for: the error channel opens
    EXPECT_FALSE(client.Read().has_value());
    EXPECT_EQ(client.close_code(), 1000);
  }
  {
    WsTestServer server(WsRemoteCommandProtocols(), With(Exec(false, true, false), [](WsChannels& ch) {
                          ch.Finish({.exit_code = std::nullopt, .error = "no such container", .command = {}});
                        }));
    WsClient client(server.url(), {});  // nothing offered: the unnamed binary protocol
    EXPECT_EQ(client.protocol(), "");
    auto got = client.ReadAll();
    EXPECT_EQ(got[1], "");
    EXPECT_EQ(got[3], "no such container");
  }
}

TEST(WsChannelsTest, ResizesOnATerminal) {
  WsTestServer server(WsRemoteCommandProtocols(), With(Exec(true, true, true, true), [](WsChannels& ch) {
                        EXPECT_TRUE(ch.has_resize());
                        EXPECT_FALSE(ch.has_stderr());  // a terminal has one output
                        uint16_t rows = 0, cols = 0;
                        ASSERT_TRUE(ch.ReadResize(rows, cols));
                        EXPECT_EQ(rows, 24);
                        EXPECT_EQ(cols, 80);
                        ASSERT_TRUE(ch.ReadResize(rows, cols));
                        EXPECT_EQ(rows, 50);
                        EXPECT_EQ(cols, 132);
                        std::string data;
                        ASSERT_TRUE(ch.ReadStdin(data));
                        EXPECT_EQ(data, "ls\r");
                        ch.Finish({.exit_code = 0, .error = {}, .command = {}});
                        EXPECT_FALSE(ch.ReadResize(rows, cols));
                      }));
  WsClient client(server.url(), {"v5.channel.k8s.io"});
  ASSERT_TRUE(client.Resize(80, 24));
  ASSERT_TRUE(client.Resize(132, 50));
  ASSERT_TRUE(client.Send(0, "ls\r"));
  auto got = client.ReadAll();
  EXPECT_NE(got[3].find("Success"), std::string::npos);
}

TEST(WsChannelsTest, AClientThatLeavesIsGone) {
  std::atomic<bool> left{false};
  WsTestServer server(WsRemoteCommandProtocols(), With(Exec(true, true, false), [&](WsChannels& ch) {
                        EXPECT_TRUE(ch.WriteStdout("x"));
                        ch.WaitGone();
                        EXPECT_TRUE(ch.gone());
                        std::string data;
                        EXPECT_FALSE(ch.ReadStdin(data));
                        EXPECT_FALSE(ch.WriteStdout("late"));
                        ch.Finish({.exit_code = 0, .error = {}, .command = {}});
                        EXPECT_TRUE(ch.gone());  // Finish after leaving does not undo it
                        left = true;
                      }));
  {
    WsClient client(server.url(), {"v4.channel.k8s.io"});
    ASSERT_TRUE(client.Read().has_value());
    auto x = client.Read();
    ASSERT_TRUE(x.has_value());
    EXPECT_EQ(x->data, "x");
    client.Close();
  }
  server.Join();
  EXPECT_TRUE(left);
}

TEST(WsChannelsTest, MuchStdinPausesTheReaderAndArrivesIntact) {
  // More than the inbox holds, sent before the server reads any.
  constexpr int kMessages = 48;
  auto chunk = [](int i) { return std::string(64 * 1024, static_cast<char>('A' + i % 26)); };
  WsTestServer server(WsRemoteCommandProtocols(), With(Exec(true, true, false), [&](WsChannels& ch) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(300));
                        std::string all, data;
                        while (ch.ReadStdin(data)) all += data;
                        std::string want;
                        for (int i = 0; i < kMessages; ++i) want += chunk(i);
                        EXPECT_EQ(all.size(), want.size());
                        EXPECT_TRUE(all == want);
                        ch.Finish({.exit_code = 0, .error = {}, .command = {}});
                      }));
  WsClient client(server.url(), {"v5.channel.k8s.io"});
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(client.Send(0, chunk(i)));
  ASSERT_TRUE(client.CloseChannel(0));
  auto got = client.ReadAll();
  EXPECT_NE(got[3].find("Success"), std::string::npos);
}

TEST(WsChannelsTest, WritersOnTwoThreadsAndPingsKeepTheStreamWhole) {
  constexpr int kEach = 300;
  WsTestServer server(WsRemoteCommandProtocols(), With(Exec(false, true, true), [&](WsChannels& ch) {
                        std::thread err([&] {
                          for (int i = 0; i < kEach; ++i) ch.WriteStderr(std::string(1000, 'e'));
                        });
                        for (int i = 0; i < kEach; ++i) ch.WriteStdout(std::string(1000, 'o'));
                        err.join();
                        ch.Finish({.exit_code = 0, .error = {}, .command = {}});
                      }));
  WsClient client(server.url(), {"v5.channel.k8s.io"});
  std::map<int, std::string> got;
  int reads = 0;
  while (auto m = client.Read()) {
    got[m->channel] += m->data;
    if (++reads % 10 == 0) client.Ping();  // the server answers pongs between its writes
  }
  EXPECT_EQ(got[1], std::string(kEach * 1000, 'o'));
  EXPECT_EQ(got[2], std::string(kEach * 1000, 'e'));
  EXPECT_NE(got[3].find("Success"), std::string::npos);
  EXPECT_EQ(client.close_code(), 1000);
}

}  // namespace
}  // namespace berth::server::streaming
