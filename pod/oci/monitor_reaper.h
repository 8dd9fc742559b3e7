#pragma once
// Each monitor is berthd's own child (spawned detached, in its own session,
// so it outlives berthd), and berthd must reap it when it exits or it stays
// a zombie while berthd lives. berthd is also the child subreaper, so that
// whatever a monitor leaves behind re-parents to berthd rather than to a
// PID 1 that (in containers, VMs like this one, some init systems) may never
// reap. Only the monitors registered here are reaped, one pid at a time, so
// exit statuses of other children (runtime and plugin invocations, waited
// for by their own callers) are never stolen. Monitors of an earlier berthd
// belong to whoever inherited them.

#include <sys/types.h>

namespace berth::pod::oci {

// Makes this process the subreaper for its descendants and starts a thread
// that reaps registered monitors as they exit. Call once at daemon start.
void StartMonitorReaper();

// Called by CreateUnderMonitor for every monitor it starts.
void WatchMonitor(pid_t monitor_pid);

// Reaps registered monitors that have exited; returns how many (for tests).
int ReapExitedMonitors();

}  // namespace berth::pod::oci
