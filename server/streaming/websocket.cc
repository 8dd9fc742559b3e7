#include "server/streaming/websocket.h"

#include <boost/beast/core.hpp>
#include <string>
#include <vector>

#include "server/streaming/http_reply.h"
#include "server/streaming/remote_command.h"
#include "server/streaming/ws_channels.h"
#include "server/streaming/ws_conn.h"
#include "server/streaming/ws_framing.h"
#include "server/streaming/ws_port_forward.h"
#include "storage/base/error.h"

namespace berth::server::streaming {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// Two channels each, numbered by one byte (255 is v5's close), and a thread
// and a connection each: a bound well past what kubectl asks for.
constexpr size_t kMaxForwardedPorts = 32;

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// Every subprotocol the client offers, in its order.
std::vector<std::string> OfferedWsProtocols(const http::request<http::empty_body>& req) {
  std::vector<std::string> out;
  for (const auto& f : req) {
    if (f.name() == http::field::sec_websocket_protocol) SplitHeaderList(View(f.value()), out);
  }
  return out;
}

std::string Names(const std::vector<WsProtocol>& protocols) {
  std::string out;
  for (const auto& p : protocols) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

void Refuse(tcp::socket& sock, const http::request<http::empty_body>& req, http::status status,
            const std::string& text) {
  ReplyText(sock, req.version(), status, text);
}

// The ports to forward: the URL's, else the PortForward request's.
std::vector<uint16_t> ForwardedPorts(const http::request<http::empty_body>& req, const StreamRequest& r) {
  std::vector<uint16_t> ports = QueryPorts(View(req.target()));
  if (ports.empty()) ports = r.ports;
  if (ports.empty()) throw InvalidArgument("query parameter \"port\" is required");
  if (ports.size() > kMaxForwardedPorts) {
    throw InvalidArgument("at most " + std::to_string(kMaxForwardedPorts) + " ports can be forwarded at once");
  }
  return ports;
}

}  // namespace

void ServeWebSocket(tcp::socket sock, const http::request<http::empty_body>& req, const StreamRequest& r,
                    pod::Pods& pods) {
  const bool forward = r.kind == StreamRequest::Kind::kPortForward;
  const auto& served = forward ? WsPortForwardProtocols() : WsRemoteCommandProtocols();
  const std::vector<std::string> offered = OfferedWsProtocols(req);
  const std::optional<WsProtocol> chosen = ChooseWsProtocol(offered, served);
  if (!chosen) {
    std::string asked;
    for (const auto& p : offered) asked += (asked.empty() ? "" : ", ") + p;
    // 403 as for SPDY (and Kubernetes' own server); the offer as quoted, bounded.
    return Refuse(sock, req, http::status::forbidden,
                  "unable to upgrade: none of the WebSocket subprotocols offered (" + Quoted(asked, 200) +
                      ") is served here; berthd serves " + Names(served));
  }
  std::vector<uint16_t> ports;
  if (forward) {
    try {
      ports = ForwardedPorts(req, r);
    } catch (const Error& e) {
      return Refuse(sock, req, http::status::bad_request, std::string("unable to upgrade: ") + e.what());
    }
  }
  WsConn conn(std::move(sock));
  if (!conn.Accept(req, chosen->name, chosen->codec == WsCodec::kBinary)) return;
  if (forward) {
    ServeWsPortForward(conn, *chosen, r, ports);
    return;
  }
  WsChannels channels(conn, *chosen, r);
  ServeRemoteCommand(channels, r, pods);
}

}  // namespace berth::server::streaming
