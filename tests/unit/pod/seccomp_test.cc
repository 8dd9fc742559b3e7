#include "pod/seccomp.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

using nlohmann::json;
using P = runtime::v1::SecurityProfile;

SeccompNode X86Node() {
  SeccompNode n;
  n.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  n.kernel_major = 6;
  n.kernel_minor = 1;
  return n;
}

P SeccompProfileOf(P::ProfileType t, const std::string& ref = "") {
  P p;
  p.set_profile_type(t);
  p.set_localhost_ref(ref);
  return p;
}

bool Allows(const json& profile, const std::string& name) {
  for (const auto& r : profile["syscalls"]) {
    if (r["action"] != "SCMP_ACT_ALLOW" || r.contains("args")) continue;
    const auto& names = r["names"];
    if (std::find(names.begin(), names.end(), name) != names.end()) return true;
  }
  return false;
}

const json* RuleFor(const json& profile, const std::string& name) {
  for (const auto& r : profile["syscalls"]) {
    const auto& names = r["names"];
    if (names.size() == 1 && names[0] == name) return &r;
  }
  return nullptr;
}

TEST(ChooseSeccomp, TheCurrentFieldWinsOverTheLegacyPath) {
  const auto c = ChooseSeccomp(true, SeccompProfileOf(P::Localhost, "/p.json"), "unconfined", "unconfined", "f");
  EXPECT_EQ(c.mode, SeccompMode::kLocalhost);
  EXPECT_EQ(c.path, "/p.json");
  EXPECT_EQ(ChooseSeccomp(true, SeccompProfileOf(P::RuntimeDefault), "", "unconfined", "f").mode, SeccompMode::kRuntimeDefault);
  EXPECT_EQ(ChooseSeccomp(true, SeccompProfileOf(P::Unconfined), "runtime/default", "unconfined", "f").mode,
            SeccompMode::kUnconfined);
}

TEST(ChooseSeccomp, LegacyPathsAndTheConfiguredDefault) {
  const P none;
  EXPECT_EQ(ChooseSeccomp(false, none, "runtime/default", "unconfined", "f").mode, SeccompMode::kRuntimeDefault);
  EXPECT_EQ(ChooseSeccomp(false, none, "docker/default", "unconfined", "f").mode, SeccompMode::kRuntimeDefault);
  EXPECT_EQ(ChooseSeccomp(false, none, "unconfined", "runtime/default", "f").mode, SeccompMode::kUnconfined);
  const auto local = ChooseSeccomp(false, none, "localhost//tmp/x.json", "unconfined", "f");
  EXPECT_EQ(local.mode, SeccompMode::kLocalhost);
  EXPECT_EQ(local.path, "/tmp/x.json");
  EXPECT_EQ(ChooseSeccomp(false, none, "", "unconfined", "f").mode, SeccompMode::kUnconfined);
  EXPECT_EQ(ChooseSeccomp(false, none, "", "runtime/default", "f").mode, SeccompMode::kRuntimeDefault);
}

TEST(ChooseSeccomp, APathWithoutLocalhostPrefixIsRefusedNamingIt) {
  try {
    ChooseSeccomp(false, P(), "/tmp/block.json", "unconfined", "CreateContainer: config.linux.security_context");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("seccomp_profile_path \"/tmp/block.json\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(ChooseSeccomp(false, P(), "localhost/", "unconfined", "f"), Error);
  EXPECT_THROW(ChooseSeccomp(true, SeccompProfileOf(P::Localhost), "", "unconfined", "f"), Error);
}

TEST(LocalhostProfilePath, StaysUnderTheRoot) {
  EXPECT_EQ(LocalhostProfilePath("/var/lib/kubelet/seccomp/a.json", "/var/lib/kubelet/seccomp"),
            "/var/lib/kubelet/seccomp/a.json");
  EXPECT_EQ(LocalhostProfilePath("profiles/a.json", "/var/lib/kubelet/seccomp"),
            "/var/lib/kubelet/seccomp/profiles/a.json");
  EXPECT_EQ(LocalhostProfilePath("/tmp/x/a.json", "/"), "/tmp/x/a.json");
  for (const char* bad : {"/etc/shadow", "../../etc/shadow", "/var/lib/kubelet/seccomp/../x.json",
                          "/var/lib/kubelet/seccompx/a.json", "/var/lib/kubelet/seccomp"}) {
    EXPECT_THROW(LocalhostProfilePath(bad, "/var/lib/kubelet/seccomp"), Error) << bad;
  }
  EXPECT_THROW(LocalhostProfilePath(std::string("/a\0b", 4), "/"), Error);
}

TEST(ParseSeccompProfile, DockerFormatBecomesOci) {
  const std::string text = R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"},
      {"name": "mount", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["arm_only"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
      {"names": ["new_call"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "7.0"}},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
    ]})";
  const json p = ParseSeccompProfile(text, "p", X86Node(), {"CAP_CHOWN"});
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(p["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  ASSERT_EQ(p["syscalls"].size(), 2u) << p.dump();  // mount, arm_only and new_call filtered out
  EXPECT_EQ(p["syscalls"][0]["names"], json({"chmod", "fchmodat"}));
  EXPECT_EQ(p["syscalls"][1]["args"][0]["op"], "SCMP_CMP_EQ");
  const json admin = ParseSeccompProfile(text, "p", X86Node(), {"CAP_SYS_ADMIN"});
  EXPECT_EQ(admin["syscalls"].size(), 3u);
}

TEST(ParseSeccompProfile, BrokenProfilesAreInvalidArgumentNamingTheFile) {
  for (const char* bad : {"not json", "[]", R"({"defaultAction": "SCMP_ACT_BOGUS"})",
                          R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO"}]})",
                          R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x y"], "action": "SCMP_ACT_ERRNO"}]})",
                          R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]})",
                          R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "LIKE"}]}]})",
                          R"({"defaultAction": "SCMP_ACT_NOTIFY"})"}) {
    try {
      ParseSeccompProfile(bad, "seccomp profile \"/p.json\"", X86Node(), {});
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kInvalidArgument) << bad;
      EXPECT_NE(std::string(e.what()).find("/p.json"), std::string::npos) << e.what();
    }
  }
}

