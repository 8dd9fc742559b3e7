#pragma once
// A container's record: what berthd must remember about a container across
// restarts, persisted as <root>/containers/<id>/container.json. How the
// container ended is not in it until berthd has looked: the monitor writes
// the exit file (<run_root>/containers/<id>/exit), which is the truth.

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "pod/cgroups.h"
#include "pod/record_store.h"

namespace berth::pod {

enum class ContainerState { kCreated, kRunning, kExited };

struct Container {
  std::string id;
  std::string sandbox_id;
  std::string name;  // CRI metadata
  uint32_t attempt = 0;

  ContainerState state = ContainerState::kCreated;
  int64_t created_at = 0, started_at = 0, finished_at = 0;  // unix ns
  int32_t exit_code = 0;
  bool oom_killed = false;
  std::string message;  // why it ended, when berth knows more than the exit code
  std::string reason;   // the CRI reason when not derived from the exit (MonitorLost)

  std::string image;      // as requested (ImageSpec.image)
  std::string image_id;   // "sha256:<config digest>"
  std::string image_ref;  // a repo digest when known, else the id
  std::map<std::string, std::string> labels, annotations;
  // The ContainerConfig as created, in protobuf JSON: mounts, devices,
  // envs, security context, ... (what ContainerStatus reports back).
  std::string config_json;
  // The current linux resources (protobuf JSON): updated by UpdateContainerResources.
  std::string resources_json;

  std::string log_path;  // absolute; empty: no log
  std::string runtime_handler, runtime_path, runtime_root;  // the pod's, when it was created
  config::RuntimeType runtime_type = config::RuntimeType::kProcess;
  std::vector<std::string> runtime_args;
  std::string cgroups_path;
  std::string stop_signal = "SIGTERM";
  std::optional<int64_t> oom_score_adj_requested;  // set when it had to be raised (no CAP_SYS_RESOURCE)
  // Limits left out of the spec: the node lacks their cgroup controller.
  std::vector<DroppedLimit> dropped_limits;
  pid_t pid = 0, monitor_pid = 0;
  // Exited and released: the runtime deleted it and its rootfs is unmounted
  // (done by the stop that saw it exit). Remove then has only dirs and the
  // record left to do.
  bool released = false;

  // sandbox id + name + attempt: two containers of a pod may not share it.
  std::string NameKey() const { return sandbox_id + "/" + name + "_" + std::to_string(attempt); }
};

void to_json(nlohmann::json& j, const Container& c);
void from_json(const nlohmann::json& j, Container& c);

// Container records at <root>/containers/<id>/container.json; the same dir
// holds the container's writable layer (upper/, work/) and volumes/.
class ContainerStore : public RecordStore<Container> {
 public:
  explicit ContainerStore(const std::string& dir) : RecordStore(dir, "container.json") {}  // Layout::ContainerRecords
};

}  // namespace berth::pod
