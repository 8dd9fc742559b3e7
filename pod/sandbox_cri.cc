#include "pod/sandbox_cri.h"

#include <algorithm>

#include "storage/base/error.h"
#include "pod/filter.h"
#include "pod/request_checks.h"
#include "pod/request_limits.h"
#include "pod/sandbox_spec.h"

namespace berth::pod {
namespace {

NsMode FromCri(runtime::v1::NamespaceMode m) {
  switch (m) {
    case runtime::v1::POD: return NsMode::kPod;
    case runtime::v1::CONTAINER: return NsMode::kContainer;
    case runtime::v1::NODE: return NsMode::kNode;
    case runtime::v1::TARGET: return NsMode::kTarget;
    default: throw InvalidArgument("unknown namespace mode " + std::to_string(static_cast<int>(m)));
  }
}

runtime::v1::NamespaceMode ToCriMode(NsMode m) { return static_cast<runtime::v1::NamespaceMode>(static_cast<int>(m)); }

std::string ProtocolName(runtime::v1::Protocol p) {
  switch (p) {
    case runtime::v1::UDP: return "udp";
    case runtime::v1::SCTP: return "sctp";
    default: return "tcp";
  }
}

void CopyMetadata(const Sandbox& sb, runtime::v1::PodSandboxMetadata* m) {
  m->set_name(sb.name);
  m->set_namespace_(sb.pod_namespace);
  m->set_uid(sb.uid);
  m->set_attempt(sb.attempt);
}

}  // namespace

Sandbox SandboxFromRequest(const runtime::v1::RunPodSandboxRequest& req, const config::Config& cfg) {
  const auto& c = req.config();
  if (!req.has_config()) throw InvalidArgument("RunPodSandbox: config is required");
  if (!c.has_metadata()) throw InvalidArgument("RunPodSandbox: config.metadata is required");
  const auto& md = c.metadata();
  if (md.name().empty()) throw InvalidArgument("RunPodSandbox: config.metadata.name is required");
  if (md.namespace_().empty()) throw InvalidArgument("RunPodSandbox: config.metadata.namespace is required");
  if (md.uid().empty()) throw InvalidArgument("RunPodSandbox: config.metadata.uid is required");
  CheckSandboxSizes(c, "RunPodSandbox: config");
  CheckPortMappings(c, "RunPodSandbox: config");

  Sandbox sb;
  sb.name = md.name();
  sb.pod_namespace = md.namespace_();
  sb.uid = md.uid();
  sb.attempt = md.attempt();
  sb.requested_handler = req.runtime_handler();
  sb.runtime_handler = req.runtime_handler().empty() ? cfg.runtime.default_handler : req.runtime_handler();
  if (!cfg.runtime.handlers.contains(sb.runtime_handler)) {
    throw InvalidArgument("RunPodSandbox: runtime_handler " + Quoted(sb.runtime_handler) +
                          " is not a handler in config runtime.handlers");
  }
  sb.labels.insert(c.labels().begin(), c.labels().end());
  sb.annotations.insert(c.annotations().begin(), c.annotations().end());
  sb.hostname = c.hostname();
  CheckHostname(sb.hostname, "RunPodSandbox: config.hostname");
  sb.log_directory = c.log_directory();
  CheckLogDirectory(sb.log_directory, "RunPodSandbox: config.log_directory");
  CheckDnsConfig(c.dns_config(), "RunPodSandbox: config.dns_config");
  sb.dns.servers.assign(c.dns_config().servers().begin(), c.dns_config().servers().end());
  sb.dns.searches.assign(c.dns_config().searches().begin(), c.dns_config().searches().end());
  sb.dns.options.assign(c.dns_config().options().begin(), c.dns_config().options().end());
  for (const auto& p : c.port_mappings()) {
    if (p.host_port() <= 0) continue;  // only published ports go to the portmap plugin
    sb.port_mappings.push_back({ProtocolName(p.protocol()), p.container_port(), p.host_port(), p.host_ip()});
  }

  const auto& lx = c.linux();
  const auto& sc = lx.security_context();
  const auto& nso = sc.namespace_options();
  sb.ns.network = FromCri(nso.network());
  sb.ns.pid = FromCri(nso.pid());
  sb.ns.ipc = FromCri(nso.ipc());
  sb.ns.target_id = nso.target_id();
  if (sb.ns.network == NsMode::kContainer || sb.ns.network == NsMode::kTarget) {
    throw InvalidArgument("RunPodSandbox: network namespace mode must be POD or NODE");
  }
  if (sb.ns.ipc == NsMode::kContainer || sb.ns.ipc == NsMode::kTarget) {
    throw InvalidArgument("RunPodSandbox: ipc namespace mode must be POD or NODE");
  }
  sb.userns = PodUserns(nso, "RunPodSandbox: config.linux.security_context.namespace_options.userns_options");
  if (sb.userns && (sb.ns.network == NsMode::kNode || sb.ns.pid == NsMode::kNode || sb.ns.ipc == NsMode::kNode)) {
    throw InvalidArgument("RunPodSandbox: a pod with a user namespace of its own cannot use the host's network, PID "
                          "or IPC namespace");
  }
  // gVisor's sandbox has a kernel of its own: its PID and IPC namespaces
  // cannot be the host's. (Host network it can: it then uses the host's stack.)
  if (cfg.runtime.handlers.at(sb.runtime_handler).type == config::RuntimeType::kSandbox &&
      (sb.ns.pid == NsMode::kNode || sb.ns.ipc == NsMode::kNode)) {
    throw InvalidArgument("RunPodSandbox: runtime handler " + Quoted(sb.runtime_handler) +
                          " (type sandbox: the pod runs on a kernel of its own) cannot share the host's " +
                          (sb.ns.pid == NsMode::kNode ? "PID" : "IPC") + " namespace");
  }
  if (sb.userns && !cfg.runtime.handlers.at(sb.runtime_handler).user_namespaces) {
    throw InvalidArgument("RunPodSandbox: runtime handler " + Quoted(sb.runtime_handler) +
                          " does not run pods with a user namespace (config runtime.handlers." + sb.runtime_handler +
                          ".user_namespaces)");
  }
  if (sb.userns && sc.privileged()) {
    throw InvalidArgument("RunPodSandbox: a pod with a user namespace of its own cannot be privileged");
  }
  // A host-network pod shares the host's UTS namespace: it cannot have a hostname of its own.
  if (sb.ns.network == NsMode::kNode && !sb.hostname.empty()) {
    throw InvalidArgument("RunPodSandbox: config.hostname " + Quoted(sb.hostname) +
                          " cannot be set for a pod with host network (it shares the host's UTS namespace)");
  }
  sb.cgroup_parent = lx.cgroup_parent();
  sb.sysctls.insert(lx.sysctls().begin(), lx.sysctls().end());
  ValidateSysctls(sb.sysctls, sb.ns);
  sb.privileged = sc.privileged();
  sb.readonly_rootfs = sc.readonly_rootfs();
  if (sc.has_run_as_user()) sb.run_as_user = sc.run_as_user().value();
  if (sc.has_run_as_group()) sb.run_as_group = sc.run_as_group().value();
  sb.supplemental_groups.assign(sc.supplemental_groups().begin(), sc.supplemental_groups().end());
  return sb;
}

runtime::v1::PodSandboxState ToCri(SandboxState s) {
  return s == SandboxState::kReady ? runtime::v1::SANDBOX_READY : runtime::v1::SANDBOX_NOTREADY;
}

void FillStatus(const Sandbox& sb, runtime::v1::PodSandboxStatus* out) {
  out->set_id(sb.id);
  CopyMetadata(sb, out->mutable_metadata());
  out->set_state(ToCri(sb.state));
  out->set_created_at(sb.created_at);
  auto* net = out->mutable_network();
  if (!sb.ips.empty()) {
    net->set_ip(sb.ips.front());
    for (size_t i = 1; i < sb.ips.size(); ++i) net->add_additional_ips()->set_ip(sb.ips[i]);
  }
  auto* opts = out->mutable_linux()->mutable_namespaces()->mutable_options();
  opts->set_network(ToCriMode(sb.ns.network));
  opts->set_pid(ToCriMode(sb.ns.pid));
  opts->set_ipc(ToCriMode(sb.ns.ipc));
  opts->set_target_id(sb.ns.target_id);
  out->mutable_labels()->insert(sb.labels.begin(), sb.labels.end());
  out->mutable_annotations()->insert(sb.annotations.begin(), sb.annotations.end());
  out->set_runtime_handler(sb.requested_handler);
}

void FillListItem(const Sandbox& sb, runtime::v1::PodSandbox* out) {
  out->set_id(sb.id);
  CopyMetadata(sb, out->mutable_metadata());
  out->set_state(ToCri(sb.state));
  out->set_created_at(sb.created_at);
  out->mutable_labels()->insert(sb.labels.begin(), sb.labels.end());
  out->mutable_annotations()->insert(sb.annotations.begin(), sb.annotations.end());
  out->set_runtime_handler(sb.requested_handler);
}

SharedSandboxes FilterSandboxes(SharedSandboxes all, const runtime::v1::PodSandboxFilter& f) {
  SharedSandboxes out;
  for (auto& s : SelectById(std::move(all), f.id())) {
    if (f.has_state() && ToCri(s->state) != f.state().state()) continue;
    if (LabelsMatch(s->labels, f.label_selector())) out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->created_at < b->created_at; });
  return out;
}

}  // namespace berth::pod
