#pragma once
// Port-forward (CRI PortForward): each connection a client forwards becomes
// a TCP connection to the port on localhost inside the pod's network
// namespace (the host's, for a host-network pod), made by berthd itself:
// no tool from the image runs. Many connections run at once; a port that
// cannot be reached is reported on that connection's error stream.

#include <cstdint>
#include <functional>
#include <string>

#include "server/streaming/spdy_session.h"
#include "server/streaming/token_cache.h"
#include "storage/base/unique_fd.h"

namespace berth::server::streaming {

// portforward.k8s.io over SPDY: per connection the client opens an "error"
// and a "data" stream with the same "requestid" and a "port" header.
// Returns when the client closes the session.
void ServeSpdyPortForward(spdy::Session& session, const StreamRequest& req);

// The connection to `port` for `req` (a port it allows, inside its pod's
// netns). Throws berth::Error naming the port: INVALID_ARGUMENT for a port
// the request did not name, the connect's errno otherwise.
UniqueFd ConnectForwardedPort(const StreamRequest& req, long port);

// Copies between `sock` and a client's byte stream until both directions
// ended: `read` gives the client's next bytes (false at its end: the socket
// is then shut for writing, or wholly when `client_gone` says so), `write`
// sends the socket's bytes to the client, `close_write` ends that direction
// (it runs as soon as the socket's side ends, before the client's has).
struct ClientStream {
  std::function<bool(std::string&)> read;
  std::function<bool(std::string_view)> write;
  std::function<void()> close_write;
  std::function<bool()> client_gone;
};
void CopyBothWays(int sock, const ClientStream& client);

}  // namespace berth::server::streaming
