#pragma once
// The streaming server on streaming.address: the URLs Exec, Attach and
// PortForward hand out lead here (/exec/<token>, /attach/<token>,
// /portforward/<token>). A client upgrades the connection to SPDY/3.1
// (kubectl, crictl, the kubelet) or to a WebSocket (channel.k8s.io
// subprotocols) and the request behind the token runs over it. A token is
// single-use and expires after streaming.token_ttl; an unknown, used or
// expired one gets 404. One thread per connection.

#include <memory>
#include <string>

#include "config/config.h"
#include "server/streaming/token_cache.h"

namespace berth::pod {
class Pods;
}

namespace berth::server::streaming {

class StreamingServer {
 public:
  // Listens on cfg.streaming.address (port 0: one the kernel picks). Throws
  // berth::Error: INVALID_ARGUMENT naming streaming.address for a malformed
  // address, INTERNAL when it cannot bind.
  StreamingServer(const config::Config& cfg, pod::Pods& pods);
  ~StreamingServer();  // stops accepting, ends the sessions, waits for them
  StreamingServer(const StreamingServer&) = delete;
  StreamingServer& operator=(const StreamingServer&) = delete;

  // Stores `r` and returns its URL: http://<address>/<kind>/<token>.
  std::string Url(StreamRequest r);
  // "127.0.0.1:40123"
  std::string address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::server::streaming
