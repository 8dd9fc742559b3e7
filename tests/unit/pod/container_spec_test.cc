// A container's OCI spec, the process part: command/args, env, cwd, user,
// oom_score_adj, capabilities, privileged, masked paths, annotations, stop signal.
#include <csignal>

#include "pod/signals.h"
#include "tests/unit/pod/container_spec_case.h"

namespace berth::pod::testing {
namespace {

// --- process.args -----------------------------------------------------------

TEST(ContainerSpecArgs, ImageEntrypointAndCmdWhenCriSetsNothing) {
  Case c;
  c.image = Image({{"Entrypoint", {"/entry"}}, {"Cmd", {"-v", "run"}}});
  EXPECT_EQ(Strings(c.Spec()["process"]["args"]), (std::vector<std::string>{"/entry", "-v", "run"}));
}

TEST(ContainerSpecArgs, CommandReplacesEntrypointAndDropsImageCmd) {
  Case c;
  c.image = Image({{"Entrypoint", {"/entry"}}, {"Cmd", {"-v"}}});
  SetArgs(c.config.mutable_command(), {"/bin/true"});
  EXPECT_EQ(Strings(c.Spec()["process"]["args"]), (std::vector<std::string>{"/bin/true"}));
  SetArgs(c.config.mutable_args(), {"x", "y"});
  EXPECT_EQ(Strings(c.Spec()["process"]["args"]), (std::vector<std::string>{"/bin/true", "x", "y"}));
}

TEST(ContainerSpecArgs, ArgsReplaceCmdAfterEntrypoint) {
  Case c;
  c.image = Image({{"Entrypoint", {"/entry", "--flag"}}, {"Cmd", {"default"}}});
  SetArgs(c.config.mutable_args(), {"mine"});
  EXPECT_EQ(Strings(c.Spec()["process"]["args"]), (std::vector<std::string>{"/entry", "--flag", "mine"}));
  c.image = Image(json::object());
  EXPECT_EQ(Strings(c.Spec()["process"]["args"]), (std::vector<std::string>{"mine"}));
}

TEST(ContainerSpecArgs, NoCommandAnywhereIsInvalidArgument) {
  Case c;
  c.image = Image(json::object());
  auto [code, msg] = Failure(c);
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_NE(msg.find("no command specified"), std::string::npos) << msg;
}

// --- env, cwd, terminal -----------------------------------------------------

TEST(ContainerSpecProcess, CriEnvOverridesImageEnvInPlaceAndHostnameIsAdded) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"Env", {"PATH=/opt/bin:/bin", "A=image", "B=image"}}});
  auto* kv = c.config.add_envs();
  kv->set_key("A");
  kv->set_value("cri");
  kv = c.config.add_envs();
  kv->set_key("C");
  kv->set_value("new=with=equals");
  EXPECT_EQ(Strings(c.Spec()["process"]["env"]),
            (std::vector<std::string>{"PATH=/opt/bin:/bin", "A=cri", "B=image", "C=new=with=equals", "HOSTNAME=web-0"}));
}

