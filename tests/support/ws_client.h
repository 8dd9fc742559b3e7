#pragma once
// A WebSocket client for the streaming server's channel.k8s.io protocols,
// for tests: it connects to an Exec/Attach/PortForward URL offering
// subprotocols, then sends and reads channel messages (binary: a channel
// byte, then the bytes; base64 variants: a channel digit, then base64).
// Blocking and single-threaded: each call runs the client's own io_context
// until its operation completes, or throws std::runtime_error when the
// timeout passes first. Its base64 is its own, so it checks berthd's.

// GCC 12 reports Asio's scheduler code as a potential null dereference
// wherever it is inlined (see server/CMakeLists.txt). Silenced here for
// Asio's own lines, which works when this header is the first to bring
// Asio into a file; otherwise compile the file with -Wno-null-dereference.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace berth::testing {

// The server answered the upgrade with an HTTP status instead.
class WsRefused : public std::runtime_error {
 public:
  WsRefused(int status, std::string body)
      : std::runtime_error("websocket upgrade refused: " + std::to_string(status) + " " + body),
        status_(status),
        body_(std::move(body)) {}
  int status() const { return status_; }
  const std::string& body() const { return body_; }

 private:
  int status_;
  std::string body_;
};

namespace ws_detail {

inline constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline std::string Base64(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto a = static_cast<unsigned char>(in[i]), b = static_cast<unsigned char>(in[i + 1]),
               c = static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[a >> 2], kAlphabet[((a & 3) << 4) | (b >> 4)], kAlphabet[((b & 15) << 2) | (c >> 6)],
            kAlphabet[c & 63]};
  }
  if (i + 1 == in.size()) {
    const auto a = static_cast<unsigned char>(in[i]);
    out += {kAlphabet[a >> 2], kAlphabet[(a & 3) << 4], '=', '='};
  } else if (i + 2 == in.size()) {
    const auto a = static_cast<unsigned char>(in[i]), b = static_cast<unsigned char>(in[i + 1]);
    out += {kAlphabet[a >> 2], kAlphabet[((a & 3) << 4) | (b >> 4)], kAlphabet[(b & 15) << 2], '='};
  }
  return out;
}

inline std::string Unbase64(std::string_view in) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char ch : in) {
    if (ch == '=') break;
    const char* p = std::char_traits<char>::find(kAlphabet, 64, ch);
    if (!p) throw std::runtime_error("websocket client: the server sent bad base64");
    bits = (bits << 6) | static_cast<unsigned>(p - kAlphabet);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

}  // namespace ws_detail

class WsClient {
 public:
  struct Message {
    int channel;
    std::string data;  // decoded
  };

