#pragma once
// Exec and attach over Channels: stdin, terminal sizes and output pumped
// between the client and the process (exec) or the container's monitor
// (attach), then how it ended on the error stream. A client that goes away
// ends an exec'd process (nothing is left behind) but only detaches from an
// attached container, which runs on.

#include <string>

#include "pod/oci/attach.h"
#include "pod/oci/exec_process.h"
#include "server/streaming/channels.h"
#include "server/streaming/token_cache.h"

namespace berth::pod {
class Pods;
}

namespace berth::server::streaming {

// Serves an exec or attach request on `ch`: starts the command (or
// connects to the container's monitor), then RunExec or RunAttach. When it
// cannot start, the client gets the reason as the outcome.
void ServeRemoteCommand(Channels& ch, const StreamRequest& r, pod::Pods& pods);

// Runs until the process has exited and its output is sent, or the client
// left (the process is killed then). `command` names it in messages.
void RunExec(Channels& ch, pod::oci::ExecProcess& process, const std::string& command);

// Runs until the container's output ends (it exited) or the client left.
// With `stdin_once`, the container's stdin closes when this client's does.
void RunAttach(Channels& ch, pod::oci::AttachClient& attach, bool tty, bool stdin_once);

}  // namespace berth::server::streaming
