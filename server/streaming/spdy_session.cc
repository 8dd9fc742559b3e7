#include "server/streaming/spdy_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <limits>
#include <map>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace berth::server::streaming::spdy {

using Clock = std::chrono::steady_clock;

Transport::~Transport() = default;

size_t FdTransport::Read(char* buf, size_t n) {
  for (;;) {
    const ssize_t got = ::recv(fd_.get(), buf, n, 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) throw SysError("spdy: read from the connection");
  }
}

void FdTransport::Write(std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) throw SysError("spdy: write to the connection");
    data.remove_prefix(static_cast<size_t>(sent));
  }
}

void FdTransport::Shutdown() { ::shutdown(fd_.get(), SHUT_RDWR); }

// A session's state, shared by the Session, its reader thread and its
// Streams (which may outlive the Session; they then only report the end).
struct SessionCore : std::enable_shared_from_this<SessionCore> {
  SessionCore(std::unique_ptr<Transport> t, Role r, std::string already, SessionOptions o)
      : transport(std::move(t)), role(r), options(o), reader(o.max_frame), already_read(std::move(already)),
        next_id(r == Role::kClient ? 1 : 2), next_ping(next_id) {}

  const std::unique_ptr<Transport> transport;
  const Role role;
  const SessionOptions options;
  std::function<void(std::shared_ptr<Stream>)> on_stream;  // set before the reader starts
  std::thread thread;                                       // the reader

  std::mutex write_mu;  // the transport's writes and the compressor's stream
  HeaderCompressor compressor;

  // The reader thread's own.
  FrameReader reader;
  HeaderDecompressor decompressor;
  std::string already_read;

  mutable std::mutex mu;
  std::condition_variable cv;  // every change below, or in a Stream, wakes all waiters
  std::map<uint32_t, std::shared_ptr<Stream>> streams;  // open ones
  uint32_t next_id, next_ping;
  uint32_t last_peer_id = 0, last_accepted = 0;
  std::map<uint32_t, bool> pings;  // ours in flight: answered yet?
  bool started = false, peer_flow_control = false, peer_goaway = false, closing = false, gone = false;
  int64_t session_send_window = kInitialWindow;
  uint32_t peer_initial_window = kInitialWindow;
  uint32_t session_unacked = 0;  // received bytes consumed or dropped, not yet announced
  std::string error;

  bool Ended() const { return gone || closing; }  // mu held
  bool Ours(uint32_t id) const { return (id % 2 == 1) == (role == Role::kClient); }

  // Sends one frame (write_mu held); false, the transport shut, if it failed.
  // Throws only for a frame Encode refuses.
  bool SendLocked(const Frame& f) {
    const std::string bytes = Encode(f, compressor);
    try {
      transport->Write(bytes);
      return true;
    } catch (const std::exception& e) {
      transport->Shutdown();  // the reader sees the end and tells everyone
      std::lock_guard l(mu);
      if (error.empty() && !closing) error = e.what();
      return false;
    }
  }
  bool Send(const Frame& f) {
    std::lock_guard l(write_mu);
    return SendLocked(f);
  }
  void SendAll(const std::vector<Frame>& frames) {
    for (const Frame& f : frames) Send(f);
  }

  // n received bytes left the session window (read or dropped); queues the
  // session's WINDOW_UPDATE once half a window is due. mu held.
  void CreditSession(size_t n, std::vector<Frame>& out) {
    session_unacked += static_cast<uint32_t>(n);
    if (session_unacked >= kInitialWindow / 2) out.push_back(WindowUpdateFrame(0, std::exchange(session_unacked, 0)));
  }
  // What a sender may put on the wire now (mu held); unbounded until the
  // peer shows it does flow control.
  int64_t SendWindow(const Stream& s) const {
    return peer_flow_control ? std::min(s.send_window_, session_send_window) : std::numeric_limits<int64_t>::max();
  }
  std::shared_ptr<Stream> Find(uint32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second;
  }
  std::shared_ptr<Stream> NewStream(uint32_t id, HeaderBlock headers) {
    std::shared_ptr<Stream> s(new Stream(shared_from_this(), id, std::move(headers), peer_initial_window));
    s->last_read_ = Clock::now();
    return s;
  }
  void ForgetIfFinished(const Stream& s) {
    if (s.Finished()) streams.erase(s.id_);
  }
  void RemoteFin(Stream& s) {
    s.remote_fin_ = true;
    ForgetIfFinished(s);
  }
  void ResetLocally(Stream& s, size_t dropped_extra, std::vector<Frame>& out) {
    s.reset_ = true;
    CreditSession(s.DropQueue() + dropped_extra, out);
    streams.erase(s.id_);
  }

