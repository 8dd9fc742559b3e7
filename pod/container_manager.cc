// Container lifecycle after creation: start, stop, remove, status, list,
// resource updates, log reopening and ExecSync (create is in
// container_create.cc, recovery in container_recovery.cc).
#include "pod/container_manager.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "pod/container_cri.h"
#include "pod/container_spec.h"
#include "pod/request_limits.h"
#include "pod/sandbox_spec.h"
#include "storage/base/clock.h"
#include "storage/base/error.h"
#include "storage/base/steps.h"
#include "storage/base/unique_fd.h"
#include "storage/fs.h"
#include "storage/idmap.h"
#include "storage/mount.h"

namespace berth::pod {

ContainerManager::ContainerManager(const config::Config& cfg, SandboxManager& sandboxes, ResolveImageFn resolve_image)
    : cfg_(cfg),
      layout_(cfg),
      sandboxes_(sandboxes),
      resolve_image_(std::move(resolve_image)),
      store_(layout_.ContainerRecords()) {
  spdlog::info("container limits: {}; limits for other controllers are left out of container specs",
               cgroups().Describe());
  spdlog::info("confinement: {}", sandboxes_.security().Describe());
}

oci::Container ContainerManager::OciOf(const Container& c) const {
  oci::Runtime rt(c.runtime_handler, c.runtime_path, c.runtime_root, c.runtime_type, c.runtime_args);
  rt.set_timeout(cfg_.runtime.timeout);
  return oci::Container(std::move(rt), c.id, RunDir(c.id));
}

std::string ContainerManager::ResolveId(const std::string& id, const char* rpc) const {
  auto found = store_.Resolve(id, std::string(rpc) + ": container_id");
  if (!found) throw NotFound(std::string(rpc) + ": container " + Quoted(id) + " not found");
  return *found;
}

std::vector<Container> ContainerManager::Records() const {
  std::vector<Container> all = store_.List();
  for (auto& c : all) c = Effective(std::move(c));
  return all;
}

Container ContainerManager::Record(const std::string& id_or_prefix, const char* rpc) const {
  const std::string id = ResolveId(id_or_prefix, rpc);
  auto rec = store_.Get(id);
  if (!rec) throw NotFound(std::string(rpc) + ": container " + id + " not found");
  return Effective(std::move(*rec));
}

Container ContainerManager::Effective(Container c) const {
  if (c.state == ContainerState::kExited) return c;
  if (auto exit = NewExit(c)) ApplyExit(c, *exit);
  return c;
}

std::optional<oci::ExitStatus> ContainerManager::NewExit(const Container& c) const {
  std::optional<oci::ExitStatus> exit;
  try {
    // Named here, not through OciOf(c).Exit(): that builds a runtime object
    // per container, and a list asks this of every running one.
    exit = oci::ReadExitFile(config::Layout::ExitFile(RunDir(c.id)));
  } catch (const std::exception& e) {
    spdlog::warn("container {}: exit file unreadable ({}); taking it as exited", c.id, e.what());
    exit = oci::ExitStatus{255, NowNs(), false, "", ""};
  }
  if (!exit && c.monitor_pid > 0 && !MonitorSeenAlive(c)) {
    try {
      exit = OciOf(c).RecordMonitorLost(c.monitor_pid, c.pid);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: its monitor is gone and recording the exit failed: {}", c.id, e.what());
    }
  }
  if (exit) ForgetMonitor(c.id);
  return exit;
}

void ContainerManager::ApplyExit(Container& c, const oci::ExitStatus& exit) {
  c.state = ContainerState::kExited;
  c.exit_code = exit.exit_code;
  c.finished_at = exit.finished_at_ns;
  c.oom_killed = exit.oom_killed;
  if (!exit.reason.empty()) c.reason = exit.reason;
  if (!exit.message.empty()) c.message = exit.message;
}

// Each read of a running container's state (kubelet lists every container
// each second) checks for its exit file; whether its monitor still lives, a
// /proc read, at most once a second: a monitor that dies without writing the
// exit file is a fault, noticed that much later.
bool ContainerManager::MonitorSeenAlive(const Container& c) const {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(monitors_mu_);
    auto it = monitor_seen_.find(c.id);
    if (it != monitor_seen_.end() && now - it->second < kMonitorRecheck) return true;
  }
  const bool alive = oci::MonitorAlive(c.monitor_pid, c.id);
  std::lock_guard lock(monitors_mu_);
  if (alive) {
    monitor_seen_[c.id] = now;
  } else {
    monitor_seen_.erase(c.id);
  }
  return alive;
}

