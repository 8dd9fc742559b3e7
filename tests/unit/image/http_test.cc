// The HTTP layer under the registry client: URL origins and the curl error
// classes retries depend on, and whole exchanges with a tiny HTTP/1.1 server
// on a loopback port (one canned answer per connection) for what headers,
// bodies, sinks, limits and redirects come back as.
#include "image/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "storage/base/error.h"

namespace berth::image {
namespace {

// Serves `answers` in order, one per connection, on 127.0.0.1:<port>, and
// keeps each raw request (head and body) for the test to look at.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::vector<std::string> answers) : answers_(std::move(answers)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("loopback server: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  // The requests served so far; call after the exchanges are done.
  const std::vector<std::string>& requests() const { return requests_; }

 private:
  void Serve() {
    for (const auto& answer : answers_) {
      int c = -1;
      while (!stop_ && c < 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) == 1) c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      }
      if (c < 0) return;
      requests_.push_back(ReadRequest(c));
      for (size_t done = 0; done < answer.size();) {
        ssize_t n = ::send(c, answer.data() + done, answer.size() - done, MSG_NOSIGNAL);
        if (n <= 0) break;  // the client gave up (an aborted transfer)
        done += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  // The head up to the blank line and, with Content-Length, the body.
  static std::string ReadRequest(int c) {
    std::string req;
    char buf[4096];
    size_t want = std::string::npos;
    while (req.size() < want) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
      size_t head_end = req.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      size_t body = 0;
      if (size_t cl = req.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
        body = std::stoul(req.substr(cl + 16));
      }
      want = head_end + 4 + body;
    }
    return req;
  }

  std::vector<std::string> answers_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::string Answer(const std::string& status_line, const std::vector<std::string>& headers, const std::string& body,
                   bool with_body = true) {
  std::string out = "HTTP/1.1 " + status_line + "\r\n";
  for (const auto& h : headers) out += h + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (with_body) out += body;
  return out;
}

// A port on loopback that nothing listens on (bound, then closed).
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST(UrlOrigin, SchemeHostAndPortOnly) {
  EXPECT_EQ(UrlOrigin("https://registry-1.docker.io/v2/library/busybox/manifests/latest"),
            "https://registry-1.docker.io");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:5000/v2/"), "http://127.0.0.1:5000");
  EXPECT_EQ(UrlOrigin("https://auth.example.com?service=x"), "https://auth.example.com");
  EXPECT_EQ(UrlOrigin("https://host.example#frag"), "https://host.example");
  EXPECT_EQ(UrlOrigin("https://host.example"), "https://host.example");
  EXPECT_EQ(UrlOrigin("http://[::1]:8080/x"), "http://[::1]:8080");
  // Not absolute: returned as given.
  EXPECT_EQ(UrlOrigin("/v2/blobs/sha256:abc"), "/v2/blobs/sha256:abc");
}

TEST(CurlErrorClasses, RetryConnectAndTls) {
  // Network blips are retried; a connect failure is also its own class (the
  // client falls back to plain HTTP on it for insecure registries).
  for (int c : {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT}) {
    EXPECT_TRUE(IsTransientCurlError(c)) << c;
    EXPECT_TRUE(IsConnectCurlError(c)) << c;
    EXPECT_FALSE(IsTlsCurlError(c)) << c;
  }
  for (int c : {CURLE_OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
                CURLE_HTTP2, CURLE_HTTP2_STREAM}) {
    EXPECT_TRUE(IsTransientCurlError(c)) << c;
    EXPECT_FALSE(IsConnectCurlError(c)) << c;
  }
  // TLS failures are no blip: retrying would fail the same way.
  for (int c : {CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
                CURLE_SSL_CACERT_BADFILE}) {
    EXPECT_TRUE(IsTlsCurlError(c)) << c;
    EXPECT_FALSE(IsTransientCurlError(c)) << c;
    EXPECT_FALSE(IsConnectCurlError(c)) << c;
  }
  for (int c : {CURLE_OK, CURLE_WRITE_ERROR, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL}) {
    EXPECT_FALSE(IsTransientCurlError(c) || IsConnectCurlError(c) || IsTlsCurlError(c)) << c;
  }
}

TEST(HttpResponse, HeaderIsTheFirstValueOrEmpty) {
  HttpResponse r;
  r.headers = {{"www-authenticate", "Bearer realm=\"a\""}, {"www-authenticate", "Basic"}, {"x", ""}};
  EXPECT_EQ(r.Header("www-authenticate"), "Bearer realm=\"a\"");
  EXPECT_EQ(r.Header("x"), "");
  EXPECT_EQ(r.Header("missing"), "");
}

TEST(HttpPerform, GetSendsHeadersAndBuffersTheBody) {
  LoopbackServer srv({Answer("200 OK", {"Docker-Content-Digest:   sha256:abc  ", "X-Multi: one", "X-Multi: two"},
                             "{\"ok\":true}")});
  HttpRequest req;
  req.url = srv.Url("/v2/");
  req.headers = {"Authorization: Bearer tok", "Accept: application/json"};
  req.user_agent = "berth-test/1";
  HttpResponse r = HttpPerform(req);
  EXPECT_EQ(r.curl_code, 0) << r.curl_error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"ok\":true}");
  EXPECT_FALSE(r.body_truncated);
  // Names lowercased, values trimmed, repeated headers all kept.
  EXPECT_EQ(r.Header("docker-content-digest"), "sha256:abc");
  EXPECT_EQ(r.headers.count("x-multi"), 2u);
  EXPECT_EQ(r.Header("content-length"), "11");
  EXPECT_TRUE(r.redirect_url.empty());

