#include "conmon/console.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "conmon/sys_error.h"

namespace berth::conmon {

ConsoleSocket::ConsoleSocket() {
  char tmpl[] = "/tmp/berth-conmon-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) ThrowSys("mkdtemp /tmp/berth-conmon-XXXXXX");
  dir_ = tmpl;
  path_ = dir_ + "/console.sock";
  listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_) ThrowSys("socket for the console");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);  // < 40 bytes: fits
  if (::bind(listen_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) ThrowSys("bind " + path_);
  if (::listen(listen_.get(), 1) != 0) ThrowSys("listen " + path_);
}

ConsoleSocket::~ConsoleSocket() {
  listen_.reset();
  ::unlink(path_.c_str());
  ::rmdir(dir_.c_str());
}

Fd ConsoleSocket::ReceiveMaster() {
  Fd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      throw std::runtime_error("the runtime did not connect to the console socket " + path_);
    }
    ThrowSys("accept on " + path_);
  }
  std::string name;
  return ReceiveFd(conn.get(), &name);
}

Fd ReceiveFd(int sock, std::string* name) {
  char payload[4096];  // runc sends the pty's path (MaxNameLen 4096)
  iovec iov{payload, sizeof payload};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];  // room to see (and close) extras
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowSys("recvmsg on the console socket");
  std::vector<Fd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (fds.size() != 1 || (msg.msg_flags & MSG_CTRUNC) != 0) {
    throw std::runtime_error("the console socket message carried " + std::to_string(fds.size()) +
                             " descriptors, expected the pty master only");
  }
  if (name != nullptr) name->assign(payload, static_cast<size_t>(n));
  return std::move(fds[0]);
}

void SetDefaultWindowSize(int master) {
  winsize ws{};
  if (::ioctl(master, TIOCGWINSZ, &ws) != 0) ThrowSys("TIOCGWINSZ on the console");
  if (ws.ws_row != 0 && ws.ws_col != 0) return;
  ws.ws_row = 24;
  ws.ws_col = 80;
  if (::ioctl(master, TIOCSWINSZ, &ws) != 0) ThrowSys("TIOCSWINSZ on the console");
}

}  // namespace berth::conmon
