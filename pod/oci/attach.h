#pragma once
// berthd's side of a container's attach socket (CRI Attach): a client of
// the berth-conmon that owns the container's stdio, on the socket it
// listens on (AttachSocketPath in pod/oci/monitor.h). The client sees the
// container's output from the moment it connects, until the output ends
// (EOF); it may feed stdin, close it, and resize a tty. The wire protocol
// is conmon/attach_protocol.h. Read, the senders and Shutdown may run in
// different threads at once: each message is one datagram.

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/base/unique_fd.h"

namespace berth::pod::oci {

class AttachClient {
 public:
  // Throws FAILED_PRECONDITION naming `socket_path` when nothing is there (a
  // container whose monitor serves no attach: started before berth-conmon
  // did, or without stdio to attach to); SysError for any other failure.
  static AttachClient Connect(const std::string& socket_path);

  // Blocks for the next output: `stream` 1 (stdout; all of a tty's output)
  // or 2 (stderr) and its bytes. False at EOF: the container's output has
  // ended, the monitor dropped this client (it read too slowly), or
  // Shutdown was called. Throws SysError.
  bool Read(int& stream, std::string& data);
  // Input for the container's stdin (ignored unless it was created with
  // stdin), in messages of at most 32 KiB. Blocks while the monitor's stdin
  // queue is full (the container is not reading). Throws SysError (EPIPE
  // once the monitor is gone or done).
  void WriteStdin(std::string_view data);
  // The container's stdin reaches EOF after what was written. Not for a tty
  // (send its EOF character, ^D, instead). Throws SysError.
  void CloseStdin();
  // Resizes the container's tty (ignored without one, or for a 0 size). Throws SysError.
  void Resize(uint16_t rows, uint16_t cols);

  int fd() const { return fd_.get(); }
  // Ends the connection both ways: a Read blocked in another thread returns
  // false, a blocked WriteStdin throws.
  void Shutdown();

 private:
  AttachClient(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  void Send(const std::string& msg, const char* what);

  UniqueFd fd_;
  std::string path_;  // for error messages
};

}  // namespace berth::pod::oci
