// CNI plugin execution per the spec's protocol, with fake plugins (shell
// scripts in a temp dir): plugin lookup along the bin dirs, the CNI_*
// environment and the config on stdin, the result on stdout, and how a
// plugin's failure, garbage or hang is reported.
#include "network/cni.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "storage/base/error.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace berth::network {
namespace {

using nlohmann::json;
using berth::testing::Slurp;
using namespace std::chrono_literals;

class CniExecTest : public ::testing::Test {
 protected:
  // Writes an executable /bin/sh script `name` into bin dir `dir` and returns its path.
  std::string Plugin(const std::string& dir, const std::string& name, const std::string& body,
                     mode_t mode = 0755) const {
    const std::string path = dir_.Write(dir + "/" + name, "#!/bin/sh\n" + body);
    ::chmod(path.c_str(), mode);
    return path;
  }
  // The message of the berth::Error ExecPlugin throws ("" if none).
  std::string Failure(const PluginInvocation& inv, const json& config) const {
    try {
      ExecPlugin(inv, config);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "ExecPlugin did not throw";
    return "";
  }
  PluginInvocation Inv(const std::string& command = "ADD") const {
    PluginInvocation inv;
    inv.command = command;
    inv.container_id = "c0ffee";
    inv.netns = "/run/berth/netns/c0ffee";
    inv.ifname = "eth0";
    inv.cni_args = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web";
    inv.bin_dirs = {dir_ / "bin1", dir_ / "bin2"};
    inv.timeout = 10s;
    return inv;
  }

  testing::TempDir dir_;
  const json config_ = {{"cniVersion", "1.0.0"}, {"name", "podnet"}, {"type", "fake"}, {"bridge", "cni0"}};
};

TEST_F(CniExecTest, FindPluginTakesTheFirstExecutableAlongTheBinDirs) {
  Plugin("bin2", "bridge", "exit 0\n");
  const std::vector<std::string> dirs = {dir_ / "bin1", dir_ / "bin2", dir_ / "bin3"};
  EXPECT_EQ(FindPlugin("bridge", dirs), dir_ / "bin2/bridge");
  // An earlier dir wins, but only with an executable file.
  Plugin("bin1", "bridge", "exit 0\n", 0644);
  EXPECT_EQ(FindPlugin("bridge", dirs), dir_ / "bin2/bridge");
  ::chmod((dir_ / "bin1/bridge").c_str(), 0755);
  EXPECT_EQ(FindPlugin("bridge", dirs), dir_ / "bin1/bridge");
}

TEST_F(CniExecTest, FindPluginRefusesMissingPluginsAndNamesThatAreNoPlainName) {
  try {
    FindPlugin("portmap", {dir_ / "bin1", dir_ / "bin2"});
    ADD_FAILURE() << "found a missing plugin";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CNI plugin 'portmap' not found in [" + (dir_ / "bin1") + ", " +
                                         (dir_ / "bin2") + "]"),
              std::string::npos)
        << e.what();
  }
  // A type must not pick a binary outside the bin dirs.
  Plugin("bin1", "x", "exit 0\n");
  for (const std::string type : {"", "../bin1/x", "/bin/sh", "sub/x"}) {
    try {
      FindPlugin(type, {dir_ / "bin2"});
      ADD_FAILURE() << "accepted type " << type;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is not a plain name"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(FindPlugin("x", {}), Error);
}

TEST_F(CniExecTest, ThePluginGetsTheCniEnvironmentAndTheConfigOnStdin) {
  const std::string out = dir_ / "seen";
  Plugin("bin2", "fake",
         "env > " + out + ".env\n"
         "cat > " + out + ".stdin\n"
         "echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.88.0.5/16\"}]}'\n");
  // berthd's own CNI_* variables must not leak into a plugin's call.
  ::setenv("CNI_COMMAND_LEAK", "yes", 1);
  ::setenv("CNI_IFNAME", "wrong0", 1);
  json result;
  try {
    result = ExecPlugin(Inv(), config_);
  } catch (...) {
    ::unsetenv("CNI_COMMAND_LEAK");
    ::unsetenv("CNI_IFNAME");
    throw;
  }
  ::unsetenv("CNI_COMMAND_LEAK");
  ::unsetenv("CNI_IFNAME");
  EXPECT_EQ(result["ips"][0]["address"], "10.88.0.5/16");

  EXPECT_EQ(Slurp(out + ".stdin"), config_.dump());
  const std::string env = "\n" + Slurp(out + ".env");
  for (const std::string want :
       {"\nCNI_COMMAND=ADD\n", "\nCNI_CONTAINERID=c0ffee\n", "\nCNI_NETNS=/run/berth/netns/c0ffee\n",
        "\nCNI_IFNAME=eth0\n", "\nCNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=web\n"}) {
    EXPECT_NE(env.find(want), std::string::npos) << want << " in" << env;
  }
  EXPECT_NE(env.find("\nCNI_PATH=" + (dir_ / "bin1") + ":" + (dir_ / "bin2") + "\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("CNI_COMMAND_LEAK"), std::string::npos) << env;
  EXPECT_EQ(env.find("wrong0"), std::string::npos) << env;
  // The rest of the environment is kept (plugins run iptables & co. by PATH).
  EXPECT_NE(env.find("\nPATH="), std::string::npos) << env;
}

TEST_F(CniExecTest, NoOutputIsNullAsForDelAndCheck) {
  Plugin("bin1", "fake", "cat > /dev/null\nexit 0\n");
  EXPECT_TRUE(ExecPlugin(Inv("DEL"), config_).is_null());
  // Whitespace only counts as nothing, too.
  Plugin("bin1", "fake", "cat > /dev/null\necho\necho ' '\n");
  EXPECT_TRUE(ExecPlugin(Inv("CHECK"), config_).is_null());
}

TEST_F(CniExecTest, APluginsCniErrorIsAnInternalErrorWithItsMessage) {
  Plugin("bin1", "fake",
         "cat > /dev/null\n"
         "echo '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no IP addresses left\","
         "\"details\":\"range 10.88/16\"}'\n"
         "echo 'ignored stderr' >&2\n"
         "exit 1\n");
  const std::string m = Failure(Inv(), config_);
  const std::string want =
      "CNI plugin fake ADD failed (exit status 1): no IP addresses left: range 10.88/16 (CNI error code 11)";
  EXPECT_NE(m.find(want), std::string::npos) << m;
}

TEST_F(CniExecTest, WithoutACniErrorTheOutputOrStderrIsTheMessage) {
  Plugin("bin1", "fake", "cat > /dev/null\necho 'plain text failure'\nexit 3\n");
  EXPECT_NE(Failure(Inv(), config_).find("failed (exit status 3): plain text failure"), std::string::npos);
  Plugin("bin1", "fake", "cat > /dev/null\necho 'only on stderr' >&2\nexit 2\n");
  EXPECT_NE(Failure(Inv(), config_).find("failed (exit status 2): only on stderr"), std::string::npos);
  Plugin("bin1", "fake", "cat > /dev/null\nexit 4\n");
  EXPECT_NE(Failure(Inv("DEL"), config_).find("CNI plugin fake DEL failed (exit status 4): no output"),
            std::string::npos);
  // Killed by a signal: said so.
  Plugin("bin1", "fake", "cat > /dev/null\nkill -KILL $$\n");
  EXPECT_NE(Failure(Inv(), config_).find("failed (killed by signal 9)"), std::string::npos);
}

TEST_F(CniExecTest, LongOutputInAMessageIsCut) {
  Plugin("bin1", "fake", "cat > /dev/null\nhead -c 10000 /dev/zero | tr '\\0' x\nexit 1\n");
  const std::string m = Failure(Inv(), config_);
  EXPECT_NE(m.find(std::string(4096, 'x') + "..."), std::string::npos);
  EXPECT_EQ(m.find(std::string(4097, 'x')), std::string::npos);
}

TEST_F(CniExecTest, SuccessWithOutputThatIsNoJsonIsAnError) {
  Plugin("bin1", "fake", "cat > /dev/null\necho 'not { json'\n");
  const std::string m = Failure(Inv(), config_);
  EXPECT_NE(m.find("CNI plugin fake ADD printed output that is not JSON: not { json"), std::string::npos) << m;
}

TEST_F(CniExecTest, AHungPluginIsKilledAtTheDeadline) {
  // The plugin's child (sleep) is in its process group and dies with it.
  Plugin("bin1", "fake", "cat > /dev/null\nsleep 30\necho '{}'\n");
  PluginInvocation inv = Inv();
  inv.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const std::string m = Failure(inv, config_);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_NE(m.find("CNI plugin fake ADD did not finish within 300 ms"), std::string::npos) << m;
}

TEST_F(CniExecTest, TheTypeComesFromTheConfig) {
  json no_type = config_;
  no_type.erase("type");
  EXPECT_NE(Failure(Inv(), no_type).find("CNI plugin type '' is not a plain name"), std::string::npos);
  json other = config_;
  other["type"] = "macvlan";
  EXPECT_NE(Failure(Inv(), other).find("CNI plugin 'macvlan' not found"), std::string::npos);
}

// root passes access(X_OK) for a directory: a directory named like the
// plugin in an earlier bin dir must not shadow the real plugin (libcni takes
// regular files only).
TEST_F(CniExecTest, ADirectoryIsNoPlugin) {
  std::filesystem::create_directories(dir_ / "bin1/bridge");
  Plugin("bin2", "bridge", "exit 0\n");
  EXPECT_EQ(FindPlugin("bridge", {dir_ / "bin1", dir_ / "bin2"}), dir_ / "bin2/bridge");
}

}  // namespace
}  // namespace berth::network
