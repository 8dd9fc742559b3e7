#include "server/streaming/ws_conn.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <thread>

#include "storage/base/error.h"

namespace berth::server::streaming {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// Beast's bound on a close handshake (and any other it starts).
constexpr std::chrono::seconds kHandshakeTimeout{5};
// Ours on Close() as a whole: past it the socket is shut and every operation fails.
constexpr std::chrono::seconds kCloseWait{10};
// Clients send stdin in pieces of a few KiB; this bounds what one message may cost us.
constexpr size_t kMaxMessage = 1 << 20;

}  // namespace

struct WsConn::Impl {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread;
  int fd = -1;

  // Touched on the connection's thread only.
  beast::flat_buffer rbuf;
  OnMessage on_message;
  std::function<void()> on_end;
  bool reading = false, paused = false, read_over = false;
  std::deque<std::string> outbox;
  bool writing = false, close_wanted = false, close_started = false;

  // Shared with callers, under mu.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t queued = 0, written = 0;
  bool failed = false, close_requested = false, closed = false, started = false, read_done = false;

  void Run();
  void ReadNext();
  void EndRead();
  void WriteNext();
  void StartClose();
  bool Settled() const { return closed && (read_done || !started); }
};

void WsConn::Impl::Run() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::warn("websocket connection: {}", e.what());
    }
  }
}

void WsConn::Impl::ReadNext() {
  if (reading || paused || read_over) return;
  reading = true;
  ws.async_read(rbuf, [this](beast::error_code ec, size_t) {
    reading = false;
    if (ec) return EndRead();
    std::string message = beast::buffers_to_string(rbuf.data());
    rbuf.consume(rbuf.size());
    if (on_message(std::move(message))) {
      ReadNext();
    } else {
      paused = true;
    }
  });
}

void WsConn::Impl::EndRead() {
  if (read_over) return;
  read_over = true;
  if (on_end) on_end();
  {
    std::lock_guard lock(mu);
    read_done = true;
  }
  cv.notify_all();
}

void WsConn::Impl::WriteNext() {
  if (writing) return;
  if (outbox.empty()) {
    if (close_wanted) StartClose();
    return;
  }
  writing = true;
  ws.async_write(asio::buffer(outbox.front()), [this](beast::error_code ec, size_t) {
    writing = false;
    outbox.pop_front();
    {
      std::lock_guard lock(mu);
      ec ? (void)(failed = true) : (void)++written;
    }
    cv.notify_all();
    if (ec) outbox.clear();  // their senders see `failed`
    WriteNext();
  });
}

void WsConn::Impl::StartClose() {
  if (close_started) return;
  close_started = true;
  ws.async_close(websocket::close_code::normal, [this](beast::error_code ec) {
    if (ec && ec != websocket::error::closed) spdlog::debug("websocket close: {}", ec.message());
    {
      std::lock_guard lock(mu);
      closed = failed = true;
    }
    cv.notify_all();
    // A pending read completes by itself; a paused or unstarted one will not.
    if (!reading) EndRead();
  });
}

WsConn::WsConn(tcp::socket sock) : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  const tcp::endpoint local = sock.local_endpoint(ec);
  int fd = -1;
  if (!ec) fd = sock.release(ec);
  if (!ec) impl_->ws.next_layer().assign(local.protocol(), fd, ec);
  if (ec) throw Internal("take over a websocket connection: " + ec.message());
  // Interactive sessions send small messages: no waiting to coalesce them (Go's default too).
  impl_->ws.next_layer().set_option(tcp::no_delay(true), ec);
  impl_->fd = fd;
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

WsConn::~WsConn() {
  Close();
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

bool WsConn::Accept(const http::request<http::empty_body>& req, const std::string& protocol, bool binary) {
  auto& ws = impl_->ws;
  ws.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
    res.set(http::field::server, "berthd");
    if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
  }));
  ws.read_message_max(kMaxMessage);
  ws.binary(binary);
  // Synchronous, before any asynchronous operation: the connection's thread has nothing to do yet.
  beast::error_code ec;
  ws.accept(req, ec);
  if (ec) {
    spdlog::debug("websocket handshake: {}", ec.message());
    return false;
  }
  ws.set_option(websocket::stream_base::timeout{kHandshakeTimeout, websocket::stream_base::none(), false});
  return true;
}

void WsConn::Start(OnMessage on_message, std::function<void()> on_end) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->started = true;
  }
  asio::post(impl_->io, [impl = impl_.get(), m = std::move(on_message), e = std::move(on_end)]() mutable {
    impl->on_message = std::move(m);
    impl->on_end = std::move(e);
    impl->ReadNext();
  });
}

void WsConn::Resume() {
  asio::post(impl_->io, [impl = impl_.get()] {
    if (!impl->paused) return;
    impl->paused = false;
    impl->ReadNext();
  });
}

bool WsConn::Send(std::string message) {
  std::unique_lock lock(impl_->mu);
  if (impl_->failed || impl_->close_requested) return false;
  const uint64_t seq = ++impl_->queued;
  // Posted under the lock so that messages are written in `seq` order.
  asio::post(impl_->io, [impl = impl_.get(), m = std::move(message)]() mutable {
    impl->outbox.push_back(std::move(m));
    impl->WriteNext();
  });
  impl_->cv.wait(lock, [&] { return impl_->written >= seq || impl_->failed; });
  return impl_->written >= seq;
}

void WsConn::Close() {
  std::unique_lock lock(impl_->mu);
  if (!impl_->close_requested) {
    impl_->close_requested = true;
    asio::post(impl_->io, [impl = impl_.get()] {
      impl->close_wanted = true;
      impl->WriteNext();
    });
  }
  if (!impl_->cv.wait_for(lock, kCloseWait, [&] { return impl_->Settled(); })) {
    // A client that neither reads nor answers: every pending operation fails.
    ::shutdown(impl_->fd, SHUT_RDWR);
    impl_->cv.wait(lock, [&] { return impl_->Settled(); });
  }
}

bool ChannelInbox::Push(int channel, std::string&& data) {
  std::lock_guard lock(mu_);
  Queue& q = queues_[channel];
  if (!data.empty() && !q.ended && !all_ended_) {
    bytes_ += data.size();
    q.items.push_back(std::move(data));
    cv_.notify_all();
  }
  return bytes_ <= limit_;
}

bool ChannelInbox::Pop(int channel, std::string& data) {
  std::unique_lock lock(mu_);
  Queue& q = queues_[channel];
  cv_.wait(lock, [&] { return !q.items.empty() || q.ended || all_ended_; });
  if (q.items.empty()) return false;
  data = std::move(q.items.front());
  q.items.pop_front();
  Take(data.size(), lock);
  return true;
}

void ChannelInbox::End(int channel) {
  std::lock_guard lock(mu_);
  queues_[channel].ended = true;
  cv_.notify_all();
}

void ChannelInbox::Discard(int channel) {
  std::unique_lock lock(mu_);
  Queue& q = queues_[channel];
  q.ended = true;
  size_t n = 0;
  for (const auto& item : q.items) n += item.size();
  q.items.clear();
  cv_.notify_all();
  Take(n, lock);
}

void ChannelInbox::EndAll() {
  std::lock_guard lock(mu_);
  all_ended_ = true;
  cv_.notify_all();
}

void ChannelInbox::Take(size_t n, std::unique_lock<std::mutex>& lock) {
  const bool was_over = bytes_ > limit_;
  bytes_ -= n;
  if (was_over && bytes_ <= limit_) {
    lock.unlock();
    on_room_();
  }
}

}  // namespace berth::server::streaming
