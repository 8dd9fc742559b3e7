// berth-conmon's pure helpers: command line, runtime command lines and error
// text, OOM counter parsing, exit codes.
#include <gtest/gtest.h>
#include <signal.h>

#include "conmon/oom.h"
#include "conmon/options.h"
#include "conmon/report.h"
#include "conmon/runtime.h"

namespace berth::conmon {
namespace {

Options Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "berth-conmon");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

const std::vector<std::string> kRequired = {"--runtime", "/usr/sbin/runc", "--id",        "c1",
                                            "--bundle",  "/b",             "--pid-file",  "/b/pid",
                                            "--exit-file", "/x/exit"};

TEST(ConmonOptions, ParsesEveryFlag) {
  auto args = kRequired;
  args.insert(args.end(), {"--runtime-root", "/r", "--log-path", "/l", "--log-max-line-size", "100",
                           "--sync-fd", "5", "--stdin", "--tty"});
  Options o = Parse(args);
  EXPECT_EQ(o.runtime, "/usr/sbin/runc");
  EXPECT_EQ(o.runtime_root, "/r");
  EXPECT_EQ(o.id, "c1");
  EXPECT_EQ(o.bundle, "/b");
  EXPECT_EQ(o.pid_file, "/b/pid");
  EXPECT_EQ(o.exit_file, "/x/exit");
  EXPECT_EQ(o.log_path, "/l");
  EXPECT_EQ(o.log_max_line, 100u);
  EXPECT_EQ(o.sync_fd, 5);
  EXPECT_TRUE(o.stdin_open);
  EXPECT_TRUE(o.tty);
}

TEST(ConmonOptions, DefaultsAndErrors) {
  Options o = Parse(kRequired);
  EXPECT_EQ(o.log_max_line, 16u * 1024);
  EXPECT_EQ(o.sync_fd, -1);
  EXPECT_TRUE(o.log_path.empty());
  EXPECT_FALSE(o.stdin_open);
  EXPECT_FALSE(o.tty);
  EXPECT_THROW(Parse({"--runtime", "/r"}), std::invalid_argument);  // --id etc. missing
  auto bad = kRequired;
  bad.insert(bad.end(), {"--bogus", "1"});
  EXPECT_THROW(Parse(bad), std::invalid_argument);
  bad = kRequired;
  bad.insert(bad.end(), {"--sync-fd", "1"});  // 0-2 are stdio
  EXPECT_THROW(Parse(bad), std::invalid_argument);
  bad = kRequired;
  bad.insert(bad.end(), {"--log-max-line-size", "12k"});
  EXPECT_THROW(Parse(bad), std::invalid_argument);
  bad = kRequired;
  bad.push_back("--log-path");  // no value
  EXPECT_THROW(Parse(bad), std::invalid_argument);
}

TEST(ConmonRuntime, CommandLines) {
  Options o = Parse(kRequired);
  EXPECT_EQ(CreateArgs(o, "/proc/self/fd/7"),
            (std::vector<std::string>{"/usr/sbin/runc", "--log", "/proc/self/fd/7", "--log-format", "json", "create",
                                      "--bundle", "/b", "--pid-file", "/b/pid", "c1"}));
  EXPECT_EQ(CreateArgs(o, "/l", "/tmp/s/console.sock"),
            (std::vector<std::string>{"/usr/sbin/runc", "--log", "/l", "--log-format", "json", "create", "--bundle",
                                      "/b", "--pid-file", "/b/pid", "--console-socket", "/tmp/s/console.sock",
                                      "c1"}));
  o.runtime_root = "/run/r";
  EXPECT_EQ(DeleteArgs(o),
            (std::vector<std::string>{"/usr/sbin/runc", "--root", "/run/r", "delete", "--force", "c1"}));
}

TEST(ConmonOptions, SandboxRuntimeFlags) {
  auto args = kRequired;
  args.insert(args.end(), {"--runtime-arg", "--network=host", "--runtime-arg", "--platform=ptrace",
                           "--start-socket", "/run/c/start.sock", "--wait-by-runtime"});
  Options o = Parse(args);
  EXPECT_EQ(o.runtime_args, (std::vector<std::string>{"--network=host", "--platform=ptrace"}));
  EXPECT_EQ(o.start_socket, "/run/c/start.sock");
  EXPECT_TRUE(o.wait_by_runtime);
  EXPECT_FALSE(Parse(kRequired).wait_by_runtime);
  EXPECT_TRUE(Parse(kRequired).start_socket.empty());
}

TEST(ConmonRuntime, SandboxRuntimeCommandLinesCarryTheGlobalFlags) {
  Options o = Parse(kRequired);
  o.runtime_root = "/r";
  o.runtime_args = {"--network=host"};
  EXPECT_EQ(StartArgs(o, "/proc/self/fd/5"),
            (std::vector<std::string>{"/usr/sbin/runc", "--root", "/r", "--network=host", "--log", "/proc/self/fd/5",
                                      "--log-format", "json", "start", "c1"}));
  EXPECT_EQ(WaitArgs(o), (std::vector<std::string>{"/usr/sbin/runc", "--root", "/r", "--network=host", "wait", "c1"}));
  EXPECT_EQ(DeleteArgs(o),
            (std::vector<std::string>{"/usr/sbin/runc", "--root", "/r", "--network=host", "delete", "--force", "c1"}));
  const auto create = CreateArgs(o, "/log");
  EXPECT_EQ(create[3], "--network=host");
}

TEST(ConmonRuntime, ParsesRunscWaitOutput) {
  EXPECT_EQ(ParseWaitOutput(R"({"id":"c1","exitStatus":7})"), 7);
  EXPECT_EQ(ParseWaitOutput("{\"id\":\"c1\",\"exitStatus\":143}\n"), 143);
  EXPECT_EQ(ParseWaitOutput(R"({"id":"c1","exitStatus":0})"), 0);
  // runsc's own errors (the sandbox gone) are not an exit status.
  EXPECT_EQ(ParseWaitOutput("waiting on container \"c1\": sandbox is not running"), std::nullopt);
  EXPECT_EQ(ParseWaitOutput(R"({"id":"c1"})"), std::nullopt);
  EXPECT_EQ(ParseWaitOutput(R"({"exitStatus":-1})"), std::nullopt);
  EXPECT_EQ(ParseWaitOutput(R"({"exitStatus":"7"})"), std::nullopt);
  EXPECT_EQ(ParseWaitOutput(""), std::nullopt);
}

TEST(ConmonRuntime, ErrorTextFromJsonLog) {
  const std::string log =
      R"({"level":"warning","msg":"a warning","time":"t"})" "\n"
      R"({"level":"error","msg":"runc create failed: chdir /x: no such file or directory","time":"t"})" "\n";
  EXPECT_EQ(RuntimeErrorText(log), "runc create failed: chdir /x: no such file or directory");
  EXPECT_EQ(RuntimeErrorText(R"({"level":"error","msg":"one"})" "\n" R"({"level":"fatal","msg":"two"})"),
            "one; two");
  EXPECT_EQ(RuntimeErrorText("plain text failure\n"), "plain text failure");
  EXPECT_EQ(RuntimeErrorText(""), "");
  EXPECT_EQ(RuntimeErrorText(R"({"level":"error","msg":42})"), R"({"level":"error","msg":42})");
}

TEST(ConmonRuntime, DescribesWaitStatus) {
  EXPECT_EQ(DescribeWaitStatus(3 << 8), "exited with status 3");
  EXPECT_EQ(DescribeWaitStatus(SIGKILL), "killed by signal 9 (SIGKILL)");
  EXPECT_EQ(ExitCode(3 << 8), 3);
  EXPECT_EQ(ExitCode(SIGKILL), 137);
  EXPECT_EQ(ExitCode(SIGTERM), 143);
}

TEST(ConmonOom, ParsesCgroupCounters) {
  const std::string v1 = "oom_kill_disable 0\nunder_oom 1\noom_kill 3\n";
  EXPECT_EQ(ParseCounter(v1, "oom_kill"), 3u);
  EXPECT_EQ(ParseCounter(v1, "under_oom"), 1u);
  EXPECT_EQ(ParseCounter("low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n", "oom"), 1u);
  EXPECT_EQ(ParseCounter("oom_kill_disable 0\n", "oom_kill"), std::nullopt);
  EXPECT_EQ(ParseCounter("oom_kill x\n", "oom_kill"), std::nullopt);
}

}  // namespace
}  // namespace berth::conmon
