#pragma once
// One SPDY/3.1 connection (spdy_frame.h) after the HTTP upgrade, run with
// blocking calls: one reader thread per session reads frames and routes them;
// callers' threads block in Stream::Read, Stream::Write, Session::Open and
// Session::Ping. Everything is thread-safe; all frames go to the transport
// through one mutex, so frames never interleave.
//
// Flow control is SPDY/3.1's (64 KiB initial window per stream and per
// session) made safe with Go's moby/spdystream, which frames SPDY/3 only:
// it never sends WINDOW_UPDATE and ignores ours. So:
//  - as a receiver we send WINDOW_UPDATEs (the stream's and the session's)
//    once the consumer has read half a window, and announce our window with
//    a SETTINGS at Start, which tells a peer like us that we do flow control;
//  - as a sender we honour the peer's windows only once the peer has shown
//    it does flow control (it sent a WINDOW_UPDATE or an INITIAL_WINDOW_SIZE
//    SETTINGS); until then we send freely, as spdystream does;
//  - the reader never buffers more than SessionOptions::stream_buffer_limit
//    for one stream. A peer doing flow control that overruns it has broken
//    its window: the stream is reset (FLOW_CONTROL_ERROR) at once. For a peer
//    that does not (Go), the reader waits for that stream's consumer to make
//    room, the back-pressure spdystream itself applies (kubectl cp into a
//    slow `tar x` must not fail), but never longer than stall_timeout
//    without the consumer reading: then the stream is reset, so one stuck
//    consumer cannot starve the session's other streams for good.
// The reader also sends small control frames (SYN_REPLY, PING echoes, RST);
// if the peer stops reading altogether, those wait behind the transport
// like every writer until Close().

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "server/streaming/spdy_frame.h"
#include "storage/base/unique_fd.h"

namespace berth::server::streaming::spdy {

// The bytes under a session. Read and Write may run at once in two threads.
class Transport {
 public:
  virtual ~Transport();
  // Up to n bytes; 0 at EOF. Throws berth::Error on failure.
  virtual size_t Read(char* buf, size_t n) = 0;
  // All of data, or throws berth::Error.
  virtual void Write(std::string_view data) = 0;
  // Makes a Read or Write blocked in another thread return (EOF or error),
  // and every later one; the fd, if any, stays open until destruction.
  virtual void Shutdown() = 0;
};

// A connected socket; Shutdown is shutdown(SHUT_RDWR).
class FdTransport : public Transport {
 public:
  explicit FdTransport(UniqueFd fd) : fd_(std::move(fd)) {}
  size_t Read(char* buf, size_t n) override;
  void Write(std::string_view data) override;
  void Shutdown() override;

 private:
  UniqueFd fd_;
};

enum class Role { kServer, kClient };  // the client's stream and ping ids are odd

inline constexpr uint32_t kInitialWindow = 64 * 1024;
inline constexpr size_t kMaxDataChunk = 32 * 1024;  // Write splits data into DATA frames of this

struct SessionOptions {
  size_t stream_buffer_limit = 4 << 20;  // received, unread bytes per stream
  std::chrono::milliseconds stall_timeout{30000};  // see the top of the file
  size_t max_frame = kMaxFrameLength;
};

struct SessionCore;

class Stream {
 public:
  uint32_t id() const { return id_; }
  // The SYN_STREAM's headers (empty for a stream we opened).
  const HeaderBlock& headers() const { return headers_; }
  // The first value of `name` ("" if absent).
  std::string Header(std::string_view name) const;

  // The next chunk of data, blocking; false at the end: the peer's FIN (after
  // all data), its RST, or the session gone. Sends WINDOW_UPDATEs as it goes.
  bool Read(std::string& out);
  // Sends all of data (DATA frames of at most kMaxDataChunk), blocking while
  // the peer's window is shut; false if the stream or session is closed.
  bool Write(std::string_view data);
  // An empty DATA frame with FIN: we send no more. Once; later calls no-op.
  void CloseWrite();
  // RST_STREAM with `status`: both directions end here and at the peer.
  void Reset(uint32_t status = kRstCancel);

 private:
  friend struct SessionCore;
  Stream(std::shared_ptr<SessionCore> core, uint32_t id, HeaderBlock headers, int64_t send_window);
  bool Writable() const;      // core mu held
  bool Finished() const;      // core mu held: nothing more will move
  size_t DropQueue();         // core mu held; the bytes dropped

  const std::shared_ptr<SessionCore> core_;
  const uint32_t id_;
  const HeaderBlock headers_;
  std::mutex send_mu_;  // one Write or CloseWrite at a time: no DATA after FIN
  // Guarded by the core's mutex.
  std::deque<std::string> queue_;
  size_t queued_ = 0;
  bool remote_fin_ = false, reset_ = false, write_closed_ = false, replied_ = false;
  int64_t send_window_;
  uint32_t unacked_ = 0;  // read by the consumer, not yet announced by WINDOW_UPDATE
  std::chrono::steady_clock::time_point last_read_{};
};

class Session {
 public:
  using Role = spdy::Role;

  // `already_read`: bytes the HTTP layer read past the upgrade, the start of
  // the first frames.
  Session(std::unique_ptr<Transport> transport, Role role, std::string already_read = {},
          SessionOptions options = {});
  ~Session();  // Close()
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Sends our SETTINGS and starts the reader thread. For each peer's
  // SYN_STREAM it replies SYN_REPLY (empty headers, as Kubernetes' server
  // does) and then calls on_stream on the reader thread, with no lock held:
  // on_stream must not block (hand the stream to another thread). An empty
  // on_stream refuses the peer's streams. Throws FAILED_PRECONDITION if
  // called twice.
  void Start(std::function<void(std::shared_ptr<Stream>)> on_stream = {});

  // A new stream (odd ids for the client, even for the server), after the
  // peer's SYN_REPLY. Throws UNAVAILABLE if the session is closed, the peer
  // sent GOAWAY or reset the stream; DEADLINE_EXCEEDED (the stream reset)
  // after `timeout`; INVALID_ARGUMENT for headers SPDY cannot carry.
  std::shared_ptr<Stream> Open(const HeaderBlock& headers, std::chrono::milliseconds timeout);

  // Sends a PING and waits for its echo; false on timeout or a closed
  // session. (The session echoes the peer's pings by itself.)
  bool Ping(std::chrono::milliseconds timeout);

  // GOAWAY (if the transport takes it within a second), then shuts the
  // transport down and joins the reader; streams' Reads end after their
  // buffered data, Writes fail. Idempotent.
  void Close();
  // Blocks until the peer has gone (EOF, error) or Close() ran.
  void WaitClosed();
  // Whether it has: WaitClosed would not block.
  bool closed() const;
  // Why the connection ended abnormally (a protocol or transport error), "" otherwise.
  std::string error() const;

 private:
  std::shared_ptr<SessionCore> core_;
};

}  // namespace berth::server::streaming::spdy
