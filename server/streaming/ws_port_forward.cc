#include "server/streaming/ws_port_forward.h"

#include <atomic>
#include <thread>

#include "server/streaming/port_forward.h"

namespace berth::server::streaming {
namespace {

// Client bytes not yet sent to their ports; past it the reader pauses.
constexpr size_t kInboxLimit = 4 << 20;

struct Session {
  WsConn& conn;
  const WsProtocol& protocol;
  const StreamRequest& request;
  ChannelInbox inbox;
  std::atomic<bool> client_gone{false};

  bool Send(uint8_t channel, std::string_view data) {
    return conn.Send(EncodeWsMessage(protocol.codec, channel, data));
  }
  void Forward(uint16_t port, uint8_t data_channel);
};

void Session::Forward(uint16_t port, uint8_t data_channel) {
  try {
    UniqueFd sock = ConnectForwardedPort(request, port);
    CopyBothWays(sock.get(), {.read = [&](std::string& d) { return inbox.Pop(data_channel, d); },
                              .write = [&](std::string_view d) { return Send(data_channel, d); },
                              // Nothing to half-close: the client's bytes for this port go nowhere now.
                              .close_write = [&] { inbox.Discard(data_channel); },
                              .client_gone = [&] { return client_gone.load(); }});
  } catch (const std::exception& e) {
    inbox.Discard(data_channel);
    // As Kubernetes words it, so clients print something familiar.
    Send(static_cast<uint8_t>(data_channel + 1),
         "error forwarding port " + std::to_string(port) + " to pod " + request.id + ": " + e.what());
  }
}

}  // namespace

void ServeWsPortForward(WsConn& conn, const WsProtocol& protocol, const StreamRequest& r,
                        const std::vector<uint16_t>& ports) {
  Session s{conn, protocol, r, ChannelInbox(kInboxLimit, [&conn] { conn.Resume(); })};
  const size_t channels = 2 * ports.size();
  conn.Start(
      [&](std::string&& message) {
        WsMessage m = DecodeWsMessage(protocol, message);
        // Data for a port; its error channel and anything else are ignored, as Kubernetes does.
        if (m.kind != WsMessage::Kind::kData || m.channel % 2 != 0 || m.channel >= channels) return true;
        return s.inbox.Push(m.channel, std::move(m.payload));
      },
      [&] {
        s.client_gone = true;
        s.inbox.EndAll();
      });
  for (size_t i = 0; i < channels; ++i) s.Send(static_cast<uint8_t>(i), PortPrefix(ports[i / 2]));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ports.size(); ++i) {
    threads.emplace_back([&s, port = ports[i], channel = static_cast<uint8_t>(2 * i)] { s.Forward(port, channel); });
  }
  for (auto& t : threads) t.join();
  conn.Close();
}

}  // namespace berth::server::streaming
