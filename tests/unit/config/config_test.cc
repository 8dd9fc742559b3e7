#include "config/config.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace berth::config {
namespace {

using berth::testing::TempDir;

std::string ErrorOf(const std::string& yaml, const std::string& origin = "f.yaml") {
  Config c = Config::Defaults();
  try {
    ApplyYaml(c, yaml, origin);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, HandlerTypeAndArgs) {
  Config c = Config::Defaults();
  EXPECT_EQ(c.runtime.handlers.at("runc").type, RuntimeType::kProcess);
  EXPECT_EQ(c.runtime.handlers.at("crun").type, RuntimeType::kProcess);
  EXPECT_EQ(c.runtime.handlers.at("runsc").type, RuntimeType::kSandbox);
  EXPECT_EQ(c.runtime.handlers.at("runsc").args, (std::vector<std::string>{"--network=host", "--oci-seccomp"}));
  EXPECT_EQ(c.runtime.handlers.at("runsc").max_capability, "CAP_AUDIT_READ");
  ApplyYaml(c,
            "runtime:\n  handlers:\n    kata: {path: /usr/bin/kata, type: sandbox, args: [--debug]}\n"
            "    runsc: {args: []}\n",
            "f.yaml");
  EXPECT_EQ(c.runtime.handlers.at("kata").type, RuntimeType::kSandbox);
  EXPECT_EQ(c.runtime.handlers.at("kata").args, (std::vector<std::string>{"--debug"}));
  EXPECT_TRUE(c.runtime.handlers.at("runsc").args.empty());
  EXPECT_EQ(c.runtime.handlers.at("runsc").type, RuntimeType::kSandbox);  // key by key
  Config back = Config::Defaults();
  ApplyYaml(back, ToYaml(c), "dump");
  EXPECT_EQ(back.runtime.handlers, c.runtime.handlers);
  EXPECT_NE(ErrorOf("runtime:\n  handlers:\n    x: {path: /x, type: vm}\n").find("expected process"), std::string::npos);
  EXPECT_NE(ErrorOf("runtime:\n  handlers:\n    x: {path: /x, args: --flag}\n").find("list"), std::string::npos);
}

TEST(Config, RuntimeAndPluginTimeouts) {
  Config c = Config::Defaults();
  EXPECT_EQ(c.runtime.timeout, std::chrono::seconds(120));
  EXPECT_EQ(c.cni.plugin_timeout, std::chrono::seconds(60));
  ApplyYaml(c, "runtime:\n  timeout: 5\ncni:\n  plugin_timeout: 2\n", "f.yaml");
  EXPECT_EQ(c.runtime.timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.cni.plugin_timeout, std::chrono::seconds(2));
  Config back = Config::Defaults();
  ApplyYaml(back, ToYaml(c), "dump");
  EXPECT_EQ(back.runtime.timeout, c.runtime.timeout);
  EXPECT_EQ(back.cni.plugin_timeout, c.cni.plugin_timeout);
  EXPECT_NE(ErrorOf("runtime:\n  timeout: 0\n").find("between 1 and 3600"), std::string::npos);
  EXPECT_NE(ErrorOf("cni:\n  plugin_timeout: 99999\n").find("between 1 and 3600"), std::string::npos);
  EXPECT_NE(ErrorOf("cni:\n  plugin_timeout: soon\n"), "");
}

TEST(Config, ControlBytesAndNonUtf8AreRefused) {
  EXPECT_NE(ErrorOf("root: \"\\r\"\n").find("control character"), std::string::npos);
  EXPECT_NE(ErrorOf("root: \"a\\0b\"\n").find("control character"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string("root: a\0N\n", 10)).find("NUL"), std::string::npos);
  EXPECT_NE(ErrorOf("runtime:\n  handlers:\n    r\xdb: {path: /x}\n").find("UTF-8"), std::string::npos);
  EXPECT_EQ(ErrorOf("root: /srv/caf\xc3\xa9\n"), "");
}

TEST(Config, DefaultsAreValidAndHaveTheStandardHandlers) {
  Config c = Config::Defaults();
  EXPECT_NO_THROW(Validate(c));
  EXPECT_EQ(c.listen, "unix:///run/berth/berth.sock");
  EXPECT_EQ(c.runtime.default_handler, "runc");
  EXPECT_EQ(c.runtime.handlers.at("runc").path, "/usr/sbin/runc");
  EXPECT_TRUE(c.runtime.handlers.contains("crun"));
  EXPECT_TRUE(c.runtime.handlers.contains("runsc"));
  EXPECT_EQ(c.images.max_parallel_downloads, 3);
}

TEST(Config, AppliesOnlyTheKeysPresent) {
  Config c = Config::Defaults();
  ApplyYaml(c,
            "root: /srv/berth\n"
            "runtime:\n"
            "  default_handler: crun\n"
            "  handlers:\n"
            "    kata: {path: /usr/bin/kata-runtime}\n"
            "images:\n"
            "  registries:\n"
            "    docker.io: {mirrors: ['127.0.0.1:5000']}\n"
            "    127.0.0.1:5000: {insecure: true}\n",
            "f.yaml");
  EXPECT_EQ(c.root, "/srv/berth");
  EXPECT_EQ(c.run_root, "/run/berth");
  EXPECT_EQ(c.runtime.default_handler, "crun");
  EXPECT_EQ(c.runtime.handlers.at("kata").path, "/usr/bin/kata-runtime");
  EXPECT_EQ(c.runtime.handlers.at("runc").path, "/usr/sbin/runc");  // merged, not replaced
  EXPECT_EQ(c.images.registries.at("docker.io").mirrors, std::vector<std::string>{"127.0.0.1:5000"});
  EXPECT_TRUE(c.images.registries.at("127.0.0.1:5000").insecure);
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(ErrorOf("root: /x\nruntime:\n  bogus: 1\n", "/etc/berth/berth.yaml"),
            "/etc/berth/berth.yaml:3:3: key 'runtime.bogus': unknown key");
  EXPECT_EQ(ErrorOf("colour: red\n"), "f.yaml:1:1: key 'colour': unknown key");
}

TEST(Config, StringWhereNumberBelongsNamesFileLineAndKey) {
  EXPECT_EQ(ErrorOf("images:\n  max_parallel_downloads: lots\n"),
            "f.yaml:2:27: key 'images.max_parallel_downloads': expected a number, got 'lots'");
}

TEST(Config, WrongShapesAreErrors) {
  EXPECT_NE(ErrorOf("runtime: runc\n").find("key 'runtime': expected a mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("cni: {bin_dirs: /usr/lib/cni}\n").find("key 'cni.bin_dirs': expected a list"), std::string::npos);
  EXPECT_NE(ErrorOf("images: {registries: {x: {insecure: maybe}}}\n").find("expected true or false"), std::string::npos);
  EXPECT_NE(ErrorOf("runtime: {cgroup_manager: upstart}\n").find("expected cgroupfs or systemd"), std::string::npos);
  EXPECT_NE(ErrorOf("images: {max_parallel_downloads: 0}\n").find("between 1 and 64"), std::string::npos);
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  EXPECT_NE(ErrorOf("root: [unclosed\n").find("f.yaml:2:"), std::string::npos);
}

TEST(Config, EmptyDocumentChangesNothing) {
  Config c = Config::Defaults();
  ApplyYaml(c, "", "f.yaml");
  EXPECT_EQ(ToYaml(c), ToYaml(Config::Defaults()));
}

TEST(Config, DumpReadsBackToTheSameConfig) {
  Config c = Config::Defaults();
  ApplyYaml(c, "log_level: debug\nimages: {registries: {quay.io: {ca_files: [/etc/ca.pem]}}}\n", "f.yaml");
  Config back = Config::Defaults();
  ApplyYaml(back, ToYaml(c), "dump");
  EXPECT_EQ(ToYaml(back), ToYaml(c));
  EXPECT_EQ(back.images.registries.at("quay.io").ca_files, std::vector<std::string>{"/etc/ca.pem"});
}

TEST(Config, DropInsApplyInLexicalOrderAfterTheMainFile) {
  TempDir d;
  Sources s;
  s.file = d.Write("berth.yaml", "log_level: warn\nroot: /a\n");
  s.dropin_dir = d / "berth.yaml.d";
  d.Write("berth.yaml.d/20-b.yaml", "log_level: error\n");
  d.Write("berth.yaml.d/10-a.yaml", "log_level: debug\nrun_root: /r\n");
  d.Write("berth.yaml.d/30-c.yml.disabled", "log_level: trace\n");
  Config c = Load(s);
  EXPECT_EQ(c.log_level, "error");
  EXPECT_EQ(c.root, "/a");
  EXPECT_EQ(c.run_root, "/r");
}

TEST(Config, ErrorInDropInNamesTheDropIn) {
  TempDir d;
  Sources s;
  s.file = "";
  s.dropin_dir = d / "dropins";
  std::string f = d.Write("dropins/10-x.yaml", "\nstreaming: {port: 1}\n");
  try {
    Load(s);
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), f + ":2:13: key 'streaming.port': unknown key");
  }
}

TEST(Config, MissingFileIsFineUnlessRequired) {
  Sources s;
  s.file = "/nonexistent/berth.yaml";
  s.dropin_dir = "";
  EXPECT_NO_THROW(Load(s));
  s.file_required = true;
  EXPECT_THROW(Load(s), ConfigError);
}

TEST(Config, ValidateChecksRelations) {
  Config c = Config::Defaults();
  c.runtime.default_handler = "kata";
  EXPECT_THROW(Validate(c), ConfigError);
  c = Config::Defaults();
  c.listen = "tcp://0.0.0.0:1";
  EXPECT_THROW(Validate(c), ConfigError);
  c = Config::Defaults();
  c.log_level = "loud";
  EXPECT_THROW(Validate(c), ConfigError);
  c = Config::Defaults();
  c.root = "relative";
  EXPECT_THROW(Validate(c), ConfigError);
  c = Config::Defaults();
  c.security.seccomp_default = "localhost/x.json";
  EXPECT_THROW(Validate(c), ConfigError);
  c = Config::Defaults();
  c.security.seccomp_profile_root = "seccomp";
  EXPECT_THROW(Validate(c), ConfigError);
}

TEST(Config, SecuritySettings) {
  Config c = Config::Defaults();
  EXPECT_EQ(c.security.seccomp_default, "unconfined");
  EXPECT_EQ(c.security.seccomp_profile_root, "/var/lib/kubelet/seccomp");
  ApplyYaml(c, "security: {seccomp_default: runtime/default, seccomp_profile_root: /tmp}\n", "f.yaml");
  EXPECT_EQ(c.security.seccomp_default, "runtime/default");
  EXPECT_EQ(c.security.seccomp_profile_root, "/tmp");
  EXPECT_EQ(c.security.apparmor_default_profile, "berth-default");
  EXPECT_NO_THROW(Validate(c));
  Config back = Config::Defaults();
  ApplyYaml(back, ToYaml(c), "dump");
  EXPECT_EQ(back.security.seccomp_default, "runtime/default");
  EXPECT_THROW(ApplyYaml(c, "security: {selinux: on}\n", "f.yaml"), ConfigError);
}

}  // namespace
}  // namespace berth::config
