#include "config/flags.h"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

Config Resolve(const std::vector<std::string>& args) {
  CommandLine cl = ParseCommandLine(args);
  cl.sources.file = "";
  cl.sources.dropin_dir = "";
  return cl.Resolve();
}

TEST(Flags, DefaultCommandServes) {
  EXPECT_EQ(ParseCommandLine({}).command, Command::kServe);
  EXPECT_EQ(ParseCommandLine({"config"}).command, Command::kPrintConfig);
  EXPECT_EQ(ParseCommandLine({"--version"}).command, Command::kVersion);
  EXPECT_EQ(ParseCommandLine({"serve", "--help"}).command, Command::kHelp);
}

TEST(Flags, OverridesWinOverDefaults) {
  Config c = Resolve({"--root", "/tmp/r", "--listen=/tmp/b.sock", "--default-runtime", "crun", "--cgroup-manager",
                      "systemd", "--log-level", "debug"});
  EXPECT_EQ(c.root, "/tmp/r");
  EXPECT_EQ(c.listen, "unix:///tmp/b.sock");
  EXPECT_EQ(c.runtime.default_handler, "crun");
  EXPECT_EQ(c.runtime.cgroup_manager, CgroupManager::kSystemd);
  EXPECT_EQ(c.log_level, "debug");
}

TEST(Flags, RepeatedCniBinDirsAccumulate) {
  Config c = Resolve({"--cni-bin-dir", "/a", "--cni-bin-dir", "/b"});
  EXPECT_EQ(c.cni.bin_dirs, (std::vector<std::string>{"/a", "/b"}));
}

TEST(Flags, ConfigFlagMakesTheFileRequired) {
  CommandLine cl = ParseCommandLine({"--config", "/etc/x.yaml", "--config-dir", ""});
  EXPECT_EQ(cl.sources.file, "/etc/x.yaml");
  EXPECT_TRUE(cl.sources.file_required);
  EXPECT_EQ(cl.sources.dropin_dir, "");
  EXPECT_FALSE(ParseCommandLine({"--config", ""}).sources.file_required);
}

TEST(Flags, BadFlagsAreErrorsNamingThem) {
  try {
    ParseCommandLine({"--rooot", "/x"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "unknown flag '--rooot'");
  }
  EXPECT_THROW(ParseCommandLine({"--root"}), ConfigError);
  EXPECT_THROW(ParseCommandLine({"frobnicate"}), ConfigError);
  EXPECT_THROW(Resolve({"--cgroup-manager", "upstart"}), ConfigError);
  EXPECT_THROW(Resolve({"--default-runtime", "nope"}), ConfigError);
}

}  // namespace
}  // namespace berth::config