TEST(ContainerSpecProcess, DefaultPathAndCriHostnameWins) {
  Case c;
  auto* kv = c.config.add_envs();
  kv->set_key("HOSTNAME");
  kv->set_value("mine");
  const auto env = Strings(c.Spec()["process"]["env"]);
  EXPECT_EQ(env, (std::vector<std::string>{"HOSTNAME=mine",
                                           "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
}

TEST(ContainerSpecProcess, CwdFromCriThenImageThenRoot) {
  Case c;
  EXPECT_EQ(c.Spec()["process"]["cwd"], "/");
  c.image = Image({{"Cmd", {"sh"}}, {"WorkingDir", "/srv"}});
  EXPECT_EQ(c.Spec()["process"]["cwd"], "/srv");
  c.config.set_working_dir("/work");
  EXPECT_EQ(c.Spec()["process"]["cwd"], "/work");
  c.config.set_working_dir("rel");
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);
}

TEST(ContainerSpecProcess, TerminalRootfsCgroupsAndNoHostname) {
  Case c;
  c.config.set_tty(true);
  c.sc().set_readonly_rootfs(true);
  json spec = c.Spec();
  EXPECT_EQ(spec["process"]["terminal"], true);
  EXPECT_EQ(spec["root"]["path"], "/var/lib/berth/containers/" + kId + "/rootfs");
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["linux"]["cgroupsPath"], "/kubepods/poduid-1/" + kId);
  EXPECT_FALSE(spec.contains("hostname"));
  EXPECT_FALSE(spec["process"].contains("rlimits"));
  EXPECT_FALSE(spec["process"].contains("selinuxLabel"));
  EXPECT_FALSE(spec["process"].contains("apparmorProfile"));
  EXPECT_FALSE(spec["linux"].contains("seccomp"));
}

// --- user -------------------------------------------------------------------

TEST(ContainerSpecUser, RootByDefaultWithPrimaryGroup) {
  Case c;
  json user = c.Spec()["process"]["user"];
  EXPECT_EQ(user["uid"], 0);
  EXPECT_EQ(user["gid"], 0);
  EXPECT_EQ(user["additionalGids"], json({0}));
}

TEST(ContainerSpecUser, ImageUserNameResolvesUidGidAndMemberships) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"User", "www"}});
  json user = c.Spec()["process"]["user"];
  EXPECT_EQ(user["uid"], 33);
  EXPECT_EQ(user["gid"], 33);
  EXPECT_EQ(user["additionalGids"], json({33, 29}));  // audio lists www
}

TEST(ContainerSpecUser, ImageUserWithGroupNameOrNumber) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"User", "www:video"}});
  EXPECT_EQ(c.Spec()["process"]["user"]["gid"], 44);
  c.image = Image({{"Cmd", {"sh"}}, {"User", "1000:1001"}});
  json user = c.Spec()["process"]["user"];
  EXPECT_EQ(user["uid"], 1000);
  EXPECT_EQ(user["gid"], 1001);
}

TEST(ContainerSpecUser, UidWithoutPasswdEntryGetsGroupZero) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"User", "4711"}});
  json user = c.Spec()["process"]["user"];
  EXPECT_EQ(user["uid"], 4711);
  EXPECT_EQ(user["gid"], 0);
  c.passwd.clear();
  c.group.clear();
  EXPECT_EQ(c.Spec()["process"]["user"]["uid"], 4711);
}

TEST(ContainerSpecUser, UnknownNamesAreInvalidArgumentNamingThem) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"User", "nobody"}});
  auto [code, msg] = Failure(c);
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_NE(msg.find("\"nobody\""), std::string::npos) << msg;
  c.image = Image({{"Cmd", {"sh"}}, {"User", "www:wheel"}});
  std::tie(code, msg) = Failure(c);
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_NE(msg.find("\"wheel\""), std::string::npos) << msg;
  c.image = Image({{"Cmd", {"sh"}}});
  c.sc().set_run_as_username("ghost");
  std::tie(code, msg) = Failure(c);
  EXPECT_NE(msg.find("\"ghost\""), std::string::npos) << msg;
}

TEST(ContainerSpecUser, SecurityContextOverridesImageUser) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"User", "www"}});
  c.sc().mutable_run_as_user()->set_value(0);
  EXPECT_EQ(c.Spec()["process"]["user"]["uid"], 0);
  c.sc().mutable_run_as_user()->set_value(33);
  c.sc().mutable_run_as_group()->set_value(2000);
  c.sc().add_supplemental_groups(3000);
  c.sc().add_supplemental_groups(29);
  json user = c.Spec()["process"]["user"];
  EXPECT_EQ(user["uid"], 33);
  EXPECT_EQ(user["gid"], 2000);
  EXPECT_EQ(user["additionalGids"], json({2000, 29, 3000}));

  c.sc().set_supplemental_groups_policy(v1::Strict);  // no /etc/group memberships
  EXPECT_EQ(c.Spec()["process"]["user"]["additionalGids"], json({2000, 3000, 29}));

  c.sc().clear_run_as_user();
  c.sc().set_run_as_username("www");
  EXPECT_EQ(c.Spec()["process"]["user"]["uid"], 33);
  c.sc().clear_run_as_username();  // a group without a user: the CRI says refuse
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);
}

// --- oom_score_adj ----------------------------------------------------------

