#include "server/streaming/ws_channels.h"

#include "server/streaming/exit_status.h"

namespace berth::server::streaming {
namespace {

// Stdin and resizes the process has not taken yet; past it the reader
// pauses (as Kubernetes' does: its pipe write blocks).
constexpr size_t kInboxLimit = 1 << 20;

}  // namespace

WsChannels::WsChannels(WsConn& conn, const WsProtocol& protocol, const StreamRequest& r)
    : conn_(conn),
      protocol_(protocol),
      in_(r.in),
      out_(r.out),
      err_(r.err && !r.tty),
      resize_(r.tty),
      inbox_(kInboxLimit, [&conn] { conn.Resume(); }) {
  conn_.Start([this](std::string&& m) { return OnMessage(std::move(m)); }, [this] { OnEnd(); });
  Write(out_ ? kWsStdout : err_ ? kWsStderr : kWsError, "");
}

WsChannels::~WsChannels() { conn_.Close(); }

bool WsChannels::OnMessage(std::string&& message) {
  WsMessage m = DecodeWsMessage(protocol_, message);
  const bool wanted = (m.channel == kWsStdin && in_) || (m.channel == kWsResize && resize_);
  if (m.kind == WsMessage::Kind::kClose) {
    inbox_.End(m.channel);
  } else if (m.kind == WsMessage::Kind::kData && wanted) {
    return inbox_.Push(m.channel, std::move(m.payload));
  }
  return true;  // anything else is ignored, as Kubernetes ignores it
}

void WsChannels::OnEnd() {
  {
    std::lock_guard lock(mu_);
    ended_ = true;  // before stdin ends, so that its reader sees gone()
    left_ = !finished_;
  }
  cv_.notify_all();
  inbox_.EndAll();
}

bool WsChannels::ReadStdin(std::string& data) { return in_ && inbox_.Pop(kWsStdin, data); }

bool WsChannels::ReadResize(uint16_t& rows, uint16_t& cols) {
  return resize_ && resize_parser_.Read([this](std::string& d) { return inbox_.Pop(kWsResize, d); }, rows, cols);
}

bool WsChannels::Write(uint8_t channel, std::string_view data) {
  return conn_.Send(EncodeWsMessage(protocol_.codec, channel, data));
}

bool WsChannels::WriteStdout(std::string_view data) { return !out_ || Write(kWsStdout, data); }

bool WsChannels::WriteStderr(std::string_view data) { return !err_ || Write(kWsStderr, data); }

void WsChannels::Finish(const Outcome& outcome) {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  cv_.notify_all();
  const std::string message = ErrorStreamMessage(outcome, protocol_.status_version);
  if (!message.empty()) Write(kWsError, message);
  conn_.Close();
}

void WsChannels::WaitGone() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return ended_ || finished_; });
}

bool WsChannels::gone() const {
  std::lock_guard lock(mu_);
  return left_;
}

}  // namespace berth::server::streaming
