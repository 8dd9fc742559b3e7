#include "server/streaming/spdy_streams.h"

#include <algorithm>
#include <thread>

#include "server/streaming/exit_status.h"

namespace berth::server::streaming {
namespace {

// After the outcome is sent, how long the client gets to close the
// connection itself (closing first could reset what it has not read yet).
constexpr std::chrono::milliseconds kCloseGrace{1000};

}  // namespace

std::string NegotiateProtocol(const std::vector<std::string>& client, const std::vector<std::string>& server) {
  for (const auto& c : client) {
    if (std::find(server.begin(), server.end(), c) != server.end()) return c;
  }
  return "";
}

const std::vector<std::string>& RemoteCommandProtocols() {
  static const std::vector<std::string> kProtocols{"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io"};
  return kProtocols;
}

const std::vector<std::string>& PortForwardProtocols() {
  static const std::vector<std::string> kProtocols{"portforward.k8s.io"};
  return kProtocols;
}

SpdyChannels::SpdyChannels(spdy::Session& session, const StreamRequest& req, int protocol_version)
    : session_(session), req_(req), version_(protocol_version) {
  session_.Start([this](std::shared_ptr<spdy::Stream> s) { OnStream(std::move(s)); });
}

void SpdyChannels::OnStream(std::shared_ptr<spdy::Stream> s) {
  std::lock_guard lock(mu_);
  by_type_[s->Header("streamtype")] = std::move(s);
  arrived_.notify_all();
}

std::vector<std::string> SpdyChannels::Expected() const {
  std::vector<std::string> want{"error"};
  if (req_.in) want.push_back("stdin");
  if (req_.out) want.push_back("stdout");
  if (req_.err && !req_.tty) want.push_back("stderr");
  if (req_.tty && version_ >= 3) want.push_back("resize");
  return want;
}

bool SpdyChannels::Await(std::chrono::milliseconds timeout) {
  const std::vector<std::string> want = Expected();
  std::unique_lock lock(mu_);
  const bool all = arrived_.wait_for(lock, timeout, [&] {
    return std::all_of(want.begin(), want.end(), [&](const std::string& t) { return by_type_.contains(t); });
  });
  if (!all) return false;
  auto take = [&](const char* type) {
    auto it = by_type_.find(type);
    return it == by_type_.end() ? nullptr : it->second;
  };
  stdin_ = take("stdin");
  stdout_ = take("stdout");
  stderr_ = take("stderr");
  error_ = take("error");
  resize_ = take("resize");
  return true;
}

bool SpdyChannels::ReadStdin(std::string& data) { return stdin_ && stdin_->Read(data); }

bool SpdyChannels::ReadResize(uint16_t& rows, uint16_t& cols) {
  return resize_ && resize_parser_.Read([this](std::string& d) { return resize_->Read(d); }, rows, cols);
}

bool SpdyChannels::WriteStdout(std::string_view data) { return !stdout_ || stdout_->Write(data); }

bool SpdyChannels::WriteStderr(std::string_view data) { return !stderr_ || stderr_->Write(data); }

void SpdyChannels::Finish(const Outcome& outcome) {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  if (error_) {
    const std::string message = ErrorStreamMessage(outcome, version_);
    if (!message.empty()) error_->Write(message);
  }
  for (const auto& s : {stdout_, stderr_, error_}) {
    if (s) s->CloseWrite();
  }
  const auto deadline = std::chrono::steady_clock::now() + kCloseGrace;
  while (!session_.closed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  session_.Close();
}

void SpdyChannels::WaitGone() { session_.WaitClosed(); }

bool SpdyChannels::gone() const {
  std::lock_guard lock(mu_);
  return !finished_ && session_.closed();
}

}  // namespace berth::server::streaming
