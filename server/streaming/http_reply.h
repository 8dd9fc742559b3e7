#pragma once
// A plain-text HTTP answer that ends the connection: how the streaming
// server refuses a request it will not upgrade (404, 400, 403).

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <string>

namespace berth::server::streaming {

inline void ReplyText(boost::asio::ip::tcp::socket& sock, unsigned version, boost::beast::http::status status,
                      const std::string& text) {
  namespace http = boost::beast::http;
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, "berthd");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.keep_alive(false);
  res.body() = text + "\n";
  res.prepare_payload();
  boost::beast::error_code ec;
  http::write(sock, res, ec);
  sock.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace berth::server::streaming
