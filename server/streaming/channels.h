#pragma once
// The client's side of an exec or attach, whatever carries it: SPDY streams
// (spdy_remote.h) or WebSocket channels (websocket.h). remote_command.cc
// drives the process through this and never sees the protocol.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace berth::server::streaming {

// How a remote command ended, as the error stream tells the client.
struct Outcome {
  std::optional<int> exit_code;  // the process's status; nullopt when it could not run
  std::string error;             // why it could not run (non-empty only then)
  std::string command;           // for the message of a non-zero exit ("[sh -c exit 7]")
};

class Channels {
 public:
  virtual ~Channels() = default;
  virtual bool has_stdin() const = 0;
  virtual bool has_stdout() const = 0;
  virtual bool has_stderr() const = 0;
  virtual bool has_resize() const = 0;
  // The next bytes for the process's stdin; false at its end: the client
  // closed stdin, or went away.
  virtual bool ReadStdin(std::string& data) = 0;
  // The next terminal size the client sends; false when it sends no more.
  virtual bool ReadResize(uint16_t& rows, uint16_t& cols) = 0;
  // Output to the client (dropped when it did not ask for that stream);
  // false once the client is gone.
  virtual bool WriteStdout(std::string_view data) = 0;
  virtual bool WriteStderr(std::string_view data) = 0;
  // The outcome in the protocol's form, then every stream ends.
  virtual void Finish(const Outcome& outcome) = 0;
  // Blocks until the client is gone or Finish has run.
  virtual void WaitGone() = 0;
  // True when the client went away (not when Finish ended the streams).
  virtual bool gone() const = 0;
};

// Terminal sizes as Kubernetes clients send them: JSON objects
// {"Width":W,"Height":H}, one after another on a byte stream. Feed bytes,
// take whole sizes; malformed objects are skipped.
class ResizeParser {
 public:
  void Feed(std::string_view bytes) { buf_.append(bytes); }
  // The next complete size, if one is buffered.
  std::optional<std::pair<uint16_t, uint16_t>> Next();  // (rows, cols)
  // The next size, reading more bytes with `more` as needed; false once
  // `more` has no more.
  bool Read(const std::function<bool(std::string&)>& more, uint16_t& rows, uint16_t& cols);

 private:
  std::string buf_;
};

}  // namespace berth::server::streaming