TEST(ContainerSpecOom, BelowOwnIsRaisedAndRemembered) {
  Case c;
  c.own_oom = -500;
  c.res().set_oom_score_adj(-998);
  ContainerSpec s = c.Build();
  EXPECT_EQ(s.spec["process"]["oomScoreAdj"], -500);
  ASSERT_TRUE(s.oom_score_adj_requested);
  EXPECT_EQ(*s.oom_score_adj_requested, -998);

  c.res().set_oom_score_adj(1000);
  s = c.Build();
  EXPECT_EQ(s.spec["process"]["oomScoreAdj"], 1000);
  EXPECT_FALSE(s.oom_score_adj_requested);
  EXPECT_EQ(ClampOomScoreAdj(5, 0), 5);
  EXPECT_EQ(ClampOomScoreAdj(-5, 0), 0);
}

// --- capabilities, privileged, masked paths ---------------------------------

std::vector<std::string> Caps(const json& spec, const char* set = "effective") {
  return Strings(spec["process"]["capabilities"][set]);
}
bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(ContainerSpecCapabilities, DefaultSet) {
  Case c;
  json spec = c.Spec();
  const auto caps = Caps(spec);
  EXPECT_EQ(caps.size(), 14u);
  for (const char* cap : {"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_SETPCAP"}) {
    EXPECT_TRUE(Has(caps, cap)) << cap;
  }
  EXPECT_FALSE(Has(caps, "CAP_SYS_ADMIN"));
  EXPECT_EQ(Caps(spec, "bounding"), caps);
  EXPECT_EQ(Caps(spec, "permitted"), caps);
  EXPECT_FALSE(spec["process"]["capabilities"].contains("inheritable"));
  EXPECT_EQ(spec["process"]["noNewPrivileges"], false);
  c.sc().set_no_new_privs(true);
  EXPECT_EQ(c.Spec()["process"]["noNewPrivileges"], true);
}

TEST(ContainerSpecCapabilities, AddAndDropWithOrWithoutPrefix) {
  Case c;
  auto* caps = c.sc().mutable_capabilities();
  caps->add_add_capabilities("NET_ADMIN");
  caps->add_add_capabilities("cap_sys_ptrace");
  caps->add_drop_capabilities("CAP_MKNOD");
  caps->add_drop_capabilities("net_raw");
  const auto got = Caps(c.Spec());
  EXPECT_TRUE(Has(got, "CAP_NET_ADMIN"));
  EXPECT_TRUE(Has(got, "CAP_SYS_PTRACE"));
  EXPECT_FALSE(Has(got, "CAP_MKNOD"));
  EXPECT_FALSE(Has(got, "CAP_NET_RAW"));
  EXPECT_EQ(got.size(), 14u);
  caps->add_add_capabilities("CAP_BOGUS");
  auto [code, msg] = Failure(c);
  EXPECT_EQ(code, Code::kInvalidArgument);
  EXPECT_NE(msg.find("CAP_BOGUS"), std::string::npos) << msg;
}

TEST(ContainerSpecCapabilities, AllMeansOwnSetAndDropAllThenAdd) {
  Case c;
  c.own_caps = {"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_NET_ADMIN"};
  auto* caps = c.sc().mutable_capabilities();
  caps->add_add_capabilities("ALL");
  caps->add_drop_capabilities("SYS_ADMIN");
  EXPECT_EQ(Caps(c.Spec()), (std::vector<std::string>{"CAP_CHOWN", "CAP_NET_ADMIN"}));

  caps->Clear();
  caps->add_drop_capabilities("ALL");
  EXPECT_TRUE(Caps(c.Spec()).empty());
  caps->add_add_capabilities("NET_BIND_SERVICE");
  EXPECT_EQ(Caps(c.Spec()), std::vector<std::string>{"CAP_NET_BIND_SERVICE"});

  caps->add_add_ambient_capabilities("NET_RAW");
  json spec = c.Spec();
  EXPECT_EQ(Caps(spec), (std::vector<std::string>{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}));
  EXPECT_EQ(Caps(spec, "ambient"), std::vector<std::string>{"CAP_NET_RAW"});
  EXPECT_EQ(Caps(spec, "inheritable"), std::vector<std::string>{"CAP_NET_RAW"});
}

