#include "pod/oci/attach.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "conmon/attach_protocol.h"
#include "storage/base/error.h"
#include "storage/base/unix_address.h"

namespace berth::pod::oci {

namespace {

using conmon::AttachKind;

[[noreturn]] void NoSocket(const std::string& path) {
  throw FailedPrecondition("no attach socket at " + path +
                           ": the container's monitor serves no attach (it started before berth-conmon did, "
                           "or the container has no stdio to attach to)");
}

}  // namespace

AttachClient AttachClient::Connect(const std::string& socket_path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) throw SysError("socket to attach at " + socket_path);
  UnixAddress addr(socket_path);
  if (!addr.ok()) {
    if (errno == ENOENT) NoSocket(socket_path);  // its run dir is gone
    throw SysError("address of attach socket " + socket_path);
  }
  if (::connect(fd.get(), addr.get(), addr.size()) != 0) {
    if (errno == ENOENT) NoSocket(socket_path);
    throw SysError("connect to attach socket " + socket_path);
  }
  return AttachClient(std::move(fd), socket_path);
}

bool AttachClient::Read(int& stream, std::string& data) {
  char buf[conmon::kAttachMaxMessage];
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("recv from attach socket " + path_);
    if (n == 0) return false;
    const auto msg = conmon::DecodeAttach(std::string_view(buf, static_cast<size_t>(n)));
    if (!msg || (msg->kind != AttachKind::kStdout && msg->kind != AttachKind::kStderr)) continue;  // not output
    stream = static_cast<int>(msg->kind);
    data.assign(msg->payload);
    return true;
  }
}

void AttachClient::WriteStdin(std::string_view data) {
  while (!data.empty()) {
    const size_t n = std::min(data.size(), conmon::kAttachMaxPayload);
    Send(conmon::EncodeAttach(AttachKind::kStdin, data.substr(0, n)), "stdin");
    data.remove_prefix(n);
  }
}

void AttachClient::CloseStdin() { Send(conmon::EncodeAttach(AttachKind::kCloseStdin), "close of stdin"); }

void AttachClient::Resize(uint16_t rows, uint16_t cols) {
  Send(conmon::EncodeResize({rows, cols}), "resize");
}

void AttachClient::Shutdown() { ::shutdown(fd_.get(), SHUT_RDWR); }

void AttachClient::Send(const std::string& msg, const char* what) {
  for (;;) {
    if (::send(fd_.get(), msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return;
    if (errno != EINTR) throw SysError(std::string("send ") + what + " to attach socket " + path_);
  }
}

}  // namespace berth::pod::oci
