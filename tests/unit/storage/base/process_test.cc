#include "storage/base/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "storage/base/error.h"

namespace berth {
namespace {

using namespace std::chrono_literals;

ProcessResult Sh(const std::string& script, std::string_view input = {}, std::chrono::milliseconds timeout = 10s,
                 const std::function<void()>& on_deadline = {}) {
  return RunProcess("/bin/sh", {"sh", "-c", script}, {"PATH=/usr/bin:/bin", "WHO=berth"}, input, timeout,
                    on_deadline);
}

// Running, not merely a zombie waiting for whoever inherited it.
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(ProcessTest, CapturesStdoutStderrAndTheExitCodeAndFeedsStdin) {
  ProcessResult r = Sh("read line; echo \"out $line $WHO\"; echo err >&2; exit 3", "hello\n");
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.Status(), 3);
  EXPECT_EQ(r.out, "out hello berth\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.Describe(), "exit status 3");
}

TEST(ProcessTest, ADeathBySignalIsReportedAs128PlusN) {
  ProcessResult r = Sh("kill -9 $$");
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(r.Status(), 128 + SIGKILL);
}

TEST(ProcessTest, InheritsNoFdButStdio) {
  const int leak = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: only closefrom keeps it out
  ASSERT_GE(leak, 0);
  ProcessResult r = Sh("ls /proc/self/fd | wc -l");
  ::close(leak);
  // 0, 1, 2 and the fd ls opens to read the dir.
  EXPECT_EQ(r.out, "4\n");
}

TEST(ProcessTest, ResetsBlockedAndIgnoredSignals) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  ProcessResult r = Sh("grep -E '^(SigBlk|SigIgn)' /proc/self/status");
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_NE(r.out.find("SigBlk:\t0000000000000000"), std::string::npos) << r.out;
}

TEST(ProcessTest, TheDeadlineKillsTheWholeGroup) {
  const auto start = std::chrono::steady_clock::now();
  ProcessResult r = Sh("sleep 30 & echo $!; wait", {}, 300ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  const pid_t grandchild = std::stoi(r.out);
  for (int i = 0; i < 100 && Alive(grandchild); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(Alive(grandchild)) << "the sleep in the child's group outlived the deadline";
}

TEST(ProcessTest, TheDeadlineHookRunsFirstAndTheChildMayStillExit) {
  SpawnOptions opts;
  opts.argv = {"/bin/sh", "-c", "trap 'exit 7' USR1; while :; do sleep 0.05; done"};
  Child c = Spawn(opts);
  const pid_t pid = c.pid();
  bool hooked = false;
  ProcessResult r = c.Wait(200ms, [&] {
    hooked = true;
    ::kill(pid, SIGUSR1);  // as ExecSync kills the process runc waits for
  });
  EXPECT_TRUE(hooked);
  EXPECT_TRUE(r.timed_out);
  EXPECT_TRUE(r.exited) << "exited by itself within the grace, not killed";
  EXPECT_EQ(r.exit_code, 7);
}

TEST(ProcessTest, AMissingProgramIsAnErrorWithTheErrno) {
  try {
    RunProcess("/nonexistent/prog", {"prog"}, {}, {}, 1s);
    FAIL() << "spawned a missing program";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/prog"), std::string::npos);
  }
}

TEST(ProcessTest, AChildIsKilledWhenItsOwnerGoesUnlessDetached) {
  pid_t owned = 0;
  {
    SpawnOptions opts;
    opts.argv = {"/bin/sleep", "30"};
    opts.capture = false;
    Child c = Spawn(opts);
    owned = c.pid();
    ASSERT_TRUE(Alive(owned));
  }
  EXPECT_FALSE(Alive(owned)) << "killed and reaped (no zombie) by ~Child";

  SpawnOptions opts;
  opts.argv = {"/bin/sleep", "30"};
  opts.capture = false;
  opts.new_session = true;
  const pid_t detached = Spawn(opts).Detach();
  EXPECT_TRUE(Alive(detached));
  EXPECT_EQ(::getsid(detached), detached) << "a session of its own";
  ::kill(detached, SIGKILL);
  EXPECT_EQ(::waitpid(detached, nullptr, 0), detached);
}

TEST(ProcessTest, ExtraFdsReachTheChildAtTheirNumber) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  SpawnOptions opts;
  opts.argv = {"/bin/sh", "-c", "echo via-fd-3 >&3"};
  opts.capture = false;
  opts.extra_fds = {{3, p[1]}};
  Child c = Spawn(opts);
  ::close(p[1]);
  ProcessResult r = c.Wait(10s);
  EXPECT_EQ(r.exit_code, 0);
  char buf[64] = {};
  EXPECT_GT(::read(p[0], buf, sizeof buf - 1), 0);
  ::close(p[0]);
  EXPECT_STREQ(buf, "via-fd-3\n");
}

}  // namespace
}  // namespace berth