void ContainerManager::ForgetMonitor(const std::string& id) const {
  std::lock_guard lock(monitors_mu_);
  monitor_seen_.erase(id);
}

Container ContainerManager::Refresh(const std::string& id, bool released) {
  std::lock_guard lock(refresh_mu_);
  auto rec = store_.Get(id);
  if (!rec) throw NotFound("container " + id + " not found");
  Container c = Effective(*rec);
  if (released && c.state == ContainerState::kExited) c.released = true;
  if (c.state != rec->state || c.released != rec->released) {
    store_.Save(c);
    if (events_ && c.state != rec->state) events_(runtime::v1::CONTAINER_STOPPED_EVENT, c);
  }
  return c;
}

void ContainerManager::Release(const Container& c) {
  OciOf(c).Delete();
  sandboxes_.RemoveCgroupLeftovers(c.cgroups_path);
  UnmountRunDir(c.id, "");
}

void ContainerManager::UnmountRunDir(const std::string& id, const std::string& whose) const {
  storage::UnmountAll(RootfsDir(id), whose + "container rootfs");
  storage::UnmountEntries(RunDir(id) + "/idmap", whose + "id-mapped volume");
  storage::UnmountEntries(RunDir(id) + "/layers", whose + "id-mapped layer");
}

void ContainerManager::NoticeExits() {
  for (const auto& id : store_.IdsWhere([](const Container& c) { return c.state == ContainerState::kRunning; })) {
    try {
      Refresh(id);
    } catch (const std::exception& e) {  // removed meanwhile
      spdlog::debug("container {}: exit check: {}", id, e.what());
    }
  }
}

void ContainerManager::StopLocked(const Container& c, std::chrono::seconds timeout) {
  if (Effective(c).state == ContainerState::kExited) return;
  // A created container has not run its process yet: nothing to ask nicely.
  const auto grace = c.state == ContainerState::kRunning ? std::chrono::milliseconds(timeout) : std::chrono::milliseconds(0);
  OciOf(c).Stop(c.stop_signal, grace, "container " + c.id + " (pid " + std::to_string(c.pid) + ")");
}

void ContainerManager::Start(const std::string& raw_id) {
  const std::string id = ResolveId(raw_id, "StartContainer");
  auto lock = LockContainer(id);
  Container c = Refresh(id);
  if (c.state != ContainerState::kCreated) {
    throw FailedPrecondition("StartContainer: container " + id + " is " +
                             (c.state == ContainerState::kRunning ? "already running" : "exited") +
                             "; only a created container can be started");
  }
  if (auto sb = sandboxes_.Get(c.sandbox_id); !sb || sb->state != SandboxState::kReady) {
    throw FailedPrecondition("StartContainer: container " + id + ": its sandbox " + c.sandbox_id + " is not ready");
  }
  // Taken before the start: a short-lived process may be gone (and its
  // finish time recorded) by the time the runtime returns.
  const int64_t started_at = NowNs();
  StepLog steps("StartContainer", "container " + id);
  try {
    OciOf(c).Start();
    steps.Step("runtime-start");
  } catch (const Error& e) {
    // The runtime reports an exec failure (no such binary...) at start; the
    // container is then exited and says why.
    c = Effective(c);
    c.message = e.what();
    if (c.state != ContainerState::kExited) {
      c.state = ContainerState::kExited;
      c.exit_code = 128;
      c.finished_at = NowNs();
    }
    store_.Save(c);
    throw Internal("StartContainer: container " + id + ": " + e.what());
  }
  c.state = ContainerState::kRunning;
  c.started_at = started_at;
  store_.Save(c);
  steps.Step("record");
  spdlog::info("container {} ({}) started", id, c.name);
  if (events_) events_(runtime::v1::CONTAINER_STARTED_EVENT, c);
}

void ContainerManager::Stop(const std::string& raw_id, std::chrono::seconds timeout) {
  const std::string id = ResolveId(raw_id, "StopContainer");
  auto lock = LockContainer(id);
  StepLog steps("StopContainer", "container " + id);
  const Container c = Refresh(id);
  StopLocked(c, timeout);
  steps.Step("stop");
  // Exited now: what Remove would undo of the runtime's goes at once, so a
  // remove has only berth's own files left.
  if (!c.released) {
    Release(c);
    steps.Step("release");
  }
  Refresh(id, true);
  steps.Step("record");
}

