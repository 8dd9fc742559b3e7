#include "pod/security.h"

#include "storage/base/error.h"

namespace berth::pod {
namespace {

// The CRI's deprecated fields are still what critest and older kubelets
// send: read in this one place.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::string LegacySeccomp(const runtime::v1::LinuxContainerSecurityContext& sc) { return sc.seccomp_profile_path(); }
std::string LegacySeccomp(const runtime::v1::LinuxSandboxSecurityContext& sc) { return sc.seccomp_profile_path(); }
std::string LegacyAppArmor(const runtime::v1::LinuxContainerSecurityContext& sc) { return sc.apparmor_profile(); }
#pragma GCC diagnostic pop

std::string ReadLocalhost(const SeccompChoice& c, const config::Config& cfg) {
  if (c.mode != SeccompMode::kLocalhost) return "";
  const std::string path = LocalhostProfilePath(c.path, cfg.security.seccomp_profile_root);
  return ReadSeccompProfile(path, cfg.security.seccomp_profile_root);
}

}  // namespace

NodeSecurity NodeSecurity::Detect() {
  NodeSecurity n;
  n.seccomp = DetectSeccompNode(DefaultProfileSyscalls());
  n.mac = DetectMacNode();
  return n;
}

std::string NodeSecurity::Describe() const {
  std::string arches;
  for (const auto& a : seccomp.architectures) arches += (arches.empty() ? "" : ",") + a;
  return std::string("seccomp=") + (seccomp.supported ? "enabled(" + arches + ")" : "disabled") + " " +
         DescribeMac(mac);
}

ProcessSecurity ContainerSecurity(const runtime::v1::LinuxContainerSecurityContext& sc, const config::Config& cfg,
                                  const NodeSecurity& node, const std::string& field) {
  ProcessSecurity s;
  s.seccomp = ChooseSeccomp(sc.has_seccomp(), sc.seccomp(), LegacySeccomp(sc), cfg.security.seccomp_default, field);
  s.seccomp_profile = ReadLocalhost(s.seccomp, cfg);
  s.apparmor_profile = AppArmorProfile(sc.has_apparmor(), sc.apparmor(), LegacyAppArmor(sc), sc.privileged(),
                                       node.mac, cfg.security.apparmor_default_profile, field);
  s.selinux_label = SelinuxLabel(sc.selinux_options(), node.mac, field);
  return s;
}

ProcessSecurity SandboxSecurity(const runtime::v1::LinuxSandboxSecurityContext& sc, const config::Config& cfg,
                                const NodeSecurity& node, const std::string& field) {
  ProcessSecurity s;
  s.seccomp = ChooseSeccomp(sc.has_seccomp(), sc.seccomp(), LegacySeccomp(sc), cfg.security.seccomp_default, field);
  s.seccomp_profile = ReadLocalhost(s.seccomp, cfg);
  // The pause takes no AppArmor profile (it does nothing a profile could
  // restrict), but a pod-level request for one must still be possible here.
  AppArmorProfile(sc.has_apparmor(), sc.apparmor(), "", sc.privileged(), node.mac,
                  cfg.security.apparmor_default_profile, field);
  s.selinux_label = SelinuxLabel(sc.selinux_options(), node.mac, field);
  return s;
}

void ApplyProcessSecurity(nlohmann::json& spec, const ProcessSecurity& sec, const SeccompNode& node, bool privileged) {
  if (!privileged) {
    nlohmann::json seccomp = SeccompSpec(sec.seccomp, sec.seccomp_profile, node, EffectiveCapabilities(spec["process"]));
    if (!seccomp.is_null()) spec["linux"]["seccomp"] = std::move(seccomp);
    if (!sec.apparmor_profile.empty()) spec["process"]["apparmorProfile"] = sec.apparmor_profile;
  } else if (sec.seccomp.mode == SeccompMode::kLocalhost) {
    // Not applied, but a broken file is still an error.
    SeccompSpec(sec.seccomp, sec.seccomp_profile, node, {});
  }
  if (!sec.selinux_label.empty()) spec["process"]["selinuxLabel"] = sec.selinux_label;
}

}  // namespace berth::pod
