#pragma once
// Kubernetes' streaming protocols over SPDY: the client opens one SPDY
// stream per channel, named by its "streamtype" header (stdin, stdout,
// stderr, error, resize; port-forward: data and error, with "port" and
// "requestid"). These collect the streams a session delivers and give the
// remote command its Channels.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/streaming/channels.h"
#include "server/streaming/spdy_session.h"
#include "server/streaming/token_cache.h"

namespace berth::server::streaming {

// The highest version among those both sides speak, in the client's order
// of preference (Kubernetes' negotiation); "" when none is shared.
std::string NegotiateProtocol(const std::vector<std::string>& client, const std::vector<std::string>& server);

// The protocols berthd serves, newest first.
const std::vector<std::string>& RemoteCommandProtocols();  // v4, v3, v2 .channel.k8s.io
const std::vector<std::string>& PortForwardProtocols();    // portforward.k8s.io

// Remote command over one SPDY session. Construct with the session before
// it starts (it installs the stream handler), then Await the streams.
class SpdyChannels : public Channels {
 public:
  SpdyChannels(spdy::Session& session, const StreamRequest& req, int protocol_version);
  // Waits for the streams the request implies (error, and stdin, stdout,
  // stderr, resize as asked); false when they did not all come in time.
  bool Await(std::chrono::milliseconds timeout);

  bool has_stdin() const override { return static_cast<bool>(stdin_); }
  bool has_stdout() const override { return static_cast<bool>(stdout_); }
  bool has_stderr() const override { return static_cast<bool>(stderr_); }
  bool has_resize() const override { return static_cast<bool>(resize_); }
  bool ReadStdin(std::string& data) override;
  bool ReadResize(uint16_t& rows, uint16_t& cols) override;
  bool WriteStdout(std::string_view data) override;
  bool WriteStderr(std::string_view data) override;
  void Finish(const Outcome& outcome) override;
  void WaitGone() override;
  bool gone() const override;

 private:
  void OnStream(std::shared_ptr<spdy::Stream> s);
  std::vector<std::string> Expected() const;

  spdy::Session& session_;
  const StreamRequest req_;
  const int version_;
  mutable std::mutex mu_;
  std::condition_variable arrived_;
  std::map<std::string, std::shared_ptr<spdy::Stream>> by_type_;
  std::shared_ptr<spdy::Stream> stdin_, stdout_, stderr_, error_, resize_;
  ResizeParser resize_parser_;
  bool finished_ = false;
};

}  // namespace berth::server::streaming