  ASSERT_EQ(srv.requests().size(), 1u);
  const std::string& sent = srv.requests()[0];
  EXPECT_EQ(sent.rfind("GET /v2/ HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("\r\nAuthorization: Bearer tok\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nAccept: application/json\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nUser-Agent: berth-test/1\r\n"), std::string::npos) << sent;
}

TEST(HttpPerform, HeadAndPost) {
  LoopbackServer srv({Answer("200 OK", {}, std::string(5000, 'x'), /*with_body=*/false),
                      Answer("201 Created", {}, "{\"token\":\"t\"}")});
  HttpRequest head;
  head.method = "HEAD";
  head.url = srv.Url("/v2/x/manifests/latest");
  HttpResponse h = HttpPerform(head);
  EXPECT_EQ(h.curl_code, 0) << h.curl_error;
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.Header("content-length"), "5000");
  EXPECT_TRUE(h.body.empty());

  HttpRequest post;
  post.method = "POST";
  post.url = srv.Url("/token");
  post.headers = {"Content-Type: application/x-www-form-urlencoded"};
  post.body = "grant_type=password&service=registry";
  HttpResponse p = HttpPerform(post);
  EXPECT_EQ(p.status, 201);
  EXPECT_EQ(p.body, "{\"token\":\"t\"}");

  ASSERT_EQ(srv.requests().size(), 2u);
  EXPECT_EQ(srv.requests()[0].rfind("HEAD /v2/x/manifests/latest HTTP/1.1\r\n", 0), 0u);
  const std::string& sent = srv.requests()[1];
  EXPECT_EQ(sent.rfind("POST /token HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_EQ(sent.substr(sent.size() - post.body.size()), post.body);
}

TEST(HttpPerform, ASinkReceivesA2xxBodyInsteadOfTheBuffer) {
  const std::string blob(1 << 20, 'b');
  LoopbackServer srv({Answer("200 OK", {}, blob)});
  HttpRequest req;
  req.url = srv.Url("/v2/x/blobs/sha256:1");
  req.max_buffered = 1000;  // no cap on what goes to the sink
  std::string got;
  int calls = 0;
  req.sink = [&](long status, std::string_view chunk) {
    EXPECT_EQ(status, 200);
    got += chunk;
    ++calls;
  };
  HttpResponse r = HttpPerform(req);
  EXPECT_EQ(r.curl_code, 0) << r.curl_error;
  EXPECT_EQ(got, blob);
  EXPECT_GT(calls, 1);
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpPerform, AnErrorBodyIsBufferedEvenWithASinkAndCutAtTheCap) {
  const std::string body = "{\"errors\":[{\"code\":\"DENIED\"}]}" + std::string(5000, ' ');
  LoopbackServer srv({Answer("403 Forbidden", {}, body)});
  HttpRequest req;
  req.url = srv.Url("/v2/private/manifests/1");
  req.max_buffered = 100;
  bool sink_called = false;
  req.sink = [&](long, std::string_view) { sink_called = true; };
  HttpResponse r = HttpPerform(req);
  // Only for messages: a cut error body is no transfer failure.
  EXPECT_EQ(r.curl_code, 0) << r.curl_error;
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(sink_called);
  EXPECT_EQ(r.body, body.substr(0, 100));
  EXPECT_TRUE(r.body_truncated);
}

TEST(HttpPerform, A2xxBodyOverTheCapWithoutASinkIsAWriteError) {
  LoopbackServer srv({Answer("200 OK", {}, std::string(10000, 'm'))});
  HttpRequest req;
  req.url = srv.Url("/v2/x/manifests/big");
  req.max_buffered = 4096;
  HttpResponse r = HttpPerform(req);
  EXPECT_EQ(r.curl_code, CURLE_WRITE_ERROR);
  EXPECT_EQ(r.curl_error, "response body larger than 4096 bytes");
  EXPECT_TRUE(r.body_truncated);
  EXPECT_EQ(r.body.size(), 4096u);
  EXPECT_FALSE(IsTransientCurlError(r.curl_code));
}

TEST(HttpPerform, WhatTheSinkThrowsIsRethrown) {
  LoopbackServer srv({Answer("200 OK", {}, std::string(100000, 'z'))});
  HttpRequest req;
  req.url = srv.Url("/v2/x/blobs/sha256:2");
  req.sink = [](long, std::string_view) { throw InvalidArgument("digest mismatch in sink"); };
  try {
    HttpPerform(req);
    ADD_FAILURE() << "sink error swallowed";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "digest mismatch in sink");
  }
}

TEST(HttpPerform, RedirectsAreReportedNotFollowed) {
  LoopbackServer srv({Answer("307 Temporary Redirect", {"Location: /storage/blob?sig=1"}, "")});
  HttpRequest req;
  req.url = srv.Url("/v2/x/blobs/sha256:3");
  HttpResponse r = HttpPerform(req);
  EXPECT_EQ(r.curl_code, 0) << r.curl_error;
  EXPECT_EQ(r.status, 307);
  // Made absolute against the request URL.
  EXPECT_EQ(r.redirect_url, srv.Url("/storage/blob?sig=1"));
  EXPECT_EQ(srv.requests().size(), 1u);  // no second request
}

TEST(HttpPerform, ARefusedConnectionIsAConnectError) {
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/v2/";
  req.connect_timeout_seconds = 5;
  HttpResponse r = HttpPerform(req);
  EXPECT_EQ(r.curl_code, CURLE_COULDNT_CONNECT);
  EXPECT_TRUE(IsConnectCurlError(r.curl_code));
  EXPECT_FALSE(r.curl_error.empty());
  EXPECT_EQ(r.status, 0);
}

TEST(HttpPerform, OnlyHttpAndHttpsAreSpoken) {
  HttpRequest req;
  req.url = "file:///etc/passwd";
  HttpResponse r = HttpPerform(req);
  EXPECT_EQ(r.curl_code, CURLE_UNSUPPORTED_PROTOCOL);
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace berth::image
