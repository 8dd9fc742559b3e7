#include "pod/capabilities.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

using Caps = std::vector<std::string>;

void Add(Caps& set, const std::string& cap) {
  if (std::find(set.begin(), set.end(), cap) == set.end()) set.push_back(cap);
}
void Drop(Caps& set, const std::string& cap) { set.erase(std::remove(set.begin(), set.end(), cap), set.end()); }

bool IsAll(const std::string& name) {
  std::string up = name;
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return up == "ALL" || up == "CAP_ALL";
}

}  // namespace

const std::vector<std::string>& DefaultCapabilities() {
  static const Caps caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                            "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                            "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                            "CAP_KILL",   "CAP_AUDIT_WRITE"};
  return caps;
}

const std::vector<std::string>& KnownCapabilities() {
  // Indexed by capability number (linux/capability.h).
  static const Caps caps = {
      "CAP_CHOWN",          "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",       "CAP_FSETID",
      "CAP_KILL",           "CAP_SETGID",       "CAP_SETUID",          "CAP_SETPCAP",      "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",    "CAP_NET_RAW",      "CAP_IPC_LOCK",
      "CAP_IPC_OWNER",      "CAP_SYS_MODULE",   "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",   "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",    "CAP_SYS_BOOT",        "CAP_SYS_NICE",     "CAP_SYS_RESOURCE",
      "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",         "CAP_LEASE",        "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL",  "CAP_SETFCAP",      "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",    "CAP_SYSLOG",
      "CAP_WAKE_ALARM",     "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",     "CAP_PERFMON",      "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE"};
  return caps;
}

std::string CapabilityName(const std::string& name) {
  std::string up = name;
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
  const Caps& known = KnownCapabilities();
  if (std::find(known.begin(), known.end(), up) == known.end()) {
    throw InvalidArgument("unknown capability \"" + name + "\"");
  }
  return up;
}

std::vector<std::string> OwnCapabilities() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    const uint64_t mask = std::stoull(line.substr(7), nullptr, 16);
    Caps out;
    const Caps& known = KnownCapabilities();
    for (size_t bit = 0; bit < known.size(); ++bit) {
      if (mask & (uint64_t{1} << bit)) out.push_back(known[bit]);
    }
    return out;
  }
  return {};
}

nlohmann::json ContainerCapabilities(const runtime::v1::Capability& caps, bool privileged, const Caps& all) {
  const auto has_all = [](const auto& names) { return std::any_of(names.begin(), names.end(), IsAll); };
  Caps set = DefaultCapabilities();
  if (privileged) {
    set = all;  // add/drop do not apply to privileged containers
  } else {
    if (has_all(caps.add_capabilities())) set = all;
    if (has_all(caps.drop_capabilities())) set.clear();
    for (const auto& c : caps.add_capabilities()) {
      if (!IsAll(c)) Add(set, CapabilityName(c));
    }
    for (const auto& c : caps.drop_capabilities()) {
      if (!IsAll(c)) Drop(set, CapabilityName(c));
    }
  }
  Caps ambient;
  for (const auto& c : caps.add_ambient_capabilities()) {
    const std::string name = CapabilityName(c);
    Add(ambient, name);
    Add(set, name);  // an ambient capability must be permitted (and inheritable) too
  }
  nlohmann::json out = {{"bounding", set}, {"effective", set}, {"permitted", set}};
  if (!ambient.empty()) {
    out["inheritable"] = ambient;
    out["ambient"] = ambient;
  }
  return out;
}

}  // namespace berth::pod
