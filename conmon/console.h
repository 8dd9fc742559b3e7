#pragma once
// The container's terminal (--tty): the OCI runtime creates the pty inside
// the container and hands its master to whoever listens on the unix socket
// named by `runtime create --console-socket PATH`. It connects once and sends
// one message: the terminal's name as payload, the master as SCM_RIGHTS.

#include <string>

#include "conmon/fd.h"

namespace berth::conmon {

class ConsoleSocket {
 public:
  // Listens on `<private 0700 temp dir under /tmp>/console.sock` (the bundle
  // path may exceed sun_path's 108 bytes). Throws std::system_error.
  ConsoleSocket();
  ~ConsoleSocket();  // removes the socket and its directory
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;

  const std::string& path() const { return path_; }

  // After `runtime create` succeeded: the runtime connected and sent the
  // master before it exited, so the connection is already queued. Throws
  // std::runtime_error if the runtime sent nothing usable.
  Fd ReceiveMaster();

 private:
  std::string dir_, path_;
  Fd listen_;
};

// Reads one message from a connected unix socket and returns the single fd it
// carried (close-on-exec); `name` gets the payload. Throws std::runtime_error
// if the message carries no fd or more than one.
Fd ReceiveFd(int sock, std::string* name);

// A pty the runtime did not size (consoleSize unset) is 0x0, which confuses
// programs that lay out text: give it 80x24 then. Throws std::system_error.
void SetDefaultWindowSize(int master);

}  // namespace berth::conmon
