#pragma once
// The start socket, for sandbox runtimes (runsc), which take a container's
// stdio at `start`: berthd asks the monitor, which holds that stdio, to run
// it. A unix SOCK_SEQPACKET socket in the container's run dir; each
// connection carries one request and one answer:
//   "start"   -> "ok" | "error: <text>"   (runs `<runtime> start <id>`)
//   "abandon" -> "ok"                     (never to start: delete, record the exit)
// It exists only while the container is created and not started.

#include <string>
#include <string_view>

#include "conmon/fd.h"

namespace berth::conmon {

class StartSocket {
 public:
  // Binds and listens at `path` (a stale socket there is replaced).
  // Throws std::system_error.
  explicit StartSocket(std::string path);
  ~StartSocket();
  StartSocket(const StartSocket&) = delete;
  StartSocket& operator=(const StartSocket&) = delete;

  int fd() const { return listen_.get(); }
  // One request from a new connection (non-blocking; an empty request when
  // there was none or the peer sent nothing). `conn` gets the connection.
  std::string Accept(Fd& conn) const;
  static void Reply(const Fd& conn, std::string_view text);

 private:
  std::string path_;
  Fd listen_;
};

}  // namespace berth::conmon
