#pragma once
// Port-forward over a WebSocket (v4.channel.k8s.io and its base64 variant,
// as the kubelet serves it): for the i-th port, channel 2i carries data both
// ways and channel 2i+1 the server's error, and each begins with the port
// (PortPrefix). One TCP connection per port, made as the session starts.

#include <cstdint>
#include <vector>

#include "server/streaming/token_cache.h"
#include "server/streaming/ws_conn.h"
#include "server/streaming/ws_framing.h"

namespace berth::server::streaming {

// Serves `ports` for `r` on `conn` (accepted with `protocol`). A port that
// cannot be reached, or that `r` does not allow, gets the reason on its
// error channel. Returns, having closed `conn`, once every port's
// connection ended (a WebSocket has no half-close: the port's end of it
// ends it), or when the client left.
void ServeWsPortForward(WsConn& conn, const WsProtocol& protocol, const StreamRequest& r,
                        const std::vector<uint16_t>& ports);

}  // namespace berth::server::streaming
