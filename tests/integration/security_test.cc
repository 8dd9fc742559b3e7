// Confinement and hostile requests against a real berthd and runc (bridge
// berthsec<N>, 10.192.<N>.0/24): seccomp seen from inside the container
// (/proc/self/status, a denied syscall's EPERM), and every hostile request
// of the security issue refused with INVALID_ARGUMENT or FAILED_PRECONDITION
// naming the field, leaving no file, dir, mount or process behind.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "tests/integration/container_fixture.h"

// The deprecated profile-path fields are what critest sends: tested on purpose.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace berth::testing {
namespace {

class SecurityTest : public ContainerFixture {
 protected:
  void StartWithProfiles(int n) {
    profiles_ = work_ / "seccomp";
    fs::create_directories(profiles_);
    chmod_profile_ = work_.Write("seccomp/block-chmod.json", R"({
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO"}]})");
    work_.Write("seccomp/broken.json", "{ not json");
    StartBerthd(n, "berthsec", 192, "security:\n  seccomp_profile_root: " + profiles_ + "\n");
  }

  // A running `sleep` container whose security context `tweak` sets.
  std::string Running(const std::string& pod, const std::string& name,
                      const std::function<void(runtime::v1::LinuxContainerSecurityContext&)>& tweak) {
    auto req = CtrRequest(pod, name, {"sleep", "1000"});
    tweak(*req.mutable_config()->mutable_linux()->mutable_security_context());
    return MustRunContainer(req);
  }

  runtime::v1::ExecSyncResponse Run(const std::string& id, const std::string& script) {
    runtime::v1::ExecSyncResponse r;
    auto st = Exec(id, {"sh", "-c", script}, 10, &r);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return r;
  }

  std::string SeccompMode(const std::string& id) {
    const auto r = Run(id, "grep Seccomp: /proc/self/status");
    return r.stdout().substr(r.stdout().find_first_of("0123456789"), 1);
  }

  // The code and message of a CreateContainer whose config `tweak` changes.
  grpc::Status CreateWith(const std::string& pod, const std::function<void(runtime::v1::ContainerConfig&)>& tweak) {
    auto req = CtrRequest(pod, "hostile", {"sleep", "1000"});
    tweak(*req.mutable_config());
    std::string id;
    return Create(req, &id);
  }

