#pragma once
// berthd's serving loop: takes the locks that make it the only berthd on its
// socket and root, serves the CRI until SIGTERM/SIGINT, then shuts down
// gracefully (no new calls, in-flight calls finish, socket removed).

#include "config/config.h"

namespace berth::server {

// Blocks the shutdown signals in the calling thread. Call first thing in
// main, before any thread exists, so that every thread inherits the mask and
// only the daemon's sigwait sees them.
void BlockShutdownSignals();

// Returns the process exit code.
int Serve(const config::Config& cfg);

}  // namespace berth::server
