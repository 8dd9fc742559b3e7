#pragma once
// berthd becomes the child subreaper of the monitors it starts: a monitor is
// double-forked into its own session, and without this it would be
// re-parented to PID 1, which (in containers, VMs like this one, and some
// init systems) may never reap it, leaving a zombie per exited container.
// Only the monitors registered here are reaped, one pid at a time, so exit
// statuses of other children (runtime and plugin invocations, waited for by
// their own callers) are never stolen. Monitors of an earlier berthd belong
// to whoever inherited them.

#include <sys/types.h>

namespace berth::pod {

// Makes this process the subreaper for its descendants and starts a thread
// that reaps registered monitors as they exit. Call once at daemon start.
void StartMonitorReaper();

// Called by CreateUnderMonitor for every monitor it started.
void WatchMonitor(pid_t monitor_pid);

// Reaps registered monitors that have exited; returns how many (for tests).
int ReapExitedMonitors();

}  // namespace berth::pod
