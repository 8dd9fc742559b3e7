#pragma once
// A Kubernetes streaming client over SPDY, as kubectl, crictl and the
// kubelet speak it, for the tests: upgrades the connection to a URL a CRI
// call handed out, then opens the streams of an exec, attach or
// port-forward (berth's own SPDY session in the client role).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server/streaming/spdy_session.h"
#include "storage/base/unique_fd.h"

namespace berth::testing {

namespace spdy = server::streaming::spdy;

// "http://127.0.0.1:4000/exec/abc" -> host "127.0.0.1", port 4000, path "/exec/abc".
struct ParsedUrl {
  std::string host, path;
  uint16_t port = 0;
};

inline ParsedUrl ParseUrl(const std::string& url) {
  ParsedUrl u;
  const size_t start = url.find("://") + 3;
  const size_t slash = url.find('/', start);
  const std::string hostport = url.substr(start, slash - start);
  const size_t colon = hostport.rfind(':');
  u.host = hostport.substr(0, colon);
  u.port = static_cast<uint16_t>(std::stoi(hostport.substr(colon + 1)));
  u.path = url.substr(slash);
  return u;
}

inline UniqueFd DialTcp(const std::string& host, uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return UniqueFd();
  const int one = 1;  // as Go's dialer does: no Nagle delay on small frames
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

class SpdyClient {
 public:
  // Sends the upgrade request offering `protocols`; returns the HTTP status
  // (101 when upgraded, then the session runs).
  int Connect(const std::string& url, const std::vector<std::string>& protocols) {
    const ParsedUrl u = ParseUrl(url);
    UniqueFd fd = DialTcp(u.host, u.port);
    if (!fd) return -1;
    std::string req = "POST " + u.path + " HTTP/1.1\r\nHost: " + u.host + "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
    for (const auto& p : protocols) req += "X-Stream-Protocol-Version: " + p + "\r\n";
    req += "Content-Length: 0\r\n\r\n";
    if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return -1;
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd.get(), &c, 1, 0) == 1) head += c;
    response_ = head;
    const int status = head.size() > 12 ? std::stoi(head.substr(9, 3)) : -1;
    if (status != 101) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) response_.append(buf, static_cast<size_t>(n));
      return status;
    }
    const size_t at = head.find("X-Stream-Protocol-Version: ");
    if (at != std::string::npos) protocol_ = head.substr(at + 27, head.find("\r\n", at) - at - 27);
    session_ = std::make_unique<spdy::Session>(std::make_unique<spdy::FdTransport>(std::move(fd)), spdy::Role::kClient);
    session_->Start();
    return status;
  }

  std::shared_ptr<spdy::Stream> Open(spdy::HeaderBlock headers) {
    return session_->Open(headers, std::chrono::seconds(10));
  }
  // A remote-command stream of `type` (stdin, stdout, stderr, error, resize).
  std::shared_ptr<spdy::Stream> OpenChannel(const std::string& type) { return Open({{"streamtype", type}}); }

  spdy::Session& session() { return *session_; }
  const std::string& protocol() const { return protocol_; }
  const std::string& response() const { return response_; }
  void Close() {
    if (session_) session_->Close();
  }

 private:
  std::unique_ptr<spdy::Session> session_;
  std::string protocol_, response_;
};

// Everything a stream carries until its end.
inline std::string ReadAll(spdy::Stream& s) {
  std::string all, chunk;
  while (s.Read(chunk)) all += chunk;
  return all;
}

}  // namespace berth::testing
