#include "pod/seccomp.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

SeccompChoice FromLegacy(const std::string& s, const std::string& what) {
  if (s.empty() || s == "unconfined") return {SeccompMode::kUnconfined, ""};
  if (s == "runtime/default" || s == "docker/default") return {SeccompMode::kRuntimeDefault, ""};
  constexpr std::string_view kLocal = "localhost/";
  if (s.rfind(kLocal, 0) == 0 && s.size() > kLocal.size()) return {SeccompMode::kLocalhost, s.substr(kLocal.size())};
  throw InvalidArgument(what + " " + Quoted(s) +
                        " is not a seccomp profile: use runtime/default, docker/default, unconfined or "
                        "localhost/<path>");
}

bool IsAction(const std::string& a) {
  static const std::set<std::string> kActions = {
      "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
      "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG"};
  return kActions.contains(a);
}

bool IsOperator(const std::string& op) {
  static const std::set<std::string> kOps = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                             "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
  return kOps.contains(op);
}

// Docker's profiles name architectures the Go way ("amd64") in includes,
// the libseccomp way ("SCMP_ARCH_X86_64") elsewhere.
std::string GoArch(const std::string& scmp) {
  static const std::map<std::string, std::string> kNames = {
      {"SCMP_ARCH_X86_64", "amd64"},     {"SCMP_ARCH_X86", "386"},          {"SCMP_ARCH_X32", "x32"},
      {"SCMP_ARCH_AARCH64", "arm64"},    {"SCMP_ARCH_ARM", "arm"},          {"SCMP_ARCH_PPC64LE", "ppc64le"},
      {"SCMP_ARCH_S390X", "s390x"},      {"SCMP_ARCH_S390", "s390"},        {"SCMP_ARCH_RISCV64", "riscv64"},
      {"SCMP_ARCH_MIPS64", "mips64"},    {"SCMP_ARCH_MIPSEL64", "mips64le"}, {"SCMP_ARCH_LOONGARCH64", "loong64"}};
  const auto it = kNames.find(scmp);
  return it == kNames.end() ? scmp : it->second;
}

struct Conditions {
  std::vector<std::string> arches, caps;
  std::string min_kernel;
};

std::vector<std::string> Strings(const json& j, const std::string& what) {
  if (j.is_null()) return {};
  if (!j.is_array()) throw InvalidArgument(what + " is not a list");
  std::vector<std::string> out;
  for (const auto& s : j) {
    if (!s.is_string()) throw InvalidArgument(what + " holds a non-string");
    out.push_back(s.get<std::string>());
  }
  return out;
}

Conditions ReadConditions(const json& rule, const char* key, const std::string& what) {
  Conditions c;
  if (!rule.contains(key) || rule[key].is_null()) return c;
  const json& j = rule[key];
  if (!j.is_object()) throw InvalidArgument(what + ": " + key + " is not an object");
  c.arches = Strings(j.value("arches", json()), what + ": " + key + ".arches");
  c.caps = Strings(j.value("caps", json()), what + ": " + key + ".caps");
  if (j.contains("minKernel") && j["minKernel"].is_string()) c.min_kernel = j["minKernel"];
  return c;
}

bool KernelAtLeast(const SeccompNode& node, const std::string& min, const std::string& what) {
  int major = 0, minor = 0;
  if (std::sscanf(min.c_str(), "%d.%d", &major, &minor) < 1) {
    throw InvalidArgument(what + ": minKernel " + Quoted(min) + " is not a kernel version");
  }
  return std::pair(node.kernel_major, node.kernel_minor) >= std::pair(major, minor);
}

bool NativeIn(const SeccompNode& node, const std::vector<std::string>& arches) {
  if (node.architectures.empty()) return false;
  const std::string& native = node.architectures.front();
  return std::any_of(arches.begin(), arches.end(),
                     [&](const std::string& a) { return a == native || a == GoArch(native); });
}

bool HasCap(const std::vector<std::string>& caps, std::string c) {
  if (c.rfind("CAP_", 0) != 0) c = "CAP_" + c;
  return std::find(caps.begin(), caps.end(), c) != caps.end();
}

