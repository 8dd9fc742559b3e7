#include "conmon/start_socket.h"

#include <poll.h>
#include <sys/socket.h>

#include "conmon/sys_error.h"
#include "storage/base/unix_address.h"

namespace berth::conmon {

StartSocket::StartSocket(std::string path) : path_(std::move(path)) {
  listen_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_) ThrowSys("socket for the start socket");
  UnixAddress addr(path_);
  if (!addr.ok()) ThrowSys("start socket address " + path_);
  ::unlink(path_.c_str());
  if (::bind(listen_.get(), addr.get(), addr.size()) != 0) ThrowSys("bind " + path_);
  if (::listen(listen_.get(), 4) != 0) ThrowSys("listen " + path_);
}

StartSocket::~StartSocket() { ::unlink(path_.c_str()); }

std::string StartSocket::Accept(Fd& conn) const {
  conn.reset(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return "";
  // berthd sends its request right after connecting; a peer that sends
  // nothing within a second is dropped rather than hang the monitor.
  pollfd p{conn.get(), POLLIN, 0};
  if (::poll(&p, 1, 1000) != 1) return "";
  char buf[64];
  const ssize_t n = ::recv(conn.get(), buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

void StartSocket::Reply(const Fd& conn, std::string_view text) {
  // A peer gone meanwhile (berthd killed) loses the answer, not the container.
  (void)::send(conn.get(), text.data(), text.size(), MSG_NOSIGNAL);
}

}  // namespace berth::conmon
