#pragma once
// berthd's side of berth-conmon: every container (the pause process too)
// is created under its own detached monitor, which is the container's
// parent (subreaper) and survives berthd restarts, reaps it and records its
// exit status in an exit file.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::pod::oci {

struct MonitorSpec {
  std::string conmon_path;    // berth-conmon binary
  std::string runtime_path;   // OCI runtime binary (runc)
  std::string runtime_root;   // the runtime's --root
  std::string container_id;
  std::string bundle_dir;     // holds config.json
  std::string exit_file;      // written atomically by conmon when the container exits
  std::string pid_file;       // the runtime's --pid-file
  std::string log_path;       // CRI log file; empty: container stdio goes to /dev/null
  bool stdin_open = false;
  bool tty = false;
  std::vector<std::string> runtime_args;  // the runtime's global flags
  std::string start_socket;   // sandbox runtimes: the monitor runs `start` when asked here
  bool wait_by_runtime = false;  // the exit comes from `runtime wait` (the pid is the sandbox's)
  std::string attach_socket;  // where clients attach to its stdio (pod/oci/attach.h); empty: none
  // Past it the create is killed and undone (DEADLINE_EXCEEDED).
  std::chrono::milliseconds create_timeout{std::chrono::seconds(120)};
};

struct Started {
  pid_t container_pid = 0;
  pid_t monitor_pid = 0;
};

// Where the monitor of the container in `run_dir` serves attach clients.
std::string AttachSocketPath(const std::string& run_dir);

// Spawns berth-conmon in a session of its own, detached (berthd does not
// wait for it; the monitor reaper does, pod/oci/monitor_reaper.h), which
// runs `runtime create`; returns once the container exists (OCI "created"). Throws berth::Error carrying
// the runtime's own error text if create fails; nothing is left running then.
Started CreateUnderMonitor(const MonitorSpec& spec);

struct ExitStatus {
  int exit_code = 0;          // 128+N when killed by signal N
  int64_t finished_at_ns = 0; // unix time in nanoseconds
  bool oom_killed = false;
  // Set when berth, not the monitor, wrote the exit (the monitor died):
  // the CRI reason and what happened.
  std::string reason, message;
};

// The exit file's content, or nullopt while the container has not exited.
std::optional<ExitStatus> ReadExitFile(const std::string& path);
// Writes it (atomically) for a monitor that cannot any more.
void WriteExitFile(const std::string& path, const ExitStatus& exit);

// Whether the berth-conmon of `container_id` still runs as `monitor_pid`
// (its command line says so: a reused pid or a zombie does not).
bool MonitorAlive(pid_t monitor_pid, const std::string& container_id);

// Sandbox runtimes: asks the monitor listening on `socket` to start its
// container (with the stdio it holds). Throws FAILED_PRECONDITION when no
// monitor awaits a start there, INTERNAL with the runtime's error text.
void StartThroughMonitor(const std::string& socket, const std::string& what);
// Tells the monitor awaiting a start on `socket` that its container is never
// to start: it deletes it and records an exit. False when none awaits one
// (started already, or the monitor is gone).
bool AbandonThroughMonitor(const std::string& socket);

// ReopenContainerLog: asks the monitor (SIGUSR1) to reopen its CRI log after
// the file was renamed away, and waits (up to 5 s) until `log_path` exists
// again. Throws NOT_FOUND if no such monitor runs. The caller must know the
// monitor still runs (container not exited), or the pid may be reused.
void ReopenMonitorLog(pid_t monitor_pid, const std::string& log_path);

}  // namespace berth::pod::oci