TEST(DefaultSeccompProfile, DeniesWithEpermAndCoversTheCompatArches) {
  const json p = DefaultSeccompProfile(X86Node(), {"CAP_CHOWN"});
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], 1);
  EXPECT_EQ(p["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_TRUE(Allows(p, "read"));
  EXPECT_TRUE(Allows(p, "execve"));
  for (const char* denied : {"unshare", "mount", "sethostname", "setns", "keyctl", "add_key", "reboot", "bpf"}) {
    EXPECT_FALSE(Allows(p, denied)) << denied;
  }
}

TEST(DefaultSeccompProfile, CapabilitiesOpenTheirSyscalls) {
  const json p = DefaultSeccompProfile(X86Node(), {"CAP_SYS_ADMIN", "CAP_SYS_CHROOT"});
  for (const char* name : {"unshare", "mount", "sethostname", "setns", "clone", "clone3", "chroot"}) {
    EXPECT_TRUE(Allows(p, name)) << name;
  }
  EXPECT_FALSE(Allows(p, "keyctl"));
  EXPECT_EQ(RuleFor(p, "clone3"), nullptr);  // allowed with the rest
}

TEST(DefaultSeccompProfile, CloneWithoutSysAdminCannotMakeNamespaces) {
  const json p = DefaultSeccompProfile(X86Node(), {});
  const json* clone = RuleFor(p, "clone");
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ((*clone)["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  const uint64_t mask = (*clone)["args"][0]["value"];
  EXPECT_EQ((*clone)["args"][0]["valueTwo"], 0);
  EXPECT_TRUE(mask & 0x10000000);  // CLONE_NEWUSER
  EXPECT_TRUE(mask & 0x40000000);  // CLONE_NEWNET
  EXPECT_FALSE(mask & 0x00000100);  // CLONE_VM stays allowed
  const json* clone3 = RuleFor(p, "clone3");
  ASSERT_NE(clone3, nullptr);
  EXPECT_EQ((*clone3)["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*clone3)["errnoRet"], 38);  // ENOSYS: libc falls back to clone
}

TEST(DefaultSeccompProfile, SocketAndPersonalityHaveArgumentRules) {
  const json p = DefaultSeccompProfile(X86Node(), {});
  EXPECT_FALSE(Allows(p, "socket"));
  const json* socket = RuleFor(p, "socket");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ((*socket)["args"][0]["value"], 40);  // AF_VSOCK
  EXPECT_EQ((*socket)["args"][0]["op"], "SCMP_CMP_NE");
  int personas = 0;
  for (const auto& r : p["syscalls"]) personas += r["names"][0] == "personality";
  EXPECT_EQ(personas, 5);
}

TEST(DefaultSeccompProfile, NamesUnknownToTheNodeAreLeftOut) {
  SeccompNode n = X86Node();
  n.known_syscalls = {"read", "write"};
  const json p = DefaultSeccompProfile(n, {});
  EXPECT_EQ(p["syscalls"][0]["names"], json({"read", "write"}));
}

TEST(SeccompSpec, UnconfinedIsNullAndAnUnsupportedKernelRefusesProfiles) {
  EXPECT_TRUE(SeccompSpec({SeccompMode::kUnconfined, ""}, "", X86Node(), {}).is_null());
  SeccompNode off = X86Node();
  off.supported = false;
  EXPECT_TRUE(SeccompSpec({SeccompMode::kUnconfined, ""}, "", off, {}).is_null());
  try {
    SeccompSpec({SeccompMode::kRuntimeDefault, ""}, "", off, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
  }
}

TEST(EffectiveCapabilities, ReadsTheSpecProcess) {
  const json process = {{"capabilities", {{"effective", {"CAP_KILL", "CAP_CHOWN"}}}}};
  EXPECT_EQ(EffectiveCapabilities(process), (std::vector<std::string>{"CAP_KILL", "CAP_CHOWN"}));
  EXPECT_TRUE(EffectiveCapabilities(json::object()).empty());
}

}  // namespace
}  // namespace berth::pod
