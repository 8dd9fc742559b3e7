#include "server/streaming/ws_port_forward.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "tests/support/ws_client.h"
#include "tests/unit/server/streaming/ws_test_server.h"

namespace berth::server::streaming {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using testing::WsClient;

// A TCP service on 127.0.0.1 (berthd's own netns: a host-network pod's):
// for each of `connections` clients, answers its first line with
// "got:<line>" and closes.
class LineService {
 public:
  explicit LineService(int connections) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        tcp::socket s(io_);
        acceptor_.accept(s);
        asio::streambuf buf;
        boost::system::error_code ec;
        asio::read_until(s, buf, '\n', ec);
        if (ec) continue;
        std::string line(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
        asio::write(s, asio::buffer("got:" + line), ec);
      }
    });
  }
  ~LineService() { thread_.join(); }
  uint16_t port() const { return port_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::thread thread_;
};

// A port on 127.0.0.1 where nothing listens.
uint16_t ClosedPort() {
  asio::io_context io;
  tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();  // closed again on return
}

WsTestServer::Serve Forward(const StreamRequest& r, std::vector<uint16_t> ports) {
  return [r, ports](WsConn& conn, const WsProtocol& p) { ServeWsPortForward(conn, p, r, ports); };
}

StreamRequest PortForward(std::vector<uint16_t> allowed) {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kPortForward;
  r.id = "pod1";
  r.ports = std::move(allowed);
  return r;
}

TEST(WsPortForwardTest, TwoPortsEachOpenWithThePortThenCarryData) {
  LineService a(1), b(1);
  WsTestServer server(WsPortForwardProtocols(), Forward(PortForward({}), {a.port(), b.port()}));
  WsClient client(server.url("/portforward/token"), {"v4.channel.k8s.io"});
  EXPECT_EQ(client.protocol(), "v4.channel.k8s.io");
  std::map<int, std::string> first;
  for (int i = 0; i < 4; ++i) {
    auto m = client.Read();
    ASSERT_TRUE(m.has_value());
    first[m->channel] = m->data;
  }
  EXPECT_EQ(first[0], PortPrefix(a.port()));
  EXPECT_EQ(first[1], PortPrefix(a.port()));
  EXPECT_EQ(first[2], PortPrefix(b.port()));
  EXPECT_EQ(first[3], PortPrefix(b.port()));
  ASSERT_TRUE(client.Send(0, "to a\n"));
  ASSERT_TRUE(client.Send(2, "to "));
  ASSERT_TRUE(client.Send(2, "b\n"));
  ASSERT_TRUE(client.Send(1, "the error channel takes nothing in"));
  // Both services close after answering: the session ends with them.
  auto got = client.ReadAll();
  EXPECT_EQ(got[0], "got:to a\n");
  EXPECT_EQ(got[2], "got:to b\n");
  EXPECT_FALSE(got.contains(1));
  EXPECT_FALSE(got.contains(3));
  EXPECT_EQ(client.close_code(), 1000);
}

TEST(WsPortForwardTest, Base64Variant) {
  LineService a(1);
  WsTestServer server(WsPortForwardProtocols(), Forward(PortForward({a.port()}), {a.port()}));
  WsClient client(server.url("/portforward/token"), {"v4.base64.channel.k8s.io"});
  ASSERT_TRUE(client.base64());
  for (int i = 0; i < 2; ++i) {
    auto m = client.Read();
    ASSERT_TRUE(m.has_value());
    EXPECT_TRUE(client.last_text());
    EXPECT_EQ(m->data, PortPrefix(a.port()));
  }
  ASSERT_TRUE(client.Send(0, std::string("\0\xff\n", 3)));
  auto got = client.ReadAll();
  EXPECT_EQ(got[0], std::string("got:\0\xff\n", 7));
}

TEST(WsPortForwardTest, APortNotAllowedOrClosedGetsItsErrorChannel) {
  LineService a(1);
  const uint16_t closed = ClosedPort();
  const uint16_t other = static_cast<uint16_t>(a.port() == 65535 ? 1 : a.port() + 1);
  WsTestServer server(WsPortForwardProtocols(), Forward(PortForward({a.port(), closed}), {a.port(), other, closed}));
  WsClient client(server.url("/portforward/token"), {"v4.channel.k8s.io"});
  ASSERT_TRUE(client.Send(0, "fine\n"));
  std::map<int, std::string> got;
  while (auto m = client.Read()) {
    const bool prefix = got.count(m->channel) == 0;
    if (!prefix) got[m->channel] += m->data;
    if (prefix) got[m->channel] = "";  // skip each channel's port prefix
  }
  EXPECT_EQ(got[0], "got:fine\n");
  EXPECT_EQ(got[1], "");
  EXPECT_NE(got[3].find("error forwarding port " + std::to_string(other) + " to pod pod1"), std::string::npos)
      << got[3];
  EXPECT_NE(got[3].find("not one the PortForward request named"), std::string::npos) << got[3];
  EXPECT_NE(got[5].find("error forwarding port " + std::to_string(closed)), std::string::npos) << got[5];
  EXPECT_NE(got[5].find("refused"), std::string::npos) << got[5];
  EXPECT_EQ(got[4], "");
  EXPECT_EQ(client.close_code(), 1000);
}

TEST(WsPortForwardTest, AClientThatLeavesEndsTheForward) {
  // The service waits for a line that never comes; the client's close ends it.
  LineService a(1);
  WsTestServer server(WsPortForwardProtocols(), Forward(PortForward({}), {a.port()}));
  {
    WsClient client(server.url("/portforward/token"), {"v4.channel.k8s.io"});
    ASSERT_TRUE(client.Read().has_value());
    ASSERT_TRUE(client.Read().has_value());
    ASSERT_TRUE(client.Send(0, "no newline yet"));
    client.Close();
  }
  server.Join();  // returns: the forward ended
}

}  // namespace
}  // namespace berth::server::streaming
