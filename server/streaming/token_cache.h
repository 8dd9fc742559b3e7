#pragma once
// The requests behind streaming URLs. Exec, Attach and PortForward check
// their request, store it here and hand out a URL with a random single-use
// token; the streaming server takes the request back once, within the TTL.
// An unknown, used or expired token finds nothing (the server answers 404).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace berth::server::streaming {

// What a URL was made for, as checked by its RPC.
struct StreamRequest {
  enum class Kind { kExec, kAttach, kPortForward } kind = Kind::kExec;
  std::string id;  // container (exec, attach) or pod sandbox (port-forward), full id
  std::vector<std::string> cmd;  // exec
  bool tty = false, in = false, out = false, err = false;
  bool stdin_once = false;       // attach: close the container's stdin when this client leaves
  std::string attach_socket;     // attach: the monitor's socket
  std::string netns_path;        // port-forward: "" = host network
  std::vector<uint16_t> ports;   // port-forward: allowed ports; empty = any
};

// The kind and the streams a CRI Exec or Attach request asks for (any
// message with tty, stdin, stdout and stderr fields).
template <class CriRequest>
StreamRequest StreamsOf(StreamRequest::Kind kind, const CriRequest& req) {
  StreamRequest r;
  r.kind = kind;
  r.tty = req.tty();
  r.in = req.stdin();
  r.out = req.stdout();
  r.err = req.stderr();
  return r;
}

class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit TokenCache(std::chrono::milliseconds ttl, size_t max_entries = 4096) : ttl_(ttl), max_(max_entries) {}

  // Stores `r` and returns its token (22 URL-safe characters, 128 random
  // bits). Expired entries go first; RESOURCE_EXHAUSTED when still full.
  std::string Insert(StreamRequest r, Clock::time_point now = Clock::now());
  // The request once; nullopt for an unknown, used or expired token.
  std::optional<StreamRequest> Consume(const std::string& token, Clock::time_point now = Clock::now());
  size_t size() const;

 private:
  struct Entry {
    StreamRequest request;
    Clock::time_point expires;
  };
  void DropExpired(Clock::time_point now);

  std::chrono::milliseconds ttl_;
  size_t max_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// 16 random bytes from the kernel as unpadded base64url.
std::string NewToken();

}  // namespace berth::server::streaming