  // Connects to `url` (http://host:port/path?query) offering `protocols`
  // in order (none: no Sec-WebSocket-Protocol). Throws WsRefused when the
  // server answers with a status, std::runtime_error otherwise.
  WsClient(const std::string& url, const std::vector<std::string>& protocols,
           std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : timeout_(timeout) {
    std::string_view rest = url;
    for (std::string_view scheme : {"http://", "ws://"}) {
      if (rest.starts_with(scheme)) rest.remove_prefix(scheme.size());
    }
    const size_t slash = rest.find('/');
    const std::string authority(rest.substr(0, slash));
    const std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const size_t colon = authority.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("websocket client: no port in " + url);
    boost::asio::ip::tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(authority.substr(0, colon), authority.substr(colon + 1));
    Check(Run([&](auto h) { boost::asio::async_connect(ws_.next_layer(), endpoints, h); }), "connect");
    boost::beast::error_code ignored;
    ws_.next_layer().set_option(boost::asio::ip::tcp::no_delay(true), ignored);

    std::string offer;
    for (const auto& p : protocols) offer += (offer.empty() ? "" : ", ") + p;
    ws_.set_option(boost::beast::websocket::stream_base::decorator(
        [offer](boost::beast::websocket::request_type& req) {
          if (!offer.empty()) req.set(boost::beast::http::field::sec_websocket_protocol, offer);
        }));
    boost::beast::websocket::response_type res;
    const auto ec = Run([&](auto h) { ws_.async_handshake(res, authority, target, h); });
    if (ec == boost::beast::websocket::error::upgrade_declined) throw WsRefused(res.result_int(), res.body());
    Check(ec, "handshake");
    const auto chosen = res[boost::beast::http::field::sec_websocket_protocol];
    protocol_.assign(chosen.data(), chosen.size());
    base64_ = protocol_.find("base64") != std::string::npos;
    ws_.binary(!base64_);
    open_ = true;
  }

  ~WsClient() {
    try {
      Close();
    } catch (const std::exception&) {
      // a test that failed midway: nothing more to learn
    }
  }
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  const std::string& protocol() const { return protocol_; }  // "" when the server named none
  bool base64() const { return base64_; }

  // False when the connection is gone.
  bool Send(uint8_t channel, std::string_view bytes) {
    if (base64_) return SendRaw(static_cast<char>('0' + channel) + ws_detail::Base64(bytes));
    return SendRaw(static_cast<char>(channel) + std::string(bytes));
  }
  // v5's close of one channel (stdin: its EOF).
  bool CloseChannel(uint8_t channel) {
    return SendRaw(std::string{static_cast<char>(255), static_cast<char>(channel)});
  }
  bool Resize(uint16_t width, uint16_t height) {
    return Send(4, "{\"Width\":" + std::to_string(width) + ",\"Height\":" + std::to_string(height) + "}");
  }
  // A ping; the server's pong is taken in by a later Read.
  bool Ping() {
    return !Run([&](auto h) { ws_.async_ping({}, h); });
  }
  // One message exactly as given.
  bool SendRaw(const std::string& message) {
    return !Run([&](auto h) { ws_.async_write(boost::asio::buffer(message), h); });
  }

  // The next message; nullopt at the end: the server closed (close_code()
  // says how) or the connection failed (close_code() -1).
  std::optional<Message> Read() {
    if (!open_) return std::nullopt;
    boost::beast::flat_buffer buf;
    const auto ec = Run([&](auto h) { ws_.async_read(buf, h); });
    if (ec) {
      open_ = false;
      close_code_ = ec == boost::beast::websocket::error::closed ? ws_.reason().code : -1;
      return std::nullopt;
    }
    last_text_ = ws_.got_text();
    std::string m = boost::beast::buffers_to_string(buf.data());
    if (m.empty()) throw std::runtime_error("websocket client: an empty message has no channel");
    if (base64_) return Message{m[0] - '0', ws_detail::Unbase64(std::string_view(m).substr(1))};
    return Message{static_cast<unsigned char>(m[0]), m.substr(1)};
  }
  // Everything until the end, joined per channel (a channel whose
  // messages were all empty is there, empty).
  std::map<int, std::string> ReadAll() {
    std::map<int, std::string> out;
    while (auto m = Read()) out[m->channel] += m->data;
    return out;
  }

  // A normal close from our side.
  void Close() {
    if (!open_) return;
    open_ = false;
    Run([&](auto h) { ws_.async_close(boost::beast::websocket::close_code::normal, h); });
  }
  int close_code() const { return close_code_; }
  bool last_text() const { return last_text_; }  // the last message read came as text

 private:
  // Starts an operation with a handler and runs until it completed.
  template <class Start>
  boost::beast::error_code Run(Start start) {
    bool done = false;
    boost::beast::error_code result;
    start([&](boost::beast::error_code ec, auto&&...) {
      done = true;
      result = ec;
    });
    io_.restart();
    io_.run_for(timeout_);
    if (!done) {
      boost::beast::error_code ignored;
      ws_.next_layer().close(ignored);  // the operation ends with an error
      io_.restart();
      io_.run();
      open_ = false;
      throw std::runtime_error("websocket client: timed out");
    }
    return result;
  }
  static void Check(boost::beast::error_code ec, const char* what) {
    if (ec) throw std::runtime_error(std::string("websocket client: ") + what + ": " + ec.message());
  }

  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_{io_};
  std::string protocol_;
  bool base64_ = false, open_ = false, last_text_ = false;
  int close_code_ = 0;
};

}  // namespace berth::testing
