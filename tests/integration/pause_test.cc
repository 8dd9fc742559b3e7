// berth-pause: static, reaps the children it inherits, exits 0 on SIGTERM/SIGINT.
#include <elf.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

// Forks a process that starts a short-lived grandchild and then execs pause,
// so the grandchild becomes pause's child. Returns {pause pid, grandchild pid}.
std::pair<pid_t, pid_t> StartPauseWithChild() {
  int fds[2];
  if (::pipe(fds) != 0) return {-1, -1};
  pid_t pause_pid = ::fork();
  if (pause_pid == 0) {
    pid_t kid = ::fork();
    if (kid == 0) {
      ::usleep(200 * 1000);
      ::_exit(0);
    }
    ::write(fds[1], &kid, sizeof kid);
    ::execl(BERTH_PAUSE_BIN, "berth-pause", nullptr);
    ::_exit(127);
  }
  pid_t kid = -1;
  ::close(fds[1]);
  ::read(fds[0], &kid, sizeof kid);
  ::close(fds[0]);
  return {pause_pid, kid};
}

std::string ProcState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(in, s);
  auto close = s.rfind(')');
  return close == std::string::npos ? "" : s.substr(close + 2, 1);
}

int WaitStatus(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(Pause, ReapsItsChildrenAndExitsZeroOnSigterm) {
  auto [pause, kid] = StartPauseWithChild();
  ASSERT_GT(pause, 0);
  ASSERT_GT(kid, 0);
  // The grandchild exits after 200 ms; pause must reap it (no zombie left).
  bool reaped = false;
  for (int i = 0; i < 200 && !reaped; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    reaped = !std::filesystem::exists("/proc/" + std::to_string(kid));
  }
  EXPECT_TRUE(reaped) << "child state " << ProcState(kid);
  EXPECT_NE(ProcState(pause), "Z");
  ::kill(pause, SIGTERM);
  int status = WaitStatus(pause);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Pause, ExitsZeroOnSigint) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(BERTH_PAUSE_BIN, "berth-pause", nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(pid, SIGINT);
  int status = WaitStatus(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A static executable has no PT_INTERP program header (no dynamic loader).
TEST(Pause, IsStaticallyLinked) {
  std::ifstream in(BERTH_PAUSE_BIN, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string bytes = buf.str();
  ASSERT_GT(bytes.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  ASSERT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, bytes.data() + eh.e_phoff + static_cast<size_t>(i) * eh.e_phentsize, sizeof ph);
    EXPECT_NE(ph.p_type, static_cast<unsigned>(PT_INTERP)) << "pause has a dynamic loader";
  }
  EXPECT_LT(bytes.size(), 1024u * 1024u);
}

}  // namespace