// Docker's rule filters: every include must hold, no exclude may.
bool Applies(const json& rule, const SeccompNode& node, const std::vector<std::string>& caps, const std::string& what) {
  const Conditions inc = ReadConditions(rule, "includes", what), exc = ReadConditions(rule, "excludes", what);
  if (!inc.arches.empty() && !NativeIn(node, inc.arches)) return false;
  if (!std::all_of(inc.caps.begin(), inc.caps.end(), [&](const std::string& c) { return HasCap(caps, c); })) {
    return false;
  }
  if (!inc.min_kernel.empty() && !KernelAtLeast(node, inc.min_kernel, what)) return false;
  if (!exc.arches.empty() && NativeIn(node, exc.arches)) return false;
  if (std::any_of(exc.caps.begin(), exc.caps.end(), [&](const std::string& c) { return HasCap(caps, c); })) {
    return false;
  }
  return exc.min_kernel.empty() || !KernelAtLeast(node, exc.min_kernel, what);
}

std::vector<std::string> RuleNames(const json& rule, const std::string& what) {
  std::vector<std::string> names = Strings(rule.value("names", json()), what + ": names");
  if (rule.contains("name") && rule["name"].is_string()) names.push_back(rule["name"]);
  if (names.empty()) throw InvalidArgument(what + ": a rule names no syscall");
  for (const auto& n : names) {
    const bool ok = !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    });
    if (!ok) throw InvalidArgument(what + ": " + Quoted(n) + " is not a syscall name");
  }
  return names;
}

json RuleArgs(const json& rule, const std::string& what) {
  json out = json::array();
  if (!rule.contains("args") || rule["args"].is_null()) return out;
  if (!rule["args"].is_array()) throw InvalidArgument(what + ": args is not a list");
  for (const auto& a : rule["args"]) {
    if (!a.is_object()) throw InvalidArgument(what + ": an args entry is not an object");
    const auto index = a.value("index", -1);
    if (index < 0 || index > 5) throw InvalidArgument(what + ": argument index " + std::to_string(index) + " is not 0-5");
    const std::string op = a.value("op", "");
    if (!IsOperator(op)) throw InvalidArgument(what + ": " + Quoted(op) + " is not a seccomp operator");
    json arg = {{"index", index}, {"value", a.value("value", uint64_t{0})}, {"op", op}};
    if (a.contains("valueTwo")) arg["valueTwo"] = a.value("valueTwo", uint64_t{0});
    out.push_back(std::move(arg));
  }
  return out;
}

std::string CheckedAction(const json& j, const std::string& what) {
  const std::string a = j.is_string() ? j.get<std::string>() : "";
  if (a == "SCMP_ACT_NOTIFY") {
    throw InvalidArgument(what + ": SCMP_ACT_NOTIFY needs a seccomp agent, which berth does not run");
  }
  if (!IsAction(a)) throw InvalidArgument(what + ": " + Quoted(a) + " is not a seccomp action");
  return a;
}

json Architectures(const json& p, const SeccompNode& node, const std::string& what) {
  json arches = json::array();
  for (const auto& a : Strings(p.value("architectures", json()), what + ": architectures")) arches.push_back(a);
  if (!arches.empty() || !p.contains("archMap") || !p["archMap"].is_array() || node.architectures.empty()) {
    return arches;
  }
  for (const auto& m : p["archMap"]) {
    if (!m.is_object() || m.value("architecture", "") != node.architectures.front()) continue;
    arches.push_back(m["architecture"]);
    for (const auto& s : Strings(m.value("subArchitectures", json()), what + ": subArchitectures")) arches.push_back(s);
  }
  return arches;
}

}  // namespace