TEST(ContainerSpecPrivileged, AllOwnCapsWritableSysAllDevicesNoMasking) {
  Case c;
  c.own_caps = {"CAP_CHOWN", "CAP_SYS_ADMIN"};
  c.sc().set_privileged(true);
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);  // the sandbox is not privileged
  c.sb.privileged = true;
  c.sc().mutable_capabilities()->add_drop_capabilities("SYS_ADMIN");  // ignored when privileged
  json spec = c.Spec();
  EXPECT_EQ(Caps(spec, "bounding"), (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN"}));
  EXPECT_TRUE(HasOption(*FindMount(spec, "/sys"), "rw"));
  EXPECT_TRUE(HasOption(*FindMount(spec, "/sys/fs/cgroup"), "rw"));
  EXPECT_EQ(spec["linux"]["maskedPaths"], json::array());
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json::array());
  EXPECT_EQ(spec["linux"]["resources"]["devices"],
            json::parse(R"([{"allow":false,"access":"rwm"},{"allow":true,"access":"rwm"}])"));
}

TEST(ContainerSpecPaths, DefaultMaskedAndReadonlyUnlessCriGivesThem) {
  Case c;
  json spec = c.Spec();
  EXPECT_TRUE(Has(Strings(spec["linux"]["maskedPaths"]), "/proc/kcore"));
  EXPECT_TRUE(Has(Strings(spec["linux"]["readonlyPaths"]), "/proc/sys"));
  c.sc().add_masked_paths("/proc/secret");
  c.sc().add_readonly_paths("/proc/ro");
  spec = c.Spec();
  EXPECT_EQ(spec["linux"]["maskedPaths"], json({"/proc/secret"}));
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json({"/proc/ro"}));
}

// --- annotations, stop signal -----------------------------------------------

TEST(ContainerSpecMeta, Annotations) {
  Case c;
  (*c.config.mutable_annotations())["team"] = "blue";
  json a = c.Spec()["annotations"];
  EXPECT_EQ(a["team"], "blue");
  EXPECT_EQ(a["io.kubernetes.cri.container-type"], "container");
  EXPECT_EQ(a["io.kubernetes.cri.container-name"], "app");
  EXPECT_EQ(a["io.kubernetes.cri.image-name"], "docker.io/library/busybox:latest");
  EXPECT_EQ(a["io.kubernetes.cri.sandbox-id"], c.sb.id);
  EXPECT_EQ(a["io.kubernetes.cri.sandbox-name"], "web");
  EXPECT_EQ(a["io.kubernetes.cri.sandbox-namespace"], "default");
}

TEST(ContainerSpecMeta, StopSignalNormalized) {
  Case c;
  EXPECT_EQ(c.Build().stop_signal, "SIGTERM");
  for (const auto& [given, want] : std::vector<std::pair<std::string, std::string>>{
           {"TERM", "SIGTERM"}, {"15", "SIGTERM"}, {"sigquit", "SIGQUIT"}, {"SIGRTMIN+3", "SIGRTMIN+3"},
           {"IOT", "SIGABRT"}, {"9", "SIGKILL"}}) {
    c.image = Image({{"Cmd", {"sh"}}, {"StopSignal", given}});
    EXPECT_EQ(c.Build().stop_signal, want) << given;
  }
  c.config.set_stop_signal(v1::SIGRTMINPLUS1);
  EXPECT_EQ(c.Build().stop_signal, "SIGRTMIN+1");
  v1::Signal sigint{};  // v1::SIGINT collides with the <signal.h> macro
  ASSERT_TRUE(v1::Signal_Parse("SIGINT", &sigint));
  c.config.set_stop_signal(sigint);
  EXPECT_EQ(c.Build().stop_signal, "SIGINT");
  c.config.set_stop_signal(v1::RUNTIME_DEFAULT);
  c.image = Image({{"Cmd", {"sh"}}, {"StopSignal", "SIGBOGUS"}});
  EXPECT_EQ(Failure(c).first, Code::kInvalidArgument);
  EXPECT_EQ(SignalNumber("SIGTERM"), SIGTERM);
  EXPECT_EQ(SignalNumber("SIGRTMIN+1"), SIGRTMIN + 1);
  EXPECT_EQ(SignalNumber("SIGRTMAX-2"), SIGRTMAX - 2);
}

}  // namespace
}  // namespace berth::pod::testing
