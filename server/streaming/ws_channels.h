#pragma once
// Exec and attach over a WebSocket: the remote command's Channels on the
// channel.k8s.io subprotocols (ws_framing.h). Stdin and resize messages are
// queued by the connection's reader; output is written as the client asked
// for it; Finish sends the outcome on the error channel and closes.

#include <condition_variable>
#include <mutex>

#include "server/streaming/channels.h"
#include "server/streaming/token_cache.h"
#include "server/streaming/ws_conn.h"
#include "server/streaming/ws_framing.h"

namespace berth::server::streaming {

class WsChannels : public Channels {
 public:
  // Serves `r`'s streams on `conn`, accepted with `protocol`: starts its
  // reader and sends the empty message that tells the client the streams
  // are open (on stdout, else stderr, else error, as Kubernetes does).
  WsChannels(WsConn& conn, const WsProtocol& protocol, const StreamRequest& r);
  ~WsChannels() override;  // closes `conn`: its reader calls us no more

  bool has_stdin() const override { return in_; }
  bool has_stdout() const override { return out_; }
  bool has_stderr() const override { return err_; }
  bool has_resize() const override { return resize_; }
  // False at the client's close of stdin (v5), at its close of the
  // connection, or when the connection failed.
  bool ReadStdin(std::string& data) override;
  bool ReadResize(uint16_t& rows, uint16_t& cols) override;
  bool WriteStdout(std::string_view data) override;
  bool WriteStderr(std::string_view data) override;
  void Finish(const Outcome& outcome) override;
  void WaitGone() override;
  bool gone() const override;

 private:
  bool OnMessage(std::string&& message);  // on the connection's thread
  void OnEnd();
  bool Write(uint8_t channel, std::string_view data);

  WsConn& conn_;
  const WsProtocol protocol_;
  const bool in_, out_, err_, resize_;
  ChannelInbox inbox_;
  ResizeParser resize_parser_;  // ReadResize's alone
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;  // Finish began
  bool ended_ = false;     // the reader ended
  bool left_ = false;      // ... before Finish began: the client left
};

}  // namespace berth::server::streaming
