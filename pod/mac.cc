#include "pod/mac.h"

#include <sys/statfs.h>

#include <spdlog/spdlog.h>

#include <fstream>
#include <mutex>
#include <string_view>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string FromRuntimeDefault(const MacNode& node, const std::string& default_profile, bool asked,
                               const std::string& field) {
  if (!node.apparmor) return "";  // nothing to confine with: runs as everywhere without AppArmor
  if (!node.apparmor_loaded.contains(default_profile)) {
    if (!asked) {
      static std::once_flag logged;
      std::call_once(logged, [&] {
        spdlog::warn("AppArmor profile {} (security.apparmor_default_profile) is not loaded: containers that ask "
                     "for no profile run unconfined; those asking for runtime/default are refused",
                     default_profile);
      });
      return "";
    }
    throw FailedPrecondition(field + ": RuntimeDefault means AppArmor profile " + Quoted(default_profile) +
                             " (config security.apparmor_default_profile), which is not loaded on this node");
  }
  return default_profile;
}

std::string FromLocalhost(const std::string& name, const MacNode& node, const std::string& field) {
  if (name.empty()) throw InvalidArgument(field + ": a Localhost AppArmor profile needs a name");
  if (!node.apparmor) {
    throw FailedPrecondition(field + ": AppArmor profile " + Quoted(name) +
                             " requested, but AppArmor is not enabled on this node");
  }
  if (!node.apparmor_loaded.contains(name)) {
    throw InvalidArgument(field + ": AppArmor profile " + Quoted(name) + " is not loaded on this node");
  }
  return name;
}

}  // namespace

MacNode DetectMacNode() {
  MacNode node;
  node.apparmor = FirstLine("/sys/module/apparmor/parameters/enabled") == "Y";
  if (node.apparmor) {
    // "name (mode)" per line.
    std::ifstream in("/sys/kernel/security/apparmor/profiles");
    for (std::string line; std::getline(in, line);) node.apparmor_loaded.insert(line.substr(0, line.rfind(" (")));
  }
  struct statfs st {};
  constexpr long kSelinuxMagic = 0xf97cff8c;
  node.selinux = ::statfs("/sys/fs/selinux", &st) == 0 && st.f_type == kSelinuxMagic &&
                 !FirstLine("/sys/fs/selinux/enforce").empty();
  return node;
}

std::string DescribeMac(const MacNode& node) {
  return std::string("apparmor=") + (node.apparmor ? "enabled" : "disabled") +
         " selinux=" + (node.selinux ? "enabled" : "disabled");
}

std::string AppArmorProfile(bool has_profile, const runtime::v1::SecurityProfile& profile, const std::string& legacy,
                            bool privileged, const MacNode& node, const std::string& default_profile,
                            const std::string& field) {
  using P = runtime::v1::SecurityProfile;
  std::string chosen;  // "", "runtime/default", "unconfined" or "localhost/<name>"
  if (has_profile) {
    switch (profile.profile_type()) {
      case P::RuntimeDefault: chosen = "runtime/default"; break;
      case P::Unconfined: chosen = "unconfined"; break;
      case P::Localhost: chosen = "localhost/" + profile.localhost_ref(); break;
      default:
        throw InvalidArgument(field + ".apparmor.profile_type " + std::to_string(profile.profile_type()) +
                              " is not RuntimeDefault, Unconfined or Localhost");
    }
  } else {
    chosen = legacy;
  }
  constexpr std::string_view kLocal = "localhost/";
  if (chosen.empty() || chosen == "runtime/default") {
    return privileged ? "" : FromRuntimeDefault(node, default_profile, !chosen.empty(), field);
  }
  if (chosen == "unconfined") return "";
  if (chosen.rfind(kLocal, 0) != 0) {
    throw InvalidArgument(field + ".apparmor_profile " + Quoted(chosen) +
                          " is not runtime/default, unconfined or localhost/<name>");
  }
  const std::string name = FromLocalhost(chosen.substr(kLocal.size()), node, field);
  return privileged ? "" : name;
}

std::string SelinuxLabel(const runtime::v1::SELinuxOption& opt, const MacNode& node, const std::string& field) {
  const std::string parts[] = {opt.user(), opt.role(), opt.type(), opt.level()};
  bool any = false, all = true;
  for (const auto& p : parts) {
    any = any || !p.empty();
    all = all && !p.empty();
    if (p.find_first_of(":\n\r") != std::string::npos && &p != &parts[3]) {
      throw InvalidArgument(field + ".selinux_options: " + Quoted(p) + " holds ':' or a newline");
    }
    if (p.find_first_of("\n\r") != std::string::npos) {
      throw InvalidArgument(field + ".selinux_options.level " + Quoted(p) + " holds a newline");
    }
  }
  if (!any) return "";
  if (!node.selinux) {
    throw FailedPrecondition(field + ".selinux_options: an SELinux label was requested, but SELinux is not enabled "
                             "on this node");
  }
  if (!all) {
    throw InvalidArgument(field + ".selinux_options: berth needs user, role, type and level all set");
  }
  return parts[0] + ":" + parts[1] + ":" + parts[2] + ":" + parts[3];
}

}  // namespace berth::pod
