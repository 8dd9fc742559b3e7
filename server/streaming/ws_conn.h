#pragma once
// One server-side WebSocket connection for the streaming protocols, usable
// from many threads. Beast's synchronous read answers pings and close frames
// by writing on its own, which would interleave with another thread's
// write; so every operation runs asynchronously on the connection's own
// thread, where Beast orders them, and callers block on the result.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace berth::server::streaming {

class WsConn {
 public:
  // Takes `sock` over, its fd number unchanged (the server tracks it).
  explicit WsConn(boost::asio::ip::tcp::socket sock);
  ~WsConn();  // Close()
  WsConn(const WsConn&) = delete;
  WsConn& operator=(const WsConn&) = delete;

  // Completes the handshake for `req`, naming `protocol` in the answer
  // unless it is "". Binary or text messages from then on. False when
  // `req` is no valid upgrade (Beast has answered it) or the client left.
  bool Accept(const boost::beast::http::request<boost::beast::http::empty_body>& req, const std::string& protocol,
              bool binary);

  // Reads until the connection ends, each message to `on_message` (on the
  // connection's thread: it must not block). When that returns false,
  // reading pauses until Resume(). `on_end` runs once when reading ended:
  // the client closed, the connection failed, or Close() completed.
  using OnMessage = std::function<bool(std::string&& message)>;
  void Start(OnMessage on_message, std::function<void()> on_end);
  void Resume();

  // Sends one message; blocks until it is written. False when the
  // connection is closing or failed.
  bool Send(std::string message);
  // A normal close after the messages already sent, waiting for the
  // client's answer (at most a few seconds) and for reading to end: no
  // callback runs after. Idempotent.
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the reader took off a connection, queued per channel for the threads
// that consume it. Bounded in bytes: Push says when the reader must pause,
// and `on_room` runs (outside the lock) once consumers made room again.
class ChannelInbox {
 public:
  ChannelInbox(size_t limit, std::function<void()> on_room) : limit_(limit), on_room_(std::move(on_room)) {}

  // Queues `data` for `channel` (dropped once it ended); false while over
  // the limit.
  bool Push(int channel, std::string&& data);
  // The channel's next data; blocks; false once it ended and is drained.
  bool Pop(int channel, std::string& data);
  // No more data for `channel`: what is queued is still delivered.
  void End(int channel);
  // As End, and what is queued is dropped: nobody will read it.
  void Discard(int channel);
  // Every channel, now and later, ends.
  void EndAll();

 private:
  struct Queue {
    std::deque<std::string> items;
    bool ended = false;
  };
  void Take(size_t n, std::unique_lock<std::mutex>& lock);

  const size_t limit_;
  const std::function<void()> on_room_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, Queue> queues_;
  size_t bytes_ = 0;
  bool all_ended_ = false;
};

}  // namespace berth::server::streaming
