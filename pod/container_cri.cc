#include "pod/container_cri.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "storage/base/error.h"
#include "pod/filter.h"

namespace berth::pod {

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  auto st = google::protobuf::util::MessageToJsonString(m, &out);
  if (!st.ok()) throw Internal("encode " + m.GetTypeName() + " as JSON: " + std::string(st.message()));
  return out;
}

void FromJson(const std::string& json, google::protobuf::Message* m, const std::string& what) {
  if (json.empty()) return;
  auto st = google::protobuf::util::JsonStringToMessage(json, m);
  if (!st.ok()) throw Internal(what + ": not a " + m->GetTypeName() + ": " + std::string(st.message()));
}

runtime::v1::ContainerState ToCri(ContainerState s) {
  switch (s) {
    case ContainerState::kCreated: return runtime::v1::CONTAINER_CREATED;
    case ContainerState::kRunning: return runtime::v1::CONTAINER_RUNNING;
    case ContainerState::kExited: return runtime::v1::CONTAINER_EXITED;
  }
  return runtime::v1::CONTAINER_UNKNOWN;
}

std::string ExitReason(const Container& c) {
  if (c.state != ContainerState::kExited) return "";
  if (!c.reason.empty()) return c.reason;
  if (c.oom_killed) return "OOMKilled";
  return c.exit_code == 0 ? "Completed" : "Error";
}

void FillStatus(const Container& c, runtime::v1::ContainerStatus* out) {
  runtime::v1::ContainerConfig config;
  FromJson(c.config_json, &config, "container " + c.id + " config");
  out->set_id(c.id);
  out->mutable_metadata()->set_name(c.name);
  out->mutable_metadata()->set_attempt(c.attempt);
  out->set_state(ToCri(c.state));
  out->set_created_at(c.created_at);
  out->set_started_at(c.started_at);
  out->set_finished_at(c.finished_at);
  out->set_exit_code(c.exit_code);
  *out->mutable_image() = config.image();
  out->mutable_image()->set_image(c.image);
  out->set_image_ref(c.image_ref);
  out->set_image_id(c.image_id);
  out->set_reason(ExitReason(c));
  out->set_message(c.message);
  out->mutable_labels()->insert(c.labels.begin(), c.labels.end());
  out->mutable_annotations()->insert(c.annotations.begin(), c.annotations.end());
  *out->mutable_mounts() = config.mounts();
  out->set_log_path(c.log_path);
  FromJson(c.resources_json, out->mutable_resources()->mutable_linux(), "container " + c.id + " resources");
}

void FillListItem(const Container& c, runtime::v1::Container* out) {
  out->set_id(c.id);
  out->set_pod_sandbox_id(c.sandbox_id);
  out->mutable_metadata()->set_name(c.name);
  out->mutable_metadata()->set_attempt(c.attempt);
  out->mutable_image()->set_image(c.image);
  out->set_image_ref(c.image_ref);
  out->set_image_id(c.image_id);
  out->set_state(ToCri(c.state));
  out->set_created_at(c.created_at);
  out->mutable_labels()->insert(c.labels.begin(), c.labels.end());
  out->mutable_annotations()->insert(c.annotations.begin(), c.annotations.end());
}

SharedContainers FilterContainers(SharedContainers all, const runtime::v1::ContainerFilter& f) {
  SharedContainers out;
  std::vector<std::string> sandboxes;
  if (!f.pod_sandbox_id().empty()) {
    // The pod id, too, may be a unique prefix (crictl ps -p <prefix>).
    struct Ref {
      std::string id;
    };
    std::vector<Ref> ids;
    for (const auto& c : all) {
      if (std::none_of(ids.begin(), ids.end(), [&](const Ref& r) { return r.id == c->sandbox_id; })) ids.push_back({c->sandbox_id});
    }
    for (auto& r : SelectById(std::move(ids), f.pod_sandbox_id())) sandboxes.push_back(r.id);
    if (sandboxes.empty()) return out;
  }
  for (auto& c : SelectById(std::move(all), f.id())) {
    if (f.has_state() && ToCri(c->state) != f.state().state()) continue;
    if (!sandboxes.empty() && c->sandbox_id != sandboxes.front()) continue;
    if (LabelsMatch(c->labels, f.label_selector())) out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->created_at < b->created_at; });
  return out;
}

}  // namespace berth::pod
