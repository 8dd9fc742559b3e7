#include "pod/container.h"

namespace berth::pod {

NLOHMANN_JSON_SERIALIZE_ENUM(ContainerState, {{ContainerState::kCreated, "created"},
                                              {ContainerState::kRunning, "running"},
                                              {ContainerState::kExited, "exited"}})

void to_json(nlohmann::json& j, const Container& c) {
  j = nlohmann::json{{"id", c.id},
                     {"sandbox_id", c.sandbox_id},
                     {"metadata", {{"name", c.name}, {"attempt", c.attempt}}},
                     {"state", c.state},
                     {"created_at", c.created_at},
                     {"started_at", c.started_at},
                     {"finished_at", c.finished_at},
                     {"exit_code", c.exit_code},
                     {"oom_killed", c.oom_killed},
                     {"message", c.message},
                     {"reason", c.reason},
                     {"image", c.image},
                     {"image_id", c.image_id},
                     {"image_ref", c.image_ref},
                     {"labels", c.labels},
                     {"annotations", c.annotations},
                     {"config", c.config_json},
                     {"resources", c.resources_json},
                     {"log_path", c.log_path},
                     {"runtime_handler", c.runtime_handler},
                     {"runtime_path", c.runtime_path},
                     {"runtime_root", c.runtime_root},
                     {"runtime_type", config::RuntimeTypeName(c.runtime_type)},
                     {"runtime_args", c.runtime_args},
                     {"cgroups_path", c.cgroups_path},
                     {"stop_signal", c.stop_signal},
                     {"pid", c.pid},
                     {"monitor_pid", c.monitor_pid}};
  if (c.oom_score_adj_requested) j["oom_score_adj_requested"] = *c.oom_score_adj_requested;
  if (!c.dropped_limits.empty()) j["dropped_limits"] = c.dropped_limits;
  if (c.released) j["released"] = true;
}

void from_json(const nlohmann::json& j, Container& c) {
  j.at("id").get_to(c.id);
  j.at("sandbox_id").get_to(c.sandbox_id);
  j.at("metadata").at("name").get_to(c.name);
  j.at("metadata").at("attempt").get_to(c.attempt);
  j.at("state").get_to(c.state);
  j.at("created_at").get_to(c.created_at);
  j.at("started_at").get_to(c.started_at);
  j.at("finished_at").get_to(c.finished_at);
  j.at("exit_code").get_to(c.exit_code);
  j.at("oom_killed").get_to(c.oom_killed);
  j.at("message").get_to(c.message);
  c.reason = j.value("reason", "");
  j.at("image").get_to(c.image);
  j.at("image_id").get_to(c.image_id);
  j.at("image_ref").get_to(c.image_ref);
  j.at("labels").get_to(c.labels);
  j.at("annotations").get_to(c.annotations);
  j.at("config").get_to(c.config_json);
  j.at("resources").get_to(c.resources_json);
  j.at("log_path").get_to(c.log_path);
  j.at("runtime_handler").get_to(c.runtime_handler);
  j.at("runtime_path").get_to(c.runtime_path);
  j.at("runtime_root").get_to(c.runtime_root);
  // Records from before handler types ran on process runtimes.
  c.runtime_type = j.value("runtime_type", "process") == "sandbox" ? config::RuntimeType::kSandbox
                                                                     : config::RuntimeType::kProcess;
  c.runtime_args = j.value("runtime_args", std::vector<std::string>{});
  j.at("cgroups_path").get_to(c.cgroups_path);
  j.at("stop_signal").get_to(c.stop_signal);
  j.at("pid").get_to(c.pid);
  j.at("monitor_pid").get_to(c.monitor_pid);
  if (j.contains("oom_score_adj_requested")) c.oom_score_adj_requested = j["oom_score_adj_requested"].get<int64_t>();
  if (j.contains("dropped_limits")) j["dropped_limits"].get_to(c.dropped_limits);
  c.released = j.value("released", false);
}

}  // namespace berth::pod
