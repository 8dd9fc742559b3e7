#pragma once
// The streaming protocols over a WebSocket, as newer kubectl and kubelet
// speak them: remote command on the channel.k8s.io subprotocols (v5 with
// its close message for stdin, v4, and the base64 variants), each message
// prefixed by its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize);
// port-forward on v4.channel.k8s.io / portforward.k8s.io with a data and an
// error channel per port.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include "server/streaming/token_cache.h"

namespace berth::pod {
class Pods;
}

namespace berth::server::streaming {

// Completes the WebSocket handshake on `sock` (the upgrade request already
// read) with a subprotocol both sides speak — or refuses it (400) — and
// serves `r` over it until it ends or the client leaves.
void ServeWebSocket(boost::asio::ip::tcp::socket sock,
                    const boost::beast::http::request<boost::beast::http::empty_body>& req, const StreamRequest& r,
                    pod::Pods& pods);

}  // namespace berth::server::streaming
