#include "server/streaming/port_forward.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "network/netns.h"
#include "storage/base/error.h"

namespace berth::server::streaming {
namespace {

constexpr std::chrono::seconds kConnectTimeout{10};

struct Pair {
  std::shared_ptr<spdy::Stream> data, error;
};

void Forward(spdy::Session& session, const StreamRequest& req, const Pair& p) {
  const std::string port_text = p.data->Header("port");
  try {
    long port = -1;
    try {
      port = std::stol(port_text);
    } catch (const std::exception&) {
      throw InvalidArgument("port header " + Quoted(port_text) + " is not a number");
    }
    UniqueFd sock = ConnectForwardedPort(req, port);
    CopyBothWays(sock.get(), {.read = [&](std::string& d) { return p.data->Read(d); },
                              .write = [&](std::string_view d) { return p.data->Write(d); },
                              // The pod's side is done: so is this connection for the
                              // client (kubectl waits for the error stream's end, then
                              // resets both), whether or not it has sent its end yet.
                              .close_write = [&] {
                                p.data->CloseWrite();
                                p.error->CloseWrite();
                              },
                              .client_gone = [&] { return session.closed(); }});
  } catch (const std::exception& e) {
    // As Kubernetes words it, so clients print something familiar.
    p.error->Write("error forwarding port " + port_text + " to pod " + req.id + ": " + e.what());
    p.data->CloseWrite();
  }
  p.error->CloseWrite();
}

}  // namespace

UniqueFd ConnectForwardedPort(const StreamRequest& req, long port) {
  if (port < 1 || port > 65535) throw InvalidArgument("port " + std::to_string(port) + " is not a TCP port (1-65535)");
  const auto p = static_cast<uint16_t>(port);
  if (!req.ports.empty() && std::find(req.ports.begin(), req.ports.end(), p) == req.ports.end()) {
    throw InvalidArgument("port " + std::to_string(port) + " is not one the PortForward request named");
  }
  return network::PinnedNetns::ConnectLocalPort(req.netns_path, p, kConnectTimeout);
}

void CopyBothWays(int sock, const ClientStream& client) {
  std::thread to_port([&] {
    std::string data;
    bool ok = true;
    while (ok && client.read(data)) {
      std::string_view rest = data;
      while (!rest.empty()) {
        const ssize_t n = ::send(sock, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ok = false;
          break;
        }
        rest.remove_prefix(static_cast<size_t>(n));
      }
    }
    // The client is done sending; if it left altogether, the other way ends too.
    ::shutdown(sock, client.client_gone() || !ok ? SHUT_RDWR : SHUT_WR);
  });
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      pollfd pfd{sock, POLLIN, 0};
      ::poll(&pfd, 1, -1);
      continue;
    }
    if (n <= 0 || !client.write(std::string_view(buf, static_cast<size_t>(n)))) break;
  }
  client.close_write();
  to_port.join();
}

void ServeSpdyPortForward(spdy::Session& session, const StreamRequest& req) {
  std::mutex mu;
  std::condition_variable idle;
  std::map<std::string, Pair> pending;
  int running = 0;  // detached workers: a long session forwards many connections
  session.Start([&](std::shared_ptr<spdy::Stream> s) {
    std::lock_guard lock(mu);
    const std::string request_id = s->Header("requestid");
    Pair& p = pending[request_id];
    (s->Header("streamtype") == "error" ? p.error : p.data) = std::move(s);
    if (!p.data || !p.error) return;
    Pair ready = std::move(p);
    pending.erase(request_id);
    ++running;
    try {
      std::thread([&, ready] {
        Forward(session, req, ready);
        std::lock_guard done(mu);
        if (--running == 0) idle.notify_all();
      }).detach();
    } catch (const std::system_error& e) {  // no thread to be had: this connection is refused
      --running;
      ready.error->Write(std::string("berthd cannot forward another connection now: ") + e.what());
      ready.error->CloseWrite();
      ready.data->CloseWrite();
    }
  });
  session.WaitClosed();
  std::unique_lock lock(mu);
  idle.wait(lock, [&] { return running == 0; });
}

}  // namespace berth::server::streaming
