#include "server/streaming/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include "pod/pods.h"
#include "server/listen_address.h"
#include "server/streaming/http_reply.h"
#include "server/streaming/port_forward.h"
#include "server/streaming/remote_command.h"
#include "server/streaming/spdy_streams.h"
#include "server/streaming/websocket.h"
#include "storage/base/error.h"
#include "storage/base/scope.h"

namespace berth::server::streaming {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr int kHandshakeTimeoutSeconds = 10;
// One thread each: past this many, new connections are closed at once.
constexpr int kMaxConnections = 1024;
// How long a client has, after the upgrade, to open the streams its request implies.
constexpr std::chrono::seconds kStreamCreationTimeout{30};

const char* KindPath(StreamRequest::Kind k) {
  switch (k) {
    case StreamRequest::Kind::kExec: return "exec";
    case StreamRequest::Kind::kAttach: return "attach";
    case StreamRequest::Kind::kPortForward: return "portforward";
  }
  return "";
}

// "/exec/<token>?..." -> (kind, token); nullopt for any other path.
std::optional<std::pair<StreamRequest::Kind, std::string>> Route(std::string_view target) {
  target = target.substr(0, target.find('?'));
  for (auto kind : {StreamRequest::Kind::kExec, StreamRequest::Kind::kAttach, StreamRequest::Kind::kPortForward}) {
    const std::string prefix = "/" + std::string(KindPath(kind)) + "/";
    if (target.starts_with(prefix) && target.size() > prefix.size()) {
      const std::string token(target.substr(prefix.size()));
      if (token.find('/') == std::string::npos) return std::make_pair(kind, token);
    }
  }
  return std::nullopt;
}

// Every X-Stream-Protocol-Version a client offers, in its order (repeated
// headers or comma-separated).
std::vector<std::string> OfferedProtocols(const http::request<http::empty_body>& req) {
  std::vector<std::string> out;
  for (const auto& f : req) {
    if (!beast::iequals(f.name_string(), "X-Stream-Protocol-Version")) continue;
    std::string_view v(f.value().data(), f.value().size());
    while (!v.empty()) {
      const size_t comma = v.find(',');
      std::string_view one = v.substr(0, comma);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (!one.empty()) out.emplace_back(one);
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace

struct StreamingServer::Impl {
  const config::Config& cfg;
  pod::Pods& pods;
  TokenCache tokens;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::string address;

  std::mutex mu;
  std::condition_variable idle;
  std::set<int> live;  // fds of upgraded connections, shut down when berthd stops
  int connections = 0;
  bool stopping = false;

  Impl(const config::Config& c, pod::Pods& p) : cfg(c), pods(p), tokens(c.streaming.token_ttl) {}

  void AcceptLoop();
  void Serve(tcp::socket sock);
  void ServeSpdy(tcp::socket& sock, beast::flat_buffer& buf, const http::request<http::empty_body>& req,
                 const StreamRequest& r);
  void Track(int fd, bool add) {
    std::lock_guard lock(mu);
    add ? (void)live.insert(fd) : (void)live.erase(fd);
  }
};

void StreamingServer::Impl::AcceptLoop() {
  for (;;) {
    beast::error_code ec;
    tcp::socket sock(io);
    acceptor.accept(sock, ec);
    std::unique_lock lock(mu);
    if (stopping) return;
    if (ec) {
      spdlog::warn("streaming server: accept: {}", ec.message());
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // EMFILE and the like: do not spin
      continue;
    }
    if (connections >= kMaxConnections) {
      spdlog::warn("streaming server: {} connections open, refusing another", connections);
      continue;  // the socket closes as it goes out of scope
    }
    ++connections;
    try {
      std::thread([this, s = std::move(sock)]() mutable {
        try {
          Serve(std::move(s));
        } catch (const std::exception& e) {
          spdlog::warn("streaming connection failed: {}", e.what());
        }
        std::lock_guard done(mu);
        if (--connections == 0) idle.notify_all();
      }).detach();
    } catch (const std::system_error& e) {  // no thread to be had: this connection is dropped
      --connections;
      spdlog::warn("streaming server: cannot start a thread for a connection: {}", e.what());
    }
  }
}

void StreamingServer::Impl::Serve(tcp::socket sock) {
  SetSocketTimeouts(sock.native_handle(), kHandshakeTimeoutSeconds);
  // Small frames (SYN_REPLY, WINDOW_UPDATE, a status) must not wait for
  // the peer's delayed ACK: Nagle would add ~40 ms to each round trip.
  beast::error_code nodelay_ec;
  sock.set_option(tcp::no_delay(true), nodelay_ec);
  beast::flat_buffer buf;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);
  beast::error_code ec;
  http::read(sock, buf, parser, ec);
  if (ec) return;  // gone, timed out, or not HTTP
  const auto& req = parser.get();
  const auto route = Route(std::string_view(req.target().data(), req.target().size()));
  if (!route) return ReplyText(sock, req.version(), http::status::not_found, "not found: berthd serves /exec, /attach and /portforward URLs");
  std::optional<StreamRequest> r = tokens.Consume(route->second);
  if (!r || r->kind != route->first) {
    return ReplyText(sock, req.version(), http::status::not_found, "unknown, used or expired token: ask the CRI for a new URL");
  }
  if (beast::websocket::is_upgrade(req)) {
    SetSocketTimeouts(sock.native_handle(), 0);
    const int fd = sock.native_handle();
    Track(fd, true);
    ScopeExit untrack([&] { Track(fd, false); });  // on every path: a stale number would shut another fd down
    ServeWebSocket(std::move(sock), req, *r, pods);
    return;
  }
  if (!beast::iequals(req[http::field::upgrade], "SPDY/3.1")) {
    return ReplyText(sock, req.version(), http::status::bad_request,
                  "a streaming URL needs an upgrade to SPDY/3.1 or to a WebSocket");
  }
  ServeSpdy(sock, buf, req, *r);
}

void StreamingServer::Impl::ServeSpdy(tcp::socket& sock, beast::flat_buffer& buf,
                                      const http::request<http::empty_body>& req, const StreamRequest& r) {
  const bool forward = r.kind == StreamRequest::Kind::kPortForward;
  const auto& supported = forward ? PortForwardProtocols() : RemoteCommandProtocols();
  const std::vector<std::string> offered = OfferedProtocols(req);
  const std::string chosen = NegotiateProtocol(offered, supported);
  if (chosen.empty() && !(forward && offered.empty())) {
    std::string list;
    for (const auto& p : supported) list += (list.empty() ? "" : ", ") + p;
    return ReplyText(sock, req.version(), http::status::forbidden,
                  "unable to upgrade: unable to negotiate protocol: berthd supports " + list);
  }
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
  if (!chosen.empty()) head += "X-Stream-Protocol-Version: " + chosen + "\r\n";
  head += "\r\n";
  beast::error_code ec;
  asio::write(sock, asio::buffer(head), ec);
  if (ec) return;
  SetSocketTimeouts(sock.native_handle(), 0);  // a session may idle for long
  UniqueFd fd(::dup(sock.native_handle()));
  if (!fd) throw SysError("dup a streaming connection");
  sock.close(ec);
  const int raw = fd.get();
  Track(raw, true);
  ScopeExit untrack([&] { Track(raw, false); });
  const std::string already = beast::buffers_to_string(buf.data());
  spdy::Session session(std::make_unique<spdy::FdTransport>(std::move(fd)), spdy::Role::kServer, already);
  if (forward) {
    ServeSpdyPortForward(session, r);
  } else {
    SpdyChannels ch(session, r, chosen[1] - '0');
    if (ch.Await(kStreamCreationTimeout)) {
      ServeRemoteCommand(ch, r, pods);
    } else {
      spdlog::info("streaming: the client opened not all the streams of its {} in {} s", KindPath(r.kind),
                   kStreamCreationTimeout.count());
    }
  }
  session.Close();
}

StreamingServer::StreamingServer(const config::Config& cfg, pod::Pods& pods)
    : impl_(std::make_unique<Impl>(cfg, pods)) {
  const ListenAddress a = ParseListenAddress(cfg.streaming.address, "streaming.address");
  const tcp::endpoint ep{asio::ip::make_address(a.ip), a.port};
  boost::system::error_code ec;
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw Internal("streaming server: listen on " + cfg.streaming.address + ": " + ec.message());
  const auto bound = impl_->acceptor.local_endpoint();
  impl_->address = JoinHostPort(bound.address().to_string(), bound.port());
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
}

StreamingServer::~StreamingServer() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    for (int fd : impl_->live) ::shutdown(fd, SHUT_RDWR);  // sessions end; exec'd processes are killed
  }
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);  // unblocks accept
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  std::unique_lock lock(impl_->mu);
  impl_->idle.wait_for(lock, std::chrono::seconds(10), [&] { return impl_->connections == 0; });
}

std::string StreamingServer::Url(StreamRequest r) {
  const char* kind = KindPath(r.kind);
  return "http://" + impl_->address + "/" + kind + "/" + impl_->tokens.Insert(std::move(r));
}

std::string StreamingServer::address() const { return impl_->address; }

}  // namespace berth::server::streaming