  std::string profiles_, chmod_profile_;
};

runtime::v1::SecurityProfile Profile(runtime::v1::SecurityProfile::ProfileType t, const std::string& ref = "") {
  runtime::v1::SecurityProfile p;
  p.set_profile_type(t);
  p.set_localhost_ref(ref);
  return p;
}

using P = runtime::v1::SecurityProfile;

TEST_F(SecurityTest, SeccompAsSeenFromInside) {
  StartWithProfiles(1);
  const std::string pod = RunPod("seccomp");

  const std::string def = Running(pod, "default", [](auto& sc) { *sc.mutable_seccomp() = Profile(P::RuntimeDefault); });
  EXPECT_EQ(SeccompMode(def), "2");
  // unshare(CLONE_NEWUSER) needs no capability, so only the profile stops it.
  auto r = Run(def, "unshare -U true; echo rc=$?");
  EXPECT_NE(r.stdout().find("rc=1"), std::string::npos) << r.stdout() << r.stderr();
  EXPECT_NE(r.stderr().find("Operation not permitted"), std::string::npos) << r.stderr();
  r = Run(def, "echo hi > /tmp/f && chmod 600 /tmp/f && cat /tmp/f && ls /proc/self/ns/ >/dev/null && echo ok");
  EXPECT_EQ(r.stdout(), "hi\nok\n") << "ordinary work goes on: " << r.stderr();

  const std::string legacy = Running(pod, "legacy", [](auto& sc) { sc.set_seccomp_profile_path("runtime/default"); });
  EXPECT_EQ(SeccompMode(legacy), "2");

  const std::string local = Running(pod, "local", [&](auto& sc) {
    *sc.mutable_seccomp() = Profile(P::Localhost, chmod_profile_);
  });
  EXPECT_EQ(SeccompMode(local), "2");
  r = Run(local, "chmod 400 /tmp; echo rc=$?");
  EXPECT_NE(r.stdout().find("rc=1"), std::string::npos) << r.stdout();
  EXPECT_NE(r.stderr().find("Operation not permitted"), std::string::npos) << r.stderr();

  const std::string open = Running(pod, "unconfined", [](auto& sc) { *sc.mutable_seccomp() = Profile(P::Unconfined); });
  EXPECT_EQ(SeccompMode(open), "0");
  r = Run(open, "unshare -U true; echo rc=$?");
  EXPECT_NE(r.stdout().find("rc=0"), std::string::npos) << "without the profile unshare works: " << r.stderr();

  const std::string unset = Running(pod, "unset", [](auto&) {});
  EXPECT_EQ(SeccompMode(unset), "0") << "security.seccomp_default is unconfined";

  // Adding SYS_ADMIN opens what the profile gates on it.
  const std::string admin = Running(pod, "admin", [](auto& sc) {
    *sc.mutable_seccomp() = Profile(P::RuntimeDefault);
    sc.mutable_capabilities()->add_add_capabilities("SYS_ADMIN");
  });
  r = Run(admin, "hostname seccomp-admin && hostname");
  EXPECT_EQ(r.stdout(), "seccomp-admin\n") << r.stderr();
}

TEST_F(SecurityTest, PrivilegedRunsUnconfinedAndTheDefaultCanBeRuntimeDefault) {
  profiles_ = work_ / "seccomp";
  fs::create_directories(profiles_);
  StartBerthd(2, "berthsec", 192,
              "security:\n  seccomp_default: runtime/default\n  seccomp_profile_root: " + profiles_ + "\n");
  auto preq = PodRequest("priv");
  preq.mutable_config()->mutable_linux()->mutable_security_context()->set_privileged(true);
  const std::string pod = MustRunPod(preq);
  const std::string unset = Running(pod, "unset", [](auto&) {});
  EXPECT_EQ(SeccompMode(unset), "2") << "config security.seccomp_default: runtime/default";
  const std::string priv = Running(pod, "privileged", [](auto& sc) {
    sc.set_privileged(true);
    *sc.mutable_seccomp() = Profile(P::RuntimeDefault);
  });
  EXPECT_EQ(SeccompMode(priv), "0");
}

TEST_F(SecurityTest, HostileContainerRequestsAreRefusedAndLeaveNothing) {
  StartWithProfiles(3);
  const std::string pod = RunPod("hostile");
  const std::string escape = "/tmp/berth-escape-" + std::to_string(::getpid()) + ".log";
  const auto expect = [](const grpc::Status& st, grpc::StatusCode code, const std::string& needle) {
    EXPECT_EQ(st.error_code(), code) << st.error_message();
    EXPECT_NE(st.error_message().find(needle), std::string::npos) << st.error_message();
  };
  const auto escape_rel = "../../../../../../../../.." + escape;
  expect(CreateWith(pod, [&](auto& c) { c.set_log_path(escape_rel); }), grpc::StatusCode::INVALID_ARGUMENT,
         "config.log_path");
  expect(CreateWith(pod, [&](auto& c) { c.set_log_path(escape); }), grpc::StatusCode::INVALID_ARGUMENT, "absolute");
  EXPECT_FALSE(fs::exists(escape));

  // A symlink in the log directory may not lead the log elsewhere.
  const std::string outside = work_ / "outside";
  fs::create_directories(outside);
  fs::create_directories(logs() + "/hostile");
  fs::create_directory_symlink(outside, logs() + "/hostile/evil");
  expect(CreateWith(pod, [](auto& c) { c.set_log_path("evil/x.log"); }), grpc::StatusCode::INVALID_ARGUMENT,
         "symlink");
  fs::create_symlink(outside + "/victim.log", logs() + "/hostile/victim.log");
  expect(CreateWith(pod, [](auto& c) { c.set_log_path("victim.log"); }), grpc::StatusCode::INVALID_ARGUMENT,
         "not a regular file");
  EXPECT_TRUE(fs::is_empty(outside));

  // Bidirectional from a private mount: refused; from a shared one: runs.
  const std::string priv = work_ / "private", shared = work_ / "shared";
  fs::create_directories(priv);
  fs::create_directories(shared);
  ASSERT_EQ(::mount(priv.c_str(), priv.c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(::mount(nullptr, priv.c_str(), nullptr, MS_PRIVATE, nullptr), 0);
  ASSERT_EQ(::mount(shared.c_str(), shared.c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(::mount(nullptr, shared.c_str(), nullptr, MS_SHARED, nullptr), 0);
  const auto bind = [](const std::string& host, runtime::v1::MountPropagation p) {
    return [host, p](runtime::v1::ContainerConfig& c) {
      auto* m = c.add_mounts();
      m->set_host_path(host);
      m->set_container_path("/vol");
      m->set_propagation(p);
    };
  };
  expect(CreateWith(pod, bind(priv, runtime::v1::PROPAGATION_BIDIRECTIONAL)), grpc::StatusCode::FAILED_PRECONDITION,
         "needs a shared mount");
  expect(CreateWith(pod, bind(priv + "/missing/dir", runtime::v1::PROPAGATION_HOST_TO_CONTAINER)),
         grpc::StatusCode::FAILED_PRECONDITION, "(private)");
  EXPECT_FALSE(fs::exists(priv + "/missing")) << "nothing is made for a refused mount";
  expect(CreateWith(pod, bind(priv + "/../etc", runtime::v1::PROPAGATION_PRIVATE)), grpc::StatusCode::INVALID_ARGUMENT,
         "holds '..'");
  {
    auto req = CtrRequest(pod, "shared", {"sleep", "1000"});
    bind(shared, runtime::v1::PROPAGATION_BIDIRECTIONAL)(*req.mutable_config());
    const std::string id = MustRunContainer(req);
    EXPECT_EQ(Status(id).status().state(), runtime::v1::CONTAINER_RUNNING);
    EXPECT_TRUE(Stop(id, 0).ok());
    EXPECT_TRUE(RemoveCtr(id).ok());
  }

  // seccomp: no "localhost/" prefix, outside the root, missing, broken.
  using SC = runtime::v1::LinuxContainerSecurityContext;
  const auto sec = [](const std::function<void(SC&)>& f) {
    return [f](runtime::v1::ContainerConfig& c) { f(*c.mutable_linux()->mutable_security_context()); };
  };
  expect(CreateWith(pod, sec([&](SC& sc) { sc.set_seccomp_profile_path(chmod_profile_); })),
         grpc::StatusCode::INVALID_ARGUMENT, "localhost/<path>");
  expect(CreateWith(pod, sec([](SC& sc) { sc.set_seccomp_profile_path("localhost//etc/passwd"); })),
         grpc::StatusCode::INVALID_ARGUMENT, "outside the seccomp profile root");
  expect(CreateWith(pod, sec([&](SC& sc) { *sc.mutable_seccomp() = Profile(P::Localhost, profiles_ + "/nope.json"); })),
         grpc::StatusCode::INVALID_ARGUMENT, "nope.json");
  expect(CreateWith(pod, sec([&](SC& sc) { *sc.mutable_seccomp() = Profile(P::Localhost, "broken.json"); })),
         grpc::StatusCode::INVALID_ARGUMENT, "is not a JSON object");
  fs::create_symlink("/etc/passwd", profiles_ + "/link.json");
  expect(CreateWith(pod, sec([&](SC& sc) { *sc.mutable_seccomp() = Profile(P::Localhost, "link.json"); })),
         grpc::StatusCode::INVALID_ARGUMENT, "outside the seccomp profile root");
  // No AppArmor or SELinux on this node: an explicit request fails clearly.
  expect(CreateWith(pod, sec([](SC& sc) { sc.set_apparmor_profile("localhost/my-profile"); })),
         grpc::StatusCode::FAILED_PRECONDITION, "AppArmor is not enabled");
  expect(CreateWith(pod, sec([](SC& sc) { sc.mutable_selinux_options()->set_type("container_t"); })),
         grpc::StatusCode::FAILED_PRECONDITION, "SELinux is not enabled");
  expect(CreateWith(pod, [](auto& c) {
           auto* e = c.add_envs();
           e->set_key("A=B");
         }),
         grpc::StatusCode::INVALID_ARGUMENT, "config.envs");

  // oom_score_adj out of range on update: refused; in range: applied.
  const std::string id = MustRunContainer(CtrRequest(pod, "oom", {"sleep", "1000"}));
  runtime::v1::UpdateContainerResourcesRequest u;
  u.set_container_id(id);
  u.mutable_linux()->set_oom_score_adj(5000);
  runtime::v1::UpdateContainerResourcesResponse ur;
  expect(berthd_->runtime().UpdateContainerResources(Ctx().get(), u, &ur), grpc::StatusCode::INVALID_ARGUMENT,
         "oom_score_adj 5000");
  u.mutable_linux()->set_oom_score_adj(500);
  ASSERT_TRUE(berthd_->runtime().UpdateContainerResources(Ctx().get(), u, &ur).ok());
  EXPECT_EQ(Run(id, "cat /proc/$(pidof sleep)/oom_score_adj").stdout(), "500\n");
  EXPECT_EQ(Status(id).status().resources().linux().oom_score_adj(), 500);

  EXPECT_EQ(List().size(), 1u) << "only the oom container exists";
  EXPECT_TRUE(Stop(id, 0).ok());
  EXPECT_TRUE(RemoveCtr(id).ok());
  ExpectNothingLeft(id);
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_FALSE(fs::exists(escape));
  ::umount2(priv.c_str(), MNT_DETACH);
  ::umount2(shared.c_str(), MNT_DETACH);
}

TEST_F(SecurityTest, HostileSandboxRequestsAreRefusedAndLeaveNothing) {
  StartWithProfiles(4);
  const auto expect = [&](const std::function<void(runtime::v1::PodSandboxConfig&)>& tweak, const std::string& needle) {
    auto req = PodRequest("bad");
    tweak(*req.mutable_config());
    std::string id;
    const auto st = RunPod(req, &id);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << needle << ": " << st.error_message();
    EXPECT_NE(st.error_message().find(needle), std::string::npos) << st.error_message();
  };
  expect([](auto& c) { c.set_hostname("a/b"); }, "config.hostname \"a/b\"");
  expect([](auto& c) { c.set_hostname("evil\n127.0.0.1 bank"); }, "config.hostname \"evil\\x0a127");
  expect([](auto& c) { c.mutable_dns_config()->add_servers("8.8.8.8\nnameserver 6.6.6.6"); }, "dns_config.servers");
  expect([](auto& c) { c.mutable_dns_config()->add_searches("a.com\noptions debug"); }, "dns_config.searches");
  expect([](auto& c) { c.mutable_dns_config()->add_options("ndots:5\nnameserver 6.6.6.6"); }, "dns_config.options");
  expect([](auto& c) { c.set_log_directory("relative/logs"); }, "config.log_directory");
  expect([](auto& c) { c.set_log_directory("/tmp/../etc"); }, "config.log_directory");
  expect([](auto& c) { (*c.mutable_linux()->mutable_sysctls())["net.ipv4.no_such_key"] = "1"; }, "does not exist");
  expect([](auto& c) { (*c.mutable_linux()->mutable_sysctls())["net.ipv4.ip_forward"] = "1\n0"; }, "newline");
  expect([](auto& c) { (*c.mutable_linux()->mutable_sysctls())["kernel.hostname"] = "x"; }, "namespaced");
  expect([](auto& c) { c.mutable_linux()->mutable_security_context()->set_seccomp_profile_path("/x.json"); },
         "seccomp_profile_path");
  EXPECT_TRUE(ListPods().empty());
  ExpectNoPodLeft();

  // A namespaced sysctl that exists is applied in the pod.
  auto ok = PodRequest("sysctl");
  (*ok.mutable_config()->mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "80";
  const std::string pod = MustRunPod(ok);
  const std::string id = MustRunContainer(CtrRequest(pod, "c", {"sleep", "1000"}));
  EXPECT_EQ(Run(id, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start").stdout(), "80\n");
}

// A CRI mount at /etc must not hide the pod's /etc/hosts, resolv.conf and hostname.
TEST_F(SecurityTest, ACriMountAtEtcKeepsThePodsFiles) {
  StartWithProfiles(5);
  const std::string pod = RunPod("etcmount");
  const std::string etc = work_.Write("etc/hosts", "6.6.6.6 fake\n");
  auto req = CtrRequest(pod, "etc", {"sleep", "1000"});
  auto* m = req.mutable_config()->add_mounts();
  m->set_host_path(fs::path(etc).parent_path().string());
  m->set_container_path("/etc");
  const std::string id = MustRunContainer(req);
  const auto r = Run(id, "cat /etc/hosts /etc/hostname");
  EXPECT_EQ(r.stdout().find("6.6.6.6"), std::string::npos) << r.stdout();
  EXPECT_NE(r.stdout().find("etcmount"), std::string::npos) << r.stdout();
}

}  // namespace
}  // namespace berth::testing

namespace berth::testing {
namespace {

runtime::v1::UserNamespace PodUsers(uint32_t host, uint32_t length) {
  runtime::v1::UserNamespace u;
  u.set_mode(runtime::v1::POD);
  for (auto* m : {u.add_uids(), u.add_gids()}) {
    m->set_container_id(0);
    m->set_host_id(host);
    m->set_length(length);
  }
  return u;
}

// Runs of blanks as one space, none at a line's start.
std::string Squeezed(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ' && out.back() != '\n') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

TEST_F(SecurityTest, AUserNamespacePodSeesItsMappingAndOwnsItsFiles) {
  StartWithProfiles(6);
  auto preq = PodRequest("userns");
  auto* nso = preq.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  *nso->mutable_userns_options() = PodUsers(200000, 65536);
  // mkdtemp made berthd's dir 0700: the pod's mapped root could not reach its rootfs.
  std::string refused_id;
  const auto closed = RunPod(preq, &refused_id);
  EXPECT_EQ(closed.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << closed.error_message();
  EXPECT_NE(closed.error_message().find("searchable by others"), std::string::npos) << closed.error_message();
  ExpectNoPodLeft();
  fs::permissions(berthd_->dir().path(), fs::perms::others_exec, fs::perm_options::add);
  const std::string pod = MustRunPod(preq);
  ASSERT_FALSE(pod.empty());

  const std::string vol = work_ / "vol";
  fs::create_directories(vol);
  work_.Write("vol/host-file", "from the host\n");
  auto req = CtrRequest(pod, "app", {"sleep", "1000"});
  auto* m = req.mutable_config()->add_mounts();
  m->set_host_path(vol);
  m->set_container_path("/vol");
  const std::string id = MustRunContainer(req);

  auto r = Run(id, "cat /proc/self/uid_map /proc/self/gid_map");
  EXPECT_EQ(Squeezed(r.stdout()), "0 200000 65536\n0 200000 65536\n") << r.stdout();
  r = Run(id, "id -u; stat -c %u:%g / /etc/passwd /vol /vol/host-file; touch /etc/new /vol/made-inside && echo ok");
  EXPECT_EQ(r.stdout(), "0\n0:0\n0:0\n0:0\n0:0\nok\n") << r.stderr();
  r = Run(id, "ls /sys/class/net");
  EXPECT_NE(r.stdout().find("eth0"), std::string::npos) << "sysfs of the pod's netns: " << r.stdout() << r.stderr();
  EXPECT_FALSE(PodStatus(pod).status().network().ip().empty());

  // On the host the container's root is uid 200000, and what it made is root's on disk.
  const int pid = CtrInfo(id)["pid"];
  const std::string status = Slurp("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(Squeezed(status).find("Uid: 200000 200000 200000 200000"), std::string::npos) << status;
  struct stat st {};
  ASSERT_EQ(::stat((vol + "/made-inside").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the id-mapped volume stores the pod's root as the host's";

  // Containers must take the pod's user namespace.
  const auto refused = [&](const std::function<void(runtime::v1::NamespaceOption&)>& f, const std::string& needle) {
    auto bad = CtrRequest(pod, "bad", {"true"});
    f(*bad.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options());
    std::string ignored;
    const auto got = Create(bad, &ignored);
    EXPECT_EQ(got.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << got.error_message();
    EXPECT_NE(got.error_message().find(needle), std::string::npos) << got.error_message();
  };
  refused([](auto& n) { n.mutable_userns_options()->set_mode(runtime::v1::NODE); }, "has a user namespace");
  refused([](auto& n) { *n.mutable_userns_options() = PodUsers(300000, 65536); }, "differ from the pod's");

  EXPECT_TRUE(Stop(id, 0).ok());
  EXPECT_TRUE(RemoveCtr(id).ok());
  ExpectNothingLeft(id);
  EXPECT_TRUE(StopPod(pod).ok());
  EXPECT_TRUE(RemovePod(pod).ok());
  ExpectNoPodLeft();
  for (const auto& dir : {layout().SandboxRunDirs(), layout().ContainerRunDirs()}) {
    EXPECT_FALSE(MountTableMentions(dir + "/")) << Slurp("/proc/self/mountinfo");
  }
}

TEST_F(SecurityTest, UserNamespaceMappingsThatAreNotAllowedAreRefused) {
  StartWithProfiles(7);
  const auto refused = [&](const runtime::v1::UserNamespace& u, const std::string& needle) {
    auto req = PodRequest("badusers");
    *req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()
         ->mutable_userns_options() = u;
    std::string id;
    const auto st = RunPod(req, &id);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    EXPECT_NE(st.error_message().find(needle), std::string::npos) << st.error_message();
  };
  runtime::v1::UserNamespace none;
  none.set_mode(runtime::v1::POD);
  refused(none, "at least one mapping");
  auto overlap = PodUsers(200000, 65536);
  auto* extra = overlap.add_uids();
  extra->set_container_id(70000);
  extra->set_host_id(210000);
  extra->set_length(10);
  refused(overlap, "overlap");
  auto no_root = PodUsers(200000, 65536);
  no_root.mutable_uids(0)->set_container_id(1);
  refused(no_root, "container id 0");
  auto zero = PodUsers(200000, 0);
  refused(zero, "length 0");
  auto host_net = PodRequest("hostnet");
  auto* nso = host_net.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  *nso->mutable_userns_options() = PodUsers(200000, 65536);
  nso->set_network(runtime::v1::NODE);
  host_net.mutable_config()->clear_hostname();
  std::string id;
  EXPECT_EQ(RunPod(host_net, &id).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectNoPodLeft();
}

}  // namespace
}  // namespace berth::testing