void ContainerManager::RemoveLocked(const Container& c) {
  StepLog steps("RemoveContainer", "container " + c.id);
  StopLocked(c, std::chrono::seconds(0));
  if (c.state == ContainerState::kRunning) Refresh(c.id);  // its exit is told before its deletion
  steps.Step("stop");
  if (!c.released) {
    Release(c);  // mounts off before the dirs move: the reaper never crosses a mount
    steps.Step("release");
  }
  trash_.Discard(RunDir(c.id), false);  // tmpfs: nothing to sync
  steps.Step("run-dir");
  store_.Discard(c.id, trash_);  // the record last: until then a retry finds it
  ForgetMonitor(c.id);
  steps.Step("record");
  spdlog::info("container {} ({}) removed", c.id, c.name);
  if (events_) events_(runtime::v1::CONTAINER_DELETED_EVENT, c);
}

void ContainerManager::Remove(const std::string& raw_id) {
  const auto id = store_.Resolve(raw_id, "RemoveContainer: container_id");
  if (!id) {
    spdlog::info("RemoveContainer: container {} not found; nothing to remove", Quoted(raw_id));
    return;
  }
  auto lock = LockContainer(*id);
  if (auto c = store_.Get(*id)) RemoveLocked(*c);
}

runtime::v1::ContainerStatusResponse ContainerManager::Status(const std::string& raw_id, bool verbose) {
  const std::string id = ResolveId(raw_id, "ContainerStatus");
  auto rec = store_.Get(id);
  if (!rec) throw NotFound("ContainerStatus: container " + id + " not found");
  const Container c = Effective(*rec);
  runtime::v1::ContainerStatusResponse resp;
  FillStatus(c, resp.mutable_status());
  if (verbose) {
    nlohmann::json info = OciOf(c).Info();
    info.update({{"pid", c.pid}, {"monitorPid", c.monitor_pid}, {"sandboxId", c.sandbox_id},
                 {"cgroupsPath", c.cgroups_path}});
    if (c.oom_score_adj_requested) {
      info["oomScoreAdj"] = nlohmann::json{
          {"requested", *c.oom_score_adj_requested},
          {"applied", OwnOomScoreAdj()},
          {"reason", "berthd lacks CAP_SYS_RESOURCE: no process may go below its own oom_score_adj, so the "
                     "requested value was raised to it"}};
    }
    if (!c.dropped_limits.empty()) info["droppedLimits"] = c.dropped_limits;
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

// kubelet lists every container each second: the records are shared, not
// copied, and only one whose exit is newly found becomes a changed copy.
std::vector<runtime::v1::Container> ContainerManager::List(const runtime::v1::ContainerFilter& filter) {
  SharedContainers all = store_.Snapshot();
  for (auto& c : all) {
    if (c->state == ContainerState::kExited) continue;
    if (auto exit = NewExit(*c)) {
      Container exited = *c;
      ApplyExit(exited, *exit);
      c = std::make_shared<const Container>(std::move(exited));
    }
  }
  std::vector<runtime::v1::Container> out;
  for (const auto& c : FilterContainers(std::move(all), filter)) FillListItem(*c, &out.emplace_back());
  return out;
}

namespace {

// oom_score_adj of a running container's init (runc update does not set it):
// what it got, clamped to berthd's own value like at create.
int64_t ApplyOomScoreAdj(const Container& c, int64_t requested) {
  const int64_t v = ClampOomScoreAdj(requested, OwnOomScoreAdj());
  const std::string path = "/proc/" + std::to_string(c.pid) + "/oom_score_adj";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  const std::string text = std::to_string(v);
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw SysError("UpdateContainerResources: container " + c.id + ": write " + path);
  }
  return v;
}

}  // namespace

void ContainerManager::UpdateResources(const std::string& raw_id, const runtime::v1::LinuxContainerResources& r) {
  if (r.oom_score_adj() < -1000 || r.oom_score_adj() > 1000) {
    throw InvalidArgument("UpdateContainerResources: linux.oom_score_adj " + std::to_string(r.oom_score_adj()) +
                          " is outside [-1000, 1000]");
  }
  CheckResources(r, NodeCount("/sys/devices/system/cpu/online"), NodeCount("/sys/devices/system/node/online"),
                 "UpdateContainerResources: linux");
  const std::string id = ResolveId(raw_id, "UpdateContainerResources");
  auto lock = LockContainer(id);
  Container c = Refresh(id);
  if (c.state == ContainerState::kExited) {
    throw FailedPrecondition("UpdateContainerResources: container " + id + " has exited");
  }
  std::vector<DroppedLimit> dropped;
  const nlohmann::json applied = OciResources(r, cgroups(), &dropped);
  OciOf(c).runtime().Update(id, applied);
  if (r.oom_score_adj() != 0) {
    const int64_t got = ApplyOomScoreAdj(c, r.oom_score_adj());
    c.oom_score_adj_requested = got == r.oom_score_adj() ? std::nullopt : std::optional<int64_t>(r.oom_score_adj());
  }
  LogDroppedLimits(id, dropped);
  for (auto& d : dropped) {
    auto same = [&](const DroppedLimit& o) { return o.resource == d.resource; };
    std::erase_if(c.dropped_limits, same);
    c.dropped_limits.push_back(std::move(d));
  }
  // The stored resources are what ContainerStatus reports: merge what was set.
  runtime::v1::LinuxContainerResources merged;
  FromJson(c.resources_json, &merged, "container " + id + " resources");
  merged.MergeFrom(r);
  c.resources_json = ToJson(AppliedResources(std::move(merged), applied));
  store_.Save(c);
  spdlog::info("container {}: resources updated", id);
}

void ContainerManager::ReopenLog(const std::string& raw_id) {
  const std::string id = ResolveId(raw_id, "ReopenContainerLog");
  auto lock = LockContainer(id);
  Container c = Refresh(id);
  if (c.state != ContainerState::kRunning) {
    throw FailedPrecondition("ReopenContainerLog: container " + id + " is not running");
  }
  if (c.log_path.empty()) throw FailedPrecondition("ReopenContainerLog: container " + id + " has no log_path");
  oci::ReopenMonitorLog(c.monitor_pid, c.log_path);
}

runtime::v1::ExecSyncResponse ContainerManager::ExecSync(const runtime::v1::ExecSyncRequest& req) {
  const std::string id = ResolveId(req.container_id(), "ExecSync");
  if (req.cmd().empty()) throw InvalidArgument("ExecSync: cmd is required");
  if (req.timeout() < 0) throw InvalidArgument("ExecSync: timeout must not be negative");
  // No lock held while the command runs: execs run side by side, and a stop may end them.
  StepLog steps("ExecSync", "container " + id);
  const Container c = Refresh(id);
  if (c.state != ContainerState::kRunning) {
    throw FailedPrecondition("ExecSync: container " + id + " is not running");
  }
  steps.Step("refresh");
  const std::string pid_file = RunDir(id) + "/exec-" + NewId().substr(0, 16) + ".pid";
  std::vector<std::string> cmd(req.cmd().begin(), req.cmd().end());
  // Seconds past ~68 years would overflow as milliseconds: a timeout that long is none.
  constexpr int64_t kLongest = int64_t{1} << 31;
  auto r = OciOf(c).Exec(cmd, std::chrono::seconds(std::min(req.timeout(), kLongest)), pid_file);
  ::unlink(pid_file.c_str());
  steps.Step("runtime-exec");
  if (r.timed_out) {
    throw DeadlineExceeded("ExecSync: command in container " + id + " timed out after " +
                           std::to_string(req.timeout()) + " s and was killed");
  }
  runtime::v1::ExecSyncResponse resp;
  resp.set_stdout(std::move(r.out));
  resp.set_stderr(std::move(r.err));
  resp.set_exit_code(r.exit_code);
  return resp;
}

std::optional<std::string> ContainerManager::ImageInUse(const std::string& image_id) {
  {
    std::lock_guard lock(mu_);
    if (creating_images_.contains(image_id)) return std::string("(a container being created)");
  }
  auto user = store_.FindIf([&](const Container& c) { return c.image_id == image_id; });
  if (user) return user->id;
  return std::nullopt;
}

void ContainerManager::StopAll(const std::string& sandbox_id) {
  for (const auto& c : store_.List()) {
    if (c.sandbox_id != sandbox_id) continue;
    auto lock = LockContainer(c.id);
    if (auto rec = store_.Get(c.id)) {
      StopLocked(*rec, std::chrono::seconds(0));
      Refresh(c.id);
    }
  }
}

void ContainerManager::RemoveAll(const std::string& sandbox_id) {
  for (const auto& c : store_.List()) {
    if (c.sandbox_id != sandbox_id) continue;
    auto lock = LockContainer(c.id);
    if (auto rec = store_.Get(c.id)) RemoveLocked(*rec);
  }
}

bool ContainerManager::WaitTrashEmpty(std::chrono::milliseconds timeout) {
  return trash_.WaitEmpty(timeout);
}

storage::DiskUsage ContainerManager::WritableLayerUsage() const { return storage::DirUsage(WritableLayerDir()); }

}  // namespace berth::pod
