#pragma once
// One WebSocket connection served in-process for the ws_* tests: the
// upgrade negotiated as ServeWebSocket does it (which needs a berthd), then
// the test's own serving on the accepted connection, on a thread of its own.

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "server/streaming/ws_conn.h"
#include "server/streaming/ws_framing.h"

namespace berth::server::streaming {

class WsTestServer {
 public:
  using Serve = std::function<void(WsConn&, const WsProtocol&)>;

  WsTestServer(const std::vector<WsProtocol>& served, Serve serve) {
    namespace http = boost::beast::http;
    using tcp = boost::asio::ip::tcp;
    acceptor_.open(tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, served, serve = std::move(serve)] {
      try {
        tcp::socket sock(io_);
        acceptor_.accept(sock);
        boost::beast::flat_buffer buf;
        http::request<http::empty_body> req;
        http::read(sock, buf, req);
        std::vector<std::string> offered;
        for (const auto& f : req) {
          if (f.name() == http::field::sec_websocket_protocol) {
            SplitHeaderList(std::string_view(f.value().data(), f.value().size()), offered);
          }
        }
        const auto chosen = ChooseWsProtocol(offered, served);
        if (!chosen) {
          http::response<http::string_body> res{http::status::forbidden, req.version()};
          res.body() = "no shared subprotocol";
          res.prepare_payload();
          http::write(sock, res);
          return;
        }
        WsConn conn(std::move(sock));
        if (!conn.Accept(req, chosen->name, chosen->codec == WsCodec::kBinary)) return;
        serve(conn, *chosen);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "test server: " << e.what();
      }
    });
  }
  ~WsTestServer() { Join(); }
  // Waits for the serving to end.
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  std::string url(const std::string& path = "/exec/token") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace berth::server::streaming
