// What the streaming server needs of containers (CRI Exec, Attach): the
// checks the RPCs make before handing out a URL, and, once a client comes,
// the exec'd process or the monitor's attach socket.
#include <signal.h>

#include "pod/container_cri.h"
#include "pod/container_manager.h"
#include "pod/oci/monitor.h"
#include "pod/request_limits.h"
#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::pod {
namespace {

// The CRI: at least one stream, and no stderr with a tty (the terminal
// carries both outputs as one).
void CheckStreams(const char* rpc, bool in, bool out, bool err, bool tty) {
  if (!in && !out && !err) {
    throw InvalidArgument(std::string(rpc) + ": one of stdin, stdout and stderr must be true");
  }
  if (tty && err) {
    throw InvalidArgument(std::string(rpc) + ": tty and stderr cannot both be true (a terminal merges stderr into stdout)");
  }
}

}  // namespace

Container ContainerManager::RunningRecord(const std::string& id_or_prefix, const char* rpc) {
  const std::string id = ResolveId(id_or_prefix, rpc);
  Container c = Refresh(id);
  if (c.state != ContainerState::kRunning) {
    throw FailedPrecondition(std::string(rpc) + ": container " + id + " is not running");
  }
  return c;
}

std::string ContainerManager::CheckExec(const runtime::v1::ExecRequest& req) {
  if (req.cmd().empty()) throw InvalidArgument("Exec: cmd is required");
  CheckCommand(req.cmd(), "Exec: cmd");
  CheckStreams("Exec", req.stdin(), req.stdout(), req.stderr(), req.tty());
  return RunningRecord(req.container_id(), "Exec").id;
}

oci::ExecProcess ContainerManager::StartExec(const std::string& id, const std::vector<std::string>& cmd, bool tty,
                                             bool stdin) {
  const Container c = RunningRecord(id, "Exec");
  return OciOf(c).StartExec(cmd, tty, stdin);
}

ContainerManager::AttachTarget ContainerManager::CheckAttach(const runtime::v1::AttachRequest& req) {
  CheckStreams("Attach", req.stdin(), req.stdout(), req.stderr(), req.tty());
  const Container c = RunningRecord(req.container_id(), "Attach");
  runtime::v1::ContainerConfig config;
  FromJson(c.config_json, &config, "container " + c.id + " config");
  if (req.stdin() && !config.stdin()) {
    throw FailedPrecondition("Attach: stdin: container " + c.id + " was created without stdin, so none can be attached");
  }
  if (req.tty() != config.tty()) {
    throw InvalidArgument("Attach: tty is " + std::string(req.tty() ? "true" : "false") + " but container " + c.id +
                          (config.tty() ? " has" : " has no") + " terminal");
  }
  return {c.id, oci::AttachSocketPath(RunDir(c.id)), config.tty(), config.stdin_once()};
}

}  // namespace berth::pod
