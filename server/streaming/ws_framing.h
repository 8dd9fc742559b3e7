#pragma once
// The channel framing of Kubernetes' WebSocket streaming protocols, as
// k8s.io/apimachinery's wsstream speaks it. Binary subprotocols prefix each
// message with its channel byte; base64 ones are text messages whose first
// character is the channel digit and the rest base64 of the payload. v5
// adds a close message: byte 255 then the channel the client closes (its
// stdin EOF). Remote command channels: 0 stdin, 1 stdout, 2 stderr, 3 error,
// 4 resize; port-forward: 2i data and 2i+1 error for the i-th port.
// Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::server::streaming {

enum class WsCodec { kBinary, kBase64 };

struct WsProtocol {
  std::string name;  // as answered in Sec-WebSocket-Protocol; "" when the client offered none
  WsCodec codec = WsCodec::kBinary;
  int status_version = 4;     // for ErrorStreamMessage: 2 (before v4: only a failure's text), 4, 5
  bool stream_close = false;  // v5: the client may close a channel
};

// What berthd serves, newest first: v5, v4, v4.base64, channel.k8s.io and
// base64.channel.k8s.io for exec and attach; v4 and v4.base64 for
// port-forward (as the kubelet: portforward.k8s.io is SPDY's).
const std::vector<WsProtocol>& WsRemoteCommandProtocols();
const std::vector<WsProtocol>& WsPortForwardProtocols();

// Kubernetes' rule: the first protocol in the client's order that `served`
// has. A client that offers none gets the unnamed binary protocol (as the
// kubelet's "" entry); nullopt when nothing is shared.
std::optional<WsProtocol> ChooseWsProtocol(const std::vector<std::string>& offered,
                                           const std::vector<WsProtocol>& served);

// A header's comma-separated values, trimmed, appended to `out`.
void SplitHeaderList(std::string_view value, std::vector<std::string>& out);

inline constexpr uint8_t kWsStdin = 0, kWsStdout = 1, kWsStderr = 2, kWsError = 3, kWsResize = 4;
inline constexpr uint8_t kWsCloseSignal = 255;  // v5: followed by the closed channel

// One message for `channel`.
std::string EncodeWsMessage(WsCodec codec, uint8_t channel, std::string_view payload);

struct WsMessage {
  enum class Kind { kData, kClose, kIgnored } kind = Kind::kIgnored;
  uint8_t channel = 0;
  std::string payload;
};
// A client's message: data for a channel, a v5 close of one, or something
// to ignore (empty, bad base64, a close outside v5 or malformed), as
// Kubernetes ignores it.
WsMessage DecodeWsMessage(const WsProtocol& protocol, std::string_view message);

// Standard base64 with padding; decoding is strict (Go's StdEncoding):
// nullopt for anything else.
std::string EncodeBase64(std::string_view data);
std::optional<std::string> DecodeBase64(std::string_view text);

// The ports a port-forward URL names in its query: every "port" parameter,
// each a port or a comma-separated list ("?port=80&port=81,82"), in order;
// empty when there is none. Throws berth::Error INVALID_ARGUMENT for a value
// that is not a port (1-65535).
std::vector<uint16_t> QueryPorts(std::string_view target);

// The first message on both channels of a forwarded port: the port as two
// bytes, little-endian.
std::string PortPrefix(uint16_t port);

}  // namespace berth::server::streaming
