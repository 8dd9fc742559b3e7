#include "conmon/attach.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "conmon/sys_error.h"
#include "storage/base/unix_address.h"

namespace berth::conmon {
namespace {

// Messages read from one client per wakeup, so one busy client cannot
// starve the container's output or the other clients.
constexpr int kReadBurst = 16;
// Written input is cut from the queue's front in pieces at least this big.
constexpr size_t kCompactAt = 64 * 1024;

enum class SendResult { kSent, kFull, kFailed };

SendResult TrySend(int fd, const std::string& msg) {
  for (;;) {
    if (::send(fd, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return SendResult::kSent;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? SendResult::kFull : SendResult::kFailed;
  }
}

}  // namespace

void StdinSink::TakePipe(Fd write_end) {
  if (::fcntl(write_end.get(), F_SETFL, O_NONBLOCK) != 0) ThrowSys("fcntl O_NONBLOCK on the stdin pipe");
  pipe_ = std::move(write_end);
  target_ = pipe_.get();
}

void StdinSink::UseConsole(int master, bool input) {
  console_ = master;  // non-blocking already (Supervisor::TakeConsole)
  if (input) target_ = master;
}

void StdinSink::Write(std::string_view data) {
  if (target_ < 0 || close_pending_) return;
  queue_.append(data);
  Flush();
}

void StdinSink::Close() {
  // With a tty, stdin is the terminal: closing the master would hang it up
  // (SIGHUP to the container's session, its output gone), not give the
  // program an EOF. A client wanting EOF on a tty sends the EOF character
  // (^D) as input, as a terminal would.
  if (console_ >= 0 || target_ < 0) return;
  close_pending_ = true;
  Flush();
}

void StdinSink::Resize(WindowSize size) const {
  if (console_ < 0) return;
  winsize ws{};
  ws.ws_row = size.rows;
  ws.ws_col = size.cols;
  ::ioctl(console_, TIOCSWINSZ, &ws);  // best effort: the terminal may be gone
}

pollfd StdinSink::Watch() const { return {queued() ? target_ : -1, POLLOUT, 0}; }

void StdinSink::Flush() {
  while (target_ >= 0 && queued()) {
    const ssize_t n = ::write(target_, queue_.data() + written_, queue_.size() - written_);
    if (n > 0) {
      written_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Stop();  // EPIPE (or a tty's EIO): nobody reads the container's stdin any more
    return;
  }
  if (!queued()) {
    queue_.clear();
    written_ = 0;
  } else if (written_ >= kCompactAt) {
    queue_.erase(0, written_);
    written_ = 0;
  }
  if (!queued() && close_pending_) Stop();
}

void StdinSink::Stop() {
  queue_.clear();
  written_ = 0;
  close_pending_ = false;
  pipe_.reset();
  target_ = -1;
}

AttachServer::AttachServer(std::string path) : path_(std::move(path)) {
  listen_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_) ThrowSys("socket for the attach socket");
  UnixAddress addr(path_);
  if (!addr.ok()) ThrowSys("attach socket address " + path_);
  ::unlink(path_.c_str());
  // 0600 from the start: whoever connects reads the container's output and
  // writes its stdin (conmon is single-threaded: the umask is its own).
  const mode_t old_umask = ::umask(0177);
  const int bound = ::bind(listen_.get(), addr.get(), addr.size());
  const int bind_errno = errno;
  ::umask(old_umask);
  if (bound != 0) ThrowSys("bind " + path_, bind_errno);
  if (::listen(listen_.get(), 16) != 0) {
    const int err = errno;
    ::unlink(path_.c_str());
    ThrowSys("listen " + path_, err);
  }
}

AttachServer::~AttachServer() {
  CloseListener();
  for (Client& c : clients_) Disconnect(c);
}

size_t AttachServer::clients() const {
  return static_cast<size_t>(std::count_if(clients_.begin(), clients_.end(), [](const Client& c) { return !c.dead; }));
}

void AttachServer::Broadcast(Stream stream, std::string_view data) {
  if (clients_.empty()) return;
  const AttachKind kind = stream == Stream::kStderr ? AttachKind::kStderr : AttachKind::kStdout;
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kAttachMaxPayload);
    const std::string msg = EncodeAttach(kind, data.substr(0, n));
    data.remove_prefix(n);
    for (Client& c : clients_) Send(c, msg);
  }
}

void AttachServer::Watch(std::vector<pollfd>& fds) {
  std::erase_if(clients_, [](const Client& c) { return c.dead; });
  fds.push_back({listen_ ? listen_.get() : -1, POLLIN, 0});
  fds.push_back(input_.Watch());
  for (const Client& c : clients_) {
    const short events = Events(c);
    // One gone with input left is polled again once stdin has room (else its POLLHUP would spin).
    fds.push_back({events == 0 && c.hung_up ? -1 : c.fd.get(), events, 0});
  }
}

short AttachServer::Events(const Client& c) const {
  short events = 0;
  if (!c.input_ended && !input_.full()) events |= POLLIN;
  if (!c.out.empty()) events |= POLLOUT;
  return events;
}

void AttachServer::Serve(std::span<const pollfd> fds) {
  if (fds.size() < 2) return;
  if (fds[1].revents != 0) input_.OnWritable();
  for (size_t i = 0; i + 2 < fds.size() && i < clients_.size(); ++i) {
    Client& c = clients_[i];
    const pollfd& p = fds[i + 2];
    // Broadcast may have dropped it since Watch.
    if (!c.dead && p.revents != 0 && p.fd == c.fd.get()) ServeClient(c, p.revents);
  }
  if (fds[0].revents != 0) Accept();  // last: new clients have no entry in `fds`
}

void AttachServer::ServeClient(Client& c, short revents) {
  if ((revents & POLLOUT) != 0) SendQueued(c);
  if (!c.dead && (revents & (POLLIN | POLLHUP | POLLERR)) != 0) ReadInput(c, revents);
}

void AttachServer::ReadInput(Client& c, short revents) {
  const bool gone = (revents & (POLLHUP | POLLERR)) != 0;
  if (c.input_ended) {  // only a hangup wakes it now
    if (gone) Disconnect(c);
    return;
  }
  for (int i = 0; i < kReadBurst; ++i) {
    if (input_.full()) {
      if (gone) {  // its input is read once stdin has room; its output has no reader
        c.hung_up = true;
        c.out.clear();
        c.out_bytes = 0;
      }
      return;
    }
    char buf[kAttachMaxMessage];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(c.fd.get(), &msg, MSG_DONTWAIT);
    if (n > 0 && (msg.msg_flags & MSG_TRUNC) == 0) {
      Handle(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n == 0 && !gone) {
      c.input_ended = true;  // shutdown(SHUT_WR): it still reads the output
      return;
    }
    Disconnect(c);  // gone, failed, or a message over the limit
    return;
  }
}

void AttachServer::Handle(std::string_view datagram) {
  const auto msg = DecodeAttach(datagram);
  if (!msg) return;  // not of this protocol (or of a later one): ignored
  switch (msg->kind) {
    case AttachKind::kStdin:
      input_.Write(msg->payload);
      break;
    case AttachKind::kCloseStdin:
      input_.Close();
      break;
    case AttachKind::kResize:
      if (const auto size = DecodeResize(msg->payload); size && size->rows != 0 && size->cols != 0) {
        input_.Resize(*size);
      }
      break;
    case AttachKind::kStdout:
    case AttachKind::kStderr:
      break;  // conmon's to send, not to take
  }
}

void AttachServer::Send(Client& c, const std::string& msg) {
  if (c.dead || c.hung_up) return;
  if (!c.out.empty()) SendQueued(c);  // what it has taken since: keeps the order, frees the queue
  if (!c.dead && c.out.empty()) {
    const SendResult r = TrySend(c.fd.get(), msg);
    if (r == SendResult::kSent) return;
    if (r == SendResult::kFailed) {
      Disconnect(c);
      return;
    }
  }
  if (c.dead) return;
  if (c.out_bytes + msg.size() > kMaxClientQueue) {
    std::fprintf(stderr, "berth-conmon: an attach client fell %zu bytes behind: disconnected\n", c.out_bytes);
    Disconnect(c);
    return;
  }
  c.out.push_back(msg);
  c.out_bytes += msg.size();
}

void AttachServer::SendQueued(Client& c) {
  while (!c.dead && !c.out.empty()) {
    const SendResult r = TrySend(c.fd.get(), c.out.front());
    if (r == SendResult::kFull) return;
    if (r == SendResult::kFailed) {
      Disconnect(c);
      return;
    }
    c.out_bytes -= c.out.front().size();
    c.out.pop_front();
  }
}

void AttachServer::Accept() {
  while (listen_) {
    Fd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!conn) return;  // none left (or a failure the next poll retries)
    Client c;
    c.fd = std::move(conn);
    if (clients() >= kMaxClients) {
      Disconnect(c);
      continue;
    }
    clients_.push_back(std::move(c));
  }
}

void AttachServer::Disconnect(Client& c) {
  if (c.dead) return;
  // Shut down first, so the client's sends fail from here on (EPIPE); then
  // discard what it sent that conmon did not read: closing with unread data
  // would make its next recv fail (ECONNRESET) instead of reading the output
  // already queued to it and then EOF.
  ::shutdown(c.fd.get(), SHUT_RDWR);
  char byte;
  while (::recv(c.fd.get(), &byte, 1, MSG_DONTWAIT) > 0) {
  }
  c.fd.reset();
  c.out.clear();
  c.out_bytes = 0;
  c.dead = true;
}

void AttachServer::Finish(std::chrono::milliseconds limit) {
  CloseListener();
  FlushQueues(limit);
  for (Client& c : clients_) Disconnect(c);
  clients_.clear();
}

void AttachServer::FlushQueues(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Client*> owners;
    for (Client& c : clients_) {
      if (c.dead || c.out.empty()) continue;
      fds.push_back({c.fd.get(), POLLOUT, 0});
      owners.push_back(&c);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (fds.empty() || left.count() <= 0) return;
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) return;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) SendQueued(*owners[i]);
    }
  }
}

void AttachServer::CloseListener() {
  if (!listen_) return;
  // Take who is already waiting, so they see an EOF too, not a reset.
  Accept();
  listen_.reset();
  ::unlink(path_.c_str());
}

}  // namespace berth::conmon
