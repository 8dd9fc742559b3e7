#pragma once
// One container under an OCI runtime and its berth-conmon: the mechanics
// the pause process and every app container share. It writes the bundle,
// creates the container under a new monitor, starts, signals and stops it
// (grace period, then SIGKILL), waits for its exit, reads how it ended and
// deletes it. It knows nothing of pods, names or CRI states: the sandbox and
// container managers keep those.
//
// Its files sit in one run dir (config::Layout): bundle/config.json, the
// exit file the monitor writes, and the runtime's pid file.

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "pod/oci/exec_process.h"
#include "pod/oci/monitor.h"
#include "pod/oci/runtime.h"
#include "storage/base/scope.h"

namespace berth::pod::oci {

struct CreateOptions {
  std::string conmon;    // the berth-conmon binary
  std::string log_path;  // CRI log; empty: stdio to /dev/null
  bool stdin_open = false;
  bool tty = false;
};

class Container {
 public:
  // How long a container gets to be gone after SIGKILL.
  static constexpr std::chrono::seconds kKillWait{10};

  Container(Runtime runtime, std::string id, std::string run_dir, std::string pid_file_name = "pid");

  const std::string& id() const { return id_; }
  const Runtime& runtime() const { return runtime_; }
  const std::string& run_dir() const { return run_dir_; }
  std::string exit_file() const;
  std::string start_socket() const;

  // Writes `spec` as the bundle's config.json and creates the container under
  // a new berth-conmon. Registers in `rb`, before the create, the kill and
  // delete that undo it, so a half-created container goes too.
  Started Create(const nlohmann::json& spec, const CreateOptions& options, Rollback& rb) const;
  // A sandbox runtime's container is started by its monitor, which holds its stdio.
  void Start() const;
  // False when there is nothing to signal (gone or not running). A created
  // container of a sandbox runtime is ended through its monitor instead
  // (the runtime has no process of it to signal yet).
  bool Signal(const std::string& signal, bool all = false) const;
  // Signal without the runtime, when that is what its kill would do (see
  // container.cc); nullopt when it cannot tell, and the runtime must be asked.
  std::optional<bool> SignalDirectly(const std::string& signal, bool all) const;

  // How it ended, from the monitor's exit file; nullopt while it lives.
  std::optional<ExitStatus> Exit() const { return ReadExitFile(exit_file()); }
  // The runtime's state JSON; nullopt when the runtime does not know it.
  std::optional<nlohmann::json> State() const { return runtime_.State(id_); }
  // Waits until the exit is recorded, or, without a monitor (it died), the
  // runtime says it stopped. False at the timeout.
  bool WaitExited(std::chrono::milliseconds timeout) const;
  // `signal` to its init and `grace` for it to exit (no grace: none sent),
  // then SIGKILL to every process of it. Fine when it has exited. Throws
  // DEADLINE_EXCEEDED naming `what` if it outlives SIGKILL by kKillWait.
  void Stop(const std::string& signal, std::chrono::milliseconds grace, const std::string& what) const;
  // Runs `cmd` in it as its own process runs (user, env, cwd, capabilities),
  // see Runtime::Exec.
  Runtime::ExecResult Exec(const std::vector<std::string>& cmd, std::chrono::milliseconds timeout,
                           const std::string& pid_file) const;
  // Starts `cmd` in it, as Exec does, with its stdio open to the caller
  // (a pty with `tty`, TERM set unless the container sets it).
  ExecProcess StartExec(const std::vector<std::string>& cmd, bool tty, bool stdin) const;
  // The runtime forgets it (delete --force); fine when it is gone.
  void Delete() const { runtime_.Delete(id_); }
  // The monitor died without recording an exit: SIGKILL to whatever of the
  // container still runs (nobody drains its stdio any more), its init
  // reaped if it re-parented to us, and an exit recorded in the monitor's
  // stead (code 255, reason MonitorLost). Returns the exit as recorded
  // (the monitor's own, if it did write one after all).
  ExitStatus RecordMonitorLost(pid_t monitor_pid, pid_t init_pid) const;
  // SIGKILL if it runs, a short wait for the monitor to record the exit,
  // delete: for rollbacks and orphans, where nobody awaits an exit code.
  void KillAndDelete() const;

  // What verbose status shows of the mechanics: handler, runtime root, run
  // dir and the OCI spec as written (null once removed).
  nlohmann::json Info() const;

 private:
  // The container's own process with `cmd` as its args.
  nlohmann::json ExecProcessSpec(const std::vector<std::string>& cmd, bool tty) const;
  std::string bundle() const;

  Runtime runtime_;
  std::string id_, run_dir_, pid_file_name_;
};

}  // namespace berth::pod::oci