SeccompChoice ChooseSeccomp(bool has_profile, const runtime::v1::SecurityProfile& profile, const std::string& legacy,
                            const std::string& default_profile, const std::string& field) {
  using P = runtime::v1::SecurityProfile;
  if (has_profile) {
    switch (profile.profile_type()) {
      case P::RuntimeDefault: return {SeccompMode::kRuntimeDefault, ""};
      case P::Unconfined: return {SeccompMode::kUnconfined, ""};
      case P::Localhost:
        if (profile.localhost_ref().empty()) {
          throw InvalidArgument(field + ".seccomp.localhost_ref is required with profile_type Localhost");
        }
        return {SeccompMode::kLocalhost, profile.localhost_ref()};
      default:
        throw InvalidArgument(field + ".seccomp.profile_type " + std::to_string(profile.profile_type()) +
                              " is not RuntimeDefault, Unconfined or Localhost");
    }
  }
  if (!legacy.empty()) return FromLegacy(legacy, field + ".seccomp_profile_path");
  return FromLegacy(default_profile, "config security.seccomp_default");
}

std::string LocalhostProfilePath(const std::string& requested, const std::string& root) {
  const std::string what = "seccomp profile " + Quoted(requested);
  if (requested.find('\0') != std::string::npos || requested.size() > 4096) {
    throw InvalidArgument(what + " is not a usable path");
  }
  fs::path p(requested);
  if (p.is_relative()) {
    if (root.empty()) throw InvalidArgument(what + " is relative and no security.seccomp_profile_root is set");
    p = fs::path(root) / p;
  }
  const fs::path clean = p.lexically_normal();
  if (root.empty()) return clean.string();
  const fs::path base = fs::path(root).lexically_normal();
  const auto rel = clean.lexically_relative(base);
  if (rel.empty() || *rel.begin() == ".." || rel == ".") {
    throw InvalidArgument(what + " is outside the seccomp profile root " + Quoted(base.string()) +
                          " (config security.seccomp_profile_root)");
  }
  return clean.string();
}

json ParseSeccompProfile(const std::string& text, const std::string& what, const SeccompNode& node,
                         const std::vector<std::string>& caps) {
  const json p = json::parse(text, nullptr, false);
  if (p.is_discarded() || !p.is_object()) throw InvalidArgument(what + " is not a JSON object");
  json out = {{"defaultAction", CheckedAction(p.value("defaultAction", json()), what + ": defaultAction")}};
  if (p.contains("defaultErrnoRet")) out["defaultErrnoRet"] = p.value("defaultErrnoRet", 1u);
  const json arches = Architectures(p, node, what);
  if (!arches.empty()) out["architectures"] = arches;
  const auto flags = Strings(p.value("flags", json()), what + ": flags");
  if (!flags.empty()) out["flags"] = flags;
  json syscalls = json::array();
  const json rules = p.value("syscalls", json::array());
  if (!rules.is_array()) throw InvalidArgument(what + ": syscalls is not a list");
  for (const auto& rule : rules) {
    if (!rule.is_object()) throw InvalidArgument(what + ": a syscalls entry is not an object");
    json r = {{"names", RuleNames(rule, what)}, {"action", CheckedAction(rule.value("action", json()), what)}};
    json args = RuleArgs(rule, what);
    if (!Applies(rule, node, caps, what)) continue;
    if (!args.empty()) r["args"] = std::move(args);
    if (rule.contains("errnoRet")) r["errnoRet"] = rule.value("errnoRet", 1u);
    syscalls.push_back(std::move(r));
  }
  out["syscalls"] = std::move(syscalls);
  return out;
}

json SeccompSpec(const SeccompChoice& choice, const std::string& profile_text, const SeccompNode& node,
                 const std::vector<std::string>& caps) {
  if (choice.mode == SeccompMode::kUnconfined) return nullptr;
  if (!node.supported) {
    throw FailedPrecondition("a seccomp profile was requested but this node's kernel has no seccomp filters");
  }
  if (choice.mode == SeccompMode::kRuntimeDefault) return DefaultSeccompProfile(node, caps);
  return ParseSeccompProfile(profile_text, "seccomp profile " + Quoted(choice.path), node, caps);
}

std::vector<std::string> EffectiveCapabilities(const json& process) {
  std::vector<std::string> out;
  if (!process.is_object() || !process.contains("capabilities")) return out;
  for (const auto& c : process["capabilities"].value("effective", json::array())) out.push_back(c.get<std::string>());
  return out;
}

}  // namespace berth::pod