  void ReadLoop();
  std::optional<Frame> NextFrame();
  void Dispatch(Frame& f);
  void OnSynStream(const Frame& f);
  void OnReply(const Frame& f);
  void OnRst(const Frame& f);
  void OnSettings(const Frame& f);
  void OnPing(const Frame& f);
  void OnGoAway(const Frame& f);
  void OnWindowUpdate(const Frame& f);
  void OnData(Frame& f);
  bool MakeRoom(Stream& s, size_t n, std::unique_lock<std::mutex>& l);
  std::shared_ptr<Stream> Open(const HeaderBlock& headers, std::chrono::milliseconds timeout);
  bool Ping(std::chrono::milliseconds timeout);
  void SendBounded(const Frame& f);
  void Close();
};

void SessionCore::ReadLoop() {
  std::string why;
  try {
    reader.Feed(std::exchange(already_read, {}));
    std::vector<char> buf(64 * 1024);
    for (;;) {
      while (std::optional<Frame> f = NextFrame()) Dispatch(*f);
      const size_t n = transport->Read(buf.data(), buf.size());
      if (n == 0) break;
      reader.Feed(std::string_view(buf.data(), n));
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  transport->Shutdown();  // releases writers blocked on a peer that is gone
  std::lock_guard l(mu);
  gone = true;
  if (!closing && error.empty()) error = why;  // after Close, an error is only its echo
  cv.notify_all();
}

std::optional<Frame> SessionCore::NextFrame() {
  try {
    return reader.Next(decompressor);
  } catch (const Error&) {
    uint32_t last;
    {
      std::lock_guard l(mu);
      last = last_accepted;
    }
    Send(GoAwayFrame(last, kGoAwayProtocolError));
    throw;
  }
}

void SessionCore::Dispatch(Frame& f) {
  switch (f.type) {
    case FrameType::kSynStream: return OnSynStream(f);
    case FrameType::kSynReply:
    case FrameType::kHeaders: return OnReply(f);
    case FrameType::kRstStream: return OnRst(f);
    case FrameType::kSettings: return OnSettings(f);
    case FrameType::kPing: return OnPing(f);
    case FrameType::kGoAway: return OnGoAway(f);
    case FrameType::kWindowUpdate: return OnWindowUpdate(f);
    case FrameType::kData: return OnData(f);
  }
}

void SessionCore::OnSynStream(const Frame& f) {
  std::shared_ptr<Stream> s;
  uint32_t refusal = 0;
  const bool unidirectional = (f.flags & kFlagUnidirectional) != 0;
  {
    std::lock_guard l(mu);
    if (Ours(f.stream_id) || f.stream_id <= last_peer_id) {
      refusal = kRstProtocolError;  // ids must be the peer's and increase
    } else if (closing || !on_stream) {
      refusal = kRstRefusedStream;
    }
    if (!Ours(f.stream_id)) last_peer_id = std::max(last_peer_id, f.stream_id);
    if (refusal == 0) {
      last_accepted = f.stream_id;
      s = NewStream(f.stream_id, f.headers);
      s->replied_ = true;
      s->remote_fin_ = f.fin();
      s->write_closed_ = unidirectional;
      if (!s->Finished()) streams[f.stream_id] = s;
    }
  }
  if (refusal != 0) {
    Send(RstStreamFrame(f.stream_id, refusal));
    return;
  }
  if (!unidirectional) Send(SynReplyFrame(f.stream_id, {}));  // SPDY: no reply to a one-way stream
  try {
    on_stream(s);
  } catch (const std::exception&) {
    s->Reset(kRstInternalError);
  }
}

void SessionCore::OnReply(const Frame& f) {
  std::lock_guard l(mu);
  std::shared_ptr<Stream> s = Find(f.stream_id);
  if (!s) return;
  if (f.type == FrameType::kSynReply) s->replied_ = true;
  if (f.fin()) RemoteFin(*s);
  cv.notify_all();
}

void SessionCore::OnRst(const Frame& f) {
  std::vector<Frame> out;
  {
    std::lock_guard l(mu);
    std::shared_ptr<Stream> s = Find(f.stream_id);
    if (!s) return;
    ResetLocally(*s, 0, out);
    cv.notify_all();
  }
  SendAll(out);
}

void SessionCore::OnSettings(const Frame& f) {
  std::lock_guard l(mu);
  for (const Setting& setting : f.settings) {
    if (setting.id != kSettingsInitialWindowSize || setting.value > kMaxStreamId) continue;
    const int64_t delta = int64_t{setting.value} - peer_initial_window;  // applies to open streams too
    for (auto& entry : streams) entry.second->send_window_ += delta;
    peer_initial_window = setting.value;
    peer_flow_control = true;
  }
  cv.notify_all();
}

void SessionCore::OnPing(const Frame& f) {
  if (!Ours(f.ping_id)) {
    Send(f);  // the echo
    return;
  }
  std::lock_guard l(mu);
  if (auto it = pings.find(f.ping_id); it != pings.end()) it->second = true;
  cv.notify_all();
}

void SessionCore::OnGoAway(const Frame& f) {
  std::lock_guard l(mu);
  peer_goaway = true;
  // Our streams past the peer's last good one were never seen: they fail.
  for (auto it = streams.begin(); it != streams.end();) {
    Stream& s = *it->second;
    const bool unseen = Ours(s.id_) && s.id_ > f.stream_id && !s.replied_;
    if (unseen) s.reset_ = true;
    it = unseen ? streams.erase(it) : std::next(it);
  }
  cv.notify_all();
}

void SessionCore::OnWindowUpdate(const Frame& f) {
  std::lock_guard l(mu);
  peer_flow_control = true;
  if (f.stream_id == 0) {
    session_send_window += f.delta_window;
  } else if (std::shared_ptr<Stream> s = Find(f.stream_id)) {
    s->send_window_ += f.delta_window;
  }
  cv.notify_all();
}

void SessionCore::OnData(Frame& f) {
  std::vector<Frame> out;
  {
    std::unique_lock l(mu);
    std::shared_ptr<Stream> s = Find(f.stream_id);
    const bool room = s && !s->remote_fin_ && MakeRoom(*s, f.data.size(), l);
    if (!s || s->remote_fin_ || s->reset_ || Ended()) {
      CreditSession(f.data.size(), out);  // for a stream that is over: dropped
    } else if (!room) {
      ResetLocally(*s, f.data.size(), out);
      out.push_back(RstStreamFrame(f.stream_id, kRstFlowControlError));
    } else {
      s->queued_ += f.data.size();
      if (!f.data.empty()) s->queue_.push_back(std::move(f.data));
      if (f.fin()) RemoteFin(*s);
    }
    cv.notify_all();
  }
  SendAll(out);
}

bool SessionCore::MakeRoom(Stream& s, size_t n, std::unique_lock<std::mutex>& l) {
  const auto fits = [&] { return s.queued_ == 0 || s.queued_ + n <= options.stream_buffer_limit; };
  const auto start = Clock::now();
  while (!fits() && !peer_flow_control && !s.reset_ && !Ended()) {
    const auto deadline = std::max(start, s.last_read_) + options.stall_timeout;
    if (Clock::now() >= deadline) break;  // the consumer stalled: the stream goes
    cv.wait_until(l, deadline);
  }
  return fits();
}

std::shared_ptr<Stream> SessionCore::Open(const HeaderBlock& headers, std::chrono::milliseconds timeout) {
  std::shared_ptr<Stream> s;
  {
    std::lock_guard order(write_mu);  // ids reach the wire in increasing order
    {
      std::lock_guard l(mu);
      if (Ended()) throw Unavailable("spdy: the session is closed");
      if (peer_goaway) throw Unavailable("spdy: the peer sent GOAWAY");
      if (next_id > kMaxStreamId) throw Unavailable("spdy: stream ids are used up");
      s = NewStream(next_id, {});
      next_id += 2;
      streams[s->id_] = s;
    }
    bool sent = false;
    try {
      sent = SendLocked(SynStreamFrame(s->id_, headers));
    } catch (const Error&) {  // headers SPDY cannot carry
      std::lock_guard l(mu);
      streams.erase(s->id_);
      throw;
    }
    if (!sent) throw Unavailable("spdy: the connection failed");
  }
  std::unique_lock l(mu);
  const bool answered = cv.wait_for(l, timeout, [&] { return s->replied_ || s->reset_ || Ended(); });
  if (s->replied_) return s;
  const std::string what = "spdy: stream " + std::to_string(s->id_);
  if (s->reset_) throw Unavailable(what + " was refused by the peer");
  if (answered) throw Unavailable(what + ": the session ended before the reply");
  l.unlock();
  s->Reset(kRstCancel);
  throw DeadlineExceeded(what + ": no reply in " + std::to_string(timeout.count()) + " ms");
}

bool SessionCore::Ping(std::chrono::milliseconds timeout) {
  uint32_t id;
  {
    std::lock_guard l(mu);
    if (Ended()) return false;
    id = next_ping;
    next_ping += 2;
    if (next_ping > kMaxStreamId) next_ping = role == Role::kClient ? 1 : 2;  // ids wrap
    pings[id] = false;
  }
  const bool sent = Send(PingFrame(id));
  std::unique_lock l(mu);
  const bool answered = sent && cv.wait_for(l, timeout, [&] { return pings[id] || Ended(); }) && pings[id];
  pings.erase(id);
  return answered;
}

// Close's GOAWAY must not hang on a peer that stopped reading: after a
// second the transport is shut down under it.
void SessionCore::SendBounded(const Frame& f) {
  std::mutex m;
  std::condition_variable done_cv;
  bool done = false;
  std::thread guard;
  try {
    guard = std::thread([&] {
      std::unique_lock l(m);
      if (!done_cv.wait_for(l, std::chrono::seconds(1), [&] { return done; })) transport->Shutdown();
    });
  } catch (const std::system_error&) {
    return;  // no thread to bound it, no GOAWAY: the transport is shut next anyway
  }
  Send(f);
  {
    std::lock_guard l(m);
    done = true;
  }
  done_cv.notify_one();
  guard.join();
}

void SessionCore::Close() {
  uint32_t last;
  {
    std::lock_guard l(mu);
    if (closing) return;
    closing = true;
    last = last_accepted;
    cv.notify_all();
  }
  SendBounded(GoAwayFrame(last, kGoAwayOk));
  transport->Shutdown();
  if (thread.joinable() && thread.get_id() == std::this_thread::get_id()) thread.detach();  // from on_stream
  if (thread.joinable()) thread.join();
  std::map<uint32_t, std::shared_ptr<Stream>> doomed;  // freed unlocked: streams hold the core
  std::lock_guard l(mu);
  doomed.swap(streams);
  cv.notify_all();
}

Stream::Stream(std::shared_ptr<SessionCore> core, uint32_t id, HeaderBlock headers, int64_t send_window)
    : core_(std::move(core)), id_(id), headers_(std::move(headers)), send_window_(send_window) {}

std::string Stream::Header(std::string_view name) const {
  for (const auto& [n, v] : headers_)
    if (n == name) return SplitHeaderValue(v).front();
  return "";
}

bool Stream::Writable() const { return !write_closed_ && !reset_ && !core_->Ended(); }
bool Stream::Finished() const { return reset_ || (remote_fin_ && write_closed_); }

size_t Stream::DropQueue() {
  queue_.clear();
  return std::exchange(queued_, 0);
}

bool Stream::Read(std::string& out) {
  SessionCore& c = *core_;
  std::vector<Frame> updates;
  {
    std::unique_lock l(c.mu);
    c.cv.wait(l, [&] { return !queue_.empty() || remote_fin_ || reset_ || c.Ended(); });
    if (queue_.empty()) return false;
    out = std::move(queue_.front());
    queue_.pop_front();
    queued_ -= out.size();
    last_read_ = Clock::now();
    unacked_ += static_cast<uint32_t>(out.size());
    if (unacked_ >= kInitialWindow / 2 && !remote_fin_)
      updates.push_back(WindowUpdateFrame(id_, std::exchange(unacked_, 0)));
    c.CreditSession(out.size(), updates);
    c.cv.notify_all();  // the reader may be waiting for room
  }
  c.SendAll(updates);
  return true;
}

bool Stream::Write(std::string_view data) {
  SessionCore& c = *core_;
  std::lock_guard order(send_mu_);
  if (data.empty()) {
    std::lock_guard l(c.mu);
    return Writable();
  }
  while (!data.empty()) {
    size_t n = 0;
    {
      std::unique_lock l(c.mu);
      c.cv.wait(l, [&] { return !Writable() || c.SendWindow(*this) > 0; });
      if (!Writable()) return false;
      n = std::min({data.size(), kMaxDataChunk, static_cast<size_t>(c.SendWindow(*this))});
      send_window_ -= static_cast<int64_t>(n);  // counted even before the peer does flow control
      c.session_send_window -= static_cast<int64_t>(n);
    }
    if (!c.Send(DataFrame(id_, std::string(data.substr(0, n))))) return false;
    data.remove_prefix(n);
  }
  return true;
}

void Stream::CloseWrite() {
  std::lock_guard order(send_mu_);
  {
    std::lock_guard l(core_->mu);
    if (!Writable()) return;
    write_closed_ = true;
    core_->ForgetIfFinished(*this);
  }
  core_->Send(DataFrame(id_, "", kFlagFin));
}

void Stream::Reset(uint32_t status) {
  std::vector<Frame> out;
  {
    std::lock_guard l(core_->mu);
    if (Finished()) return;
    if (!core_->Ended()) out.push_back(RstStreamFrame(id_, status));
    core_->ResetLocally(*this, 0, out);
    core_->cv.notify_all();
  }
  core_->SendAll(out);
}

Session::Session(std::unique_ptr<Transport> transport, Role role, std::string already_read, SessionOptions options)
    : core_(std::make_shared<SessionCore>(std::move(transport), role, std::move(already_read), options)) {}

Session::~Session() { Close(); }

void Session::Start(std::function<void(std::shared_ptr<Stream>)> on_stream) {
  SessionCore& c = *core_;
  {
    std::lock_guard l(c.mu);
    if (c.started || c.closing) throw FailedPrecondition("spdy: the session was started or closed already");
    c.started = true;
    c.on_stream = std::move(on_stream);
  }
  c.Send(SettingsFrame({Setting{0, kSettingsInitialWindowSize, kInitialWindow}}));  // we do flow control
  c.thread = std::thread([self = core_] { self->ReadLoop(); });
}

std::shared_ptr<Stream> Session::Open(const HeaderBlock& headers, std::chrono::milliseconds timeout) {
  return core_->Open(headers, timeout);
}

bool Session::Ping(std::chrono::milliseconds timeout) { return core_->Ping(timeout); }
void Session::Close() { core_->Close(); }

void Session::WaitClosed() {
  std::unique_lock l(core_->mu);
  core_->cv.wait(l, [&] { return core_->Ended(); });
}

bool Session::closed() const {
  std::lock_guard l(core_->mu);
  return core_->Ended();
}

std::string Session::error() const {
  std::lock_guard l(core_->mu);
  return core_->error;
}

}  // namespace berth::server::streaming::spdy
