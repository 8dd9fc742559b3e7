// Status: RuntimeReady and NetworkReady conditions, the runtime handlers and,
// when verbose, the effective config and network state as JSON (crictl info
// decodes every info value as JSON).
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "server/rpc.h"
#include "server/runtime_service.h"

namespace berth::server {
namespace {

void AddCondition(runtime::v1::RuntimeStatus* st, const std::string& type, bool ok, const std::string& reason,
                  const std::string& message) {
  auto* c = st->add_conditions();
  c->set_type(type);
  c->set_status(ok);
  c->set_reason(reason);
  c->set_message(message);
}

// Converts YAML (our config dump) to JSON for the info map.
nlohmann::json YamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) o[kv.first.Scalar()] = YamlToJson(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& v : n) a.push_back(YamlToJson(v));
    return a;
  }
  if (!n.IsScalar()) return nullptr;
  // Plain (unquoted) scalars keep their YAML type; quoted ones are strings.
  if (n.Tag() == "?") {
    if (n.Scalar() == "true" || n.Scalar() == "false") return n.Scalar() == "true";
    auto parsed = nlohmann::json::parse(n.Scalar(), nullptr, false);
    if (parsed.is_number_integer()) return parsed;
  }
  return n.Scalar();
}

}  // namespace

grpc::Status RuntimeService::Status(grpc::ServerContext*, const runtime::v1::StatusRequest* req,
                                    runtime::v1::StatusResponse* resp) {
  return RunRpc("Status", [&] { FillStatus(*req, resp); });
}

void RuntimeService::FillStatus(const runtime::v1::StatusRequest& req, runtime::v1::StatusResponse* resp) {
  auto* st = resp->mutable_status();
  AddCondition(st, "RuntimeReady", true, "", "");
  const network::CniDiscovery cni = cni_.Discover();
  if (cni.network) {
    AddCondition(st, "NetworkReady", true, "", "");
  } else {
    AddCondition(st, "NetworkReady", false, "NetworkPluginNotReady", cni.NotReadyMessage(cfg_.cni.conf_dir));
  }

  // The default handler is listed under "" too, as kubelet looks it up by that name.
  const auto& handlers = cfg_.runtime.handlers;
  resp->add_runtime_handlers()->mutable_features()->set_user_namespaces(
      handlers.at(cfg_.runtime.default_handler).user_namespaces);
  for (const auto& [name, h] : handlers) {
    auto* out = resp->add_runtime_handlers();
    out->set_name(name);
    out->mutable_features()->set_user_namespaces(h.user_namespaces);
  }
  resp->mutable_features();

  if (req.verbose()) {
    auto& info = *resp->mutable_info();
    info["config"] = YamlToJson(YAML::Load(config::ToYaml(cfg_))).dump();
    nlohmann::json net = {{"confDir", cfg_.cni.conf_dir}, {"binDirs", cfg_.cni.bin_dirs}, {"podCIDR", pod_cidr()}};
    if (cni.network) {
      net["defaultNetwork"] = {{"name", cni.network->name},
                               {"file", cni.network->file},
                               {"cniVersion", cni.network->cni_version},
                               {"plugins", cni.network->plugin_types()}};
    }
    if (!cni.skipped.empty()) net["skipped"] = cni.skipped;
    info["network"] = net.dump();
    const pod::NodeSecurity& sec = pods_.sandboxes.security();
    info["security"] = nlohmann::json{
        {"seccomp", {{"enabled", sec.seccomp.supported},
                     {"architectures", sec.seccomp.architectures},
                     {"default", cfg_.security.seccomp_default},
                     {"profileRoot", cfg_.security.seccomp_profile_root}}},
        {"apparmor", {{"enabled", sec.mac.apparmor}, {"defaultProfile", cfg_.security.apparmor_default_profile}}},
        {"selinux", {{"enabled", sec.mac.selinux}}},
        {"idmappedMounts", "made by berth (mount_setattr), not by the runtime"}}.dump();
  }
}

}  // namespace berth::server
