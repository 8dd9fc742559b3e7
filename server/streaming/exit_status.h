#pragma once
// What the error stream of a remote command carries, by protocol version:
// from v4 (and on WebSocket) a Kubernetes Status object — Success, or
// Failure with reason NonZeroExitCode and an ExitCode cause, which is how
// kubectl and crictl learn the exit code; v2 and v3 carry only the text of
// a failure and nothing for success.

#include <string>

#include "server/streaming/channels.h"

namespace berth::server::streaming {

// The Status JSON (v4, v5, WebSocket).
std::string StatusJson(const Outcome& outcome);
// The error stream's bytes for `protocol_version` (2, 3, 4 or 5): v4 and
// later as StatusJson; before, the failure's text ("" for success).
std::string ErrorStreamMessage(const Outcome& outcome, int protocol_version);

}  // namespace berth::server::streaming
