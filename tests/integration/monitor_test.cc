// berth-conmon under real runc: CreateUnderMonitor, the container's parent,
// exit files, a failed create, berthd being killed, and the CRI log.
#include "pod/oci/monitor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "storage/base/error.h"
#include "tests/support/temp_dir.h"

namespace berth::pod::oci {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRunc = "/usr/sbin/runc";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv to completion; returns {exit code (-1 if signalled), stdout+stderr}.
std::pair<int, std::string> RunCmd(const std::vector<std::string>& args) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {-1, "pipe failed"};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    ::dup2(p[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Field `n` (1-based, after the comm) of /proc/<pid>/stat: 1 = state, 2 = ppid.
std::string StatField(pid_t pid, int n) {
  std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  for (int i = 0; i < n; ++i) in >> field;
  return field;
}

// The test process is a subreaper, so a monitor (orphaned on purpose by its
// double fork) ends up as our child: reap it and return its wait status.
std::optional<int> ReapWithin(pid_t pid, std::chrono::milliseconds timeout) {
  int status = 0;
  if (!WaitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout)) return std::nullopt;
  return status;
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::getuid() != 0) GTEST_SKIP() << "needs root (runc)";
    if (::access(kRunc, X_OK) != 0) GTEST_SKIP() << kRunc << " not installed";
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    id_ = "berth-mon-" + std::to_string(::getpid());
  }

  void TearDown() override {
    if (id_.empty()) return;
    RunCmd({kRunc, "--root", dir_ / "runc", "delete", "--force", id_});
    for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup")) {
      for (const std::string& sub : {"/berth-test/" + id_, std::string("/berth-test")}) {
        ::rmdir((hierarchy.path().string() + sub).c_str());  // the parent only once empty
      }
    }
    ReapAll(5s);
  }

  // Reaps every child; true once none is left (nothing this test started lives on).
  bool ReapAll(std::chrono::milliseconds timeout) {
    return WaitFor([] { return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD; }, timeout);
  }

  // An OCI bundle whose rootfs holds only `binary` as /<name>, running args.
  std::string MakeBundle(const std::string& binary, const std::string& name, const std::vector<std::string>& args,
                         const std::string& resources = "{}", bool terminal = false) {
    const std::string bundle = dir_ / "bundle";
    fs::create_directories(bundle + "/rootfs");
    fs::copy_file(binary, bundle + "/rootfs/" + name, fs::copy_options::overwrite_existing);
    std::string argv;
    for (const auto& a : args) argv += (argv.empty() ? "\"" : ", \"") + a + "\"";
    dir_.Write("bundle/config.json", R"({
  "ociVersion": "1.0.2",
  "process": {"terminal": )" + std::string(terminal ? "true" : "false") + R"(, "user": {"uid": 0, "gid": 0}, "args": [)" + argv + R"(],
              "env": ["PATH=/"], "cwd": "/", "noNewPrivileges": true},
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "monitor-test",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
             {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=1m"]})" +
                                  (terminal ? R"(,
             {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
              "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]})" : "") + R"(],
  "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "network"}],
            "resources": )" + resources + R"(, "cgroupsPath": "/berth-test/)" + id_ + R"("}
})");
    return bundle;
  }

  MonitorSpec Spec(const std::string& bundle) {
    MonitorSpec s;
    s.conmon_path = BERTH_CONMON_BIN;
    s.runtime_path = kRunc;
    s.runtime_root = dir_ / "runc";
    s.container_id = id_;
    s.bundle_dir = bundle;
    s.exit_file = dir_ / "exit";
    s.pid_file = dir_ / "pid";
    return s;
  }

  int Runc(const std::string& verb, const std::string& extra = "") {
    std::vector<std::string> args{kRunc, "--root", dir_ / "runc", verb, id_};
    if (!extra.empty()) args.push_back(extra);
    auto [code, out] = RunCmd(args);
    EXPECT_EQ(code, 0) << "runc " << verb << ": " << out;
    return code;
  }

  std::optional<ExitStatus> WaitExit(const std::string& path) {
    std::optional<ExitStatus> st;
    WaitFor([&] { return (st = ReadExitFile(path)).has_value(); });
    return st;
  }

  testing::TempDir dir_;
  std::string id_;
};

TEST_F(MonitorTest, PauseLifecycleUnderConmon) {
  // A descriptor the caller leaks (no O_CLOEXEC) must not reach conmon.
  const std::string marker = dir_.Write("marker", "x");
  int leaked = ::open(marker.c_str(), O_RDONLY);
  ASSERT_GE(leaked, 0);
  const int64_t before_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
  MonitorSpec spec = Spec(MakeBundle(BERTH_PAUSE_BIN, "pause", {"/pause"}));
  Started started = CreateUnderMonitor(spec);
  ::close(leaked);

  ASSERT_GT(started.container_pid, 0);
  ASSERT_GT(started.monitor_pid, 0);
  EXPECT_EQ(::kill(started.container_pid, 0), 0);
  EXPECT_EQ(StatField(started.container_pid, 2), std::to_string(started.monitor_pid)) << "container's parent";
  EXPECT_EQ(::getsid(started.monitor_pid), started.monitor_pid) << "conmon has its own session";
  EXPECT_EQ(Slurp(spec.pid_file), std::to_string(started.container_pid));
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(started.monitor_pid) + "/fd")) {
    std::error_code ec;
    EXPECT_NE(fs::read_symlink(fd.path(), ec), marker) << "conmon kept the caller's fd " << fd.path();
  }
  EXPECT_FALSE(ReadExitFile(spec.exit_file).has_value()) << "no exit file while the container lives";
  auto state = RunCmd({kRunc, "--root", dir_ / "runc", "state", id_});
  EXPECT_NE(state.second.find("\"created\""), std::string::npos) << state.second;

  ASSERT_EQ(Runc("start"), 0);
  EXPECT_EQ(StatField(started.container_pid, 2), std::to_string(started.monitor_pid));
  ASSERT_EQ(Runc("kill", "TERM"), 0);

  auto exit = WaitExit(spec.exit_file);
  ASSERT_TRUE(exit.has_value()) << "no exit file after SIGTERM";
  EXPECT_EQ(exit->exit_code, 0);  // pause exits 0 on SIGTERM
  EXPECT_FALSE(exit->oom_killed);
  EXPECT_GE(exit->finished_at_ns, before_ns);
  EXPECT_LE(exit->finished_at_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count());

  auto conmon_status = ReapWithin(started.monitor_pid, 10s);
  ASSERT_TRUE(conmon_status.has_value()) << "conmon did not exit after the container";
  EXPECT_TRUE(WIFEXITED(*conmon_status) && WEXITSTATUS(*conmon_status) == 0) << *conmon_status;
  EXPECT_FALSE(fs::exists("/proc/" + std::to_string(started.container_pid)))
      << "container left as a zombie (state " << StatField(started.container_pid, 1) << ")";

  ASSERT_EQ(Runc("delete"), 0);
  EXPECT_FALSE(fs::exists(dir_ / ("runc/" + id_)));
  EXPECT_TRUE(ReapAll(5s)) << "a process started by the test is still alive";
}

TEST_F(MonitorTest, FailedCreateThrowsRuntimeErrorAndLeavesNothing) {
  MonitorSpec spec = Spec(dir_ / "no-such-bundle");
  try {
    CreateUnderMonitor(spec);
    FAIL() << "create of a missing bundle succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInternal);
    const std::string msg = e.what();
    EXPECT_NE(msg.find(id_), std::string::npos) << msg;
    EXPECT_NE(msg.find("runc create failed"), std::string::npos) << "runc's own message: " << msg;
    EXPECT_NE(msg.find("no-such-bundle"), std::string::npos) << msg;
  }
  // conmon (now our child, we are its subreaper) exits; nothing else is left.
  EXPECT_TRUE(ReapAll(10s)) << "a monitor or runtime process outlived the failed create";
  EXPECT_FALSE(fs::exists(dir_ / ("runc/" + id_)));
  EXPECT_FALSE(fs::exists(spec.exit_file));
}

TEST_F(MonitorTest, MissingExitFileDirectoryFailsTheCreate) {
  MonitorSpec spec = Spec(MakeBundle(BERTH_PAUSE_BIN, "pause", {"/pause"}));
  spec.exit_file = dir_ / "no-such-dir/exit";
  try {
    CreateUnderMonitor(spec);
    FAIL() << "created a container whose exit could not be recorded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exit file directory"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(ReapAll(10s));
  EXPECT_FALSE(fs::exists(dir_ / ("runc/" + id_)));
}

TEST_F(MonitorTest, RejectsWhatItCannotRun) {
  MonitorSpec spec = Spec(dir_ / "bundle");
  spec.conmon_path = dir_ / "no-conmon";
  try {
    CreateUnderMonitor(spec);
    FAIL() << "ran a missing conmon";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("no-conmon"), std::string::npos) << e.what();
  }
}

// berthd killed -9 right after the create: conmon and the container carry on
// and the container's exit is still recorded.
TEST_F(MonitorTest, MonitorSurvivesItsCallerBeingKilled) {
  MonitorSpec spec = Spec(MakeBundle(BERTH_PAUSE_BIN, "pause", {"/pause"}));
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  pid_t caller = ::fork();
  if (caller == 0) {
    ::close(p[0]);
    Started s{};
    try {
      s = CreateUnderMonitor(spec);
    } catch (...) {
    }
    if (::write(p[1], &s, sizeof s) != sizeof s) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(p[1]);
  Started started{};
  ASSERT_EQ(::read(p[0], &started, sizeof started), static_cast<ssize_t>(sizeof started));
  ::close(p[0]);
  ASSERT_GT(started.container_pid, 0);
  ::kill(caller, SIGKILL);
  ::waitpid(caller, nullptr, 0);

  EXPECT_EQ(::kill(started.monitor_pid, 0), 0) << "conmon died with its caller";
  EXPECT_NE(StatField(started.monitor_pid, 1), "Z");
  EXPECT_EQ(StatField(started.container_pid, 2), std::to_string(started.monitor_pid));
  ASSERT_EQ(Runc("start"), 0);
  ASSERT_EQ(Runc("kill", "KILL"), 0);
  auto exit = WaitExit(spec.exit_file);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
  EXPECT_TRUE(ReapWithin(started.monitor_pid, 10s).has_value());
  EXPECT_FALSE(fs::exists("/proc/" + std::to_string(started.container_pid)));
}

struct LogLine {
  std::string stream, tag, content;
};

std::vector<LogLine> ParseCriLog(const std::string& text) {
  static const std::regex re(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([PF]) (.*)$)");
  std::vector<LogLine> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, re)) << "not a CRI log line: " << line.substr(0, 200);
    if (m.size() == 4) out.push_back({m[1], m[2], m[3]});
  }
  return out;
}

TEST_F(MonitorTest, ContainerOutputGoesToTheCriLog) {
  MonitorSpec spec = Spec(MakeBundle(BERTH_TEST_PRINTER_BIN, "printer", {"/printer", "3"}));
  spec.log_path = dir_ / "logs/c.log";
  fs::create_directories(dir_ / "logs");
  Started started = CreateUnderMonitor(spec);
  ASSERT_EQ(Runc("start"), 0);
  auto exit = WaitExit(spec.exit_file);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_TRUE(ReapWithin(started.monitor_pid, 10s).has_value());

  std::vector<LogLine> out, err;
  for (auto& l : ParseCriLog(Slurp(spec.log_path))) (l.stream == "stdout" ? out : err).push_back(l);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].tag + out[0].content, "Fout line 1");
  EXPECT_EQ(out[1].tag + out[1].content, "P" + std::string(16 * 1024, 'x'));  // over the 16 KiB limit
  EXPECT_EQ(out[2].tag + out[2].content, "F" + std::string(20000 - 16 * 1024, 'x'));
  EXPECT_EQ(out[3].tag + out[3].content, "Fout line 2");
  EXPECT_EQ(out[4].tag + out[4].content, "Pno newline");  // no newline was written: partial
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0].tag + err[0].content, "Ferr line 1");
  ASSERT_EQ(Runc("delete"), 0);
}

// --tty: the container's stdio is the pty runc sends to conmon's console
// socket; its output (stderr too) lands in the log as stdout lines.
TEST_F(MonitorTest, TtyOutputGoesToTheCriLogAsStdout) {
  MonitorSpec spec =
      Spec(MakeBundle(BERTH_TEST_PRINTER_BIN, "printer", {"/printer", "4", "tty"}, "{}", /*terminal=*/true));
  spec.tty = true;
  spec.stdin_open = true;
  spec.log_path = dir_ / "c.log";
  Started started = CreateUnderMonitor(spec);
  const std::string fd_dir = "/proc/" + std::to_string(started.monitor_pid) + "/fd/";
  bool holds_master = false;
  for (const auto& fd : fs::directory_iterator(fd_dir)) {
    std::error_code ec;
    holds_master |= fs::read_symlink(fd.path(), ec).filename() == "ptmx";
  }
  EXPECT_TRUE(holds_master) << "conmon holds no pty master";
  ASSERT_EQ(Runc("start"), 0);
  auto exit = WaitExit(spec.exit_file);
  ASSERT_TRUE(exit.has_value()) << "no exit file for the tty container";
  EXPECT_EQ(exit->exit_code, 4);
  auto conmon_status = ReapWithin(started.monitor_pid, 10s);
  ASSERT_TRUE(conmon_status.has_value());
  EXPECT_TRUE(WIFEXITED(*conmon_status) && WEXITSTATUS(*conmon_status) == 0) << *conmon_status;

  auto lines = ParseCriLog(Slurp(spec.log_path));
  ASSERT_EQ(lines.size(), 2u) << Slurp(spec.log_path);
  for (const auto& l : lines) EXPECT_EQ(l.stream + " " + l.tag, "stdout F");
  EXPECT_EQ(lines[0].content, "isatty(1) yes");  // no '\r' left from the tty's "\r\n"
  EXPECT_EQ(lines[1].content, "err via tty");
  ASSERT_EQ(Runc("delete"), 0);
}

TEST_F(MonitorTest, ReopenMonitorLogStartsANewFile) {
  MonitorSpec spec = Spec(MakeBundle(BERTH_TEST_PRINTER_BIN, "printer", {"/printer", "0", "wait-term"}));
  spec.log_path = dir_ / "c.log";
  Started started = CreateUnderMonitor(spec);
  ASSERT_EQ(Runc("start"), 0);
  ASSERT_TRUE(WaitFor([&] { return Slurp(spec.log_path).find("ready") != std::string::npos; }));
  fs::rename(spec.log_path, spec.log_path + ".1");
  ReopenMonitorLog(started.monitor_pid, spec.log_path);
  EXPECT_TRUE(fs::exists(spec.log_path));
  ASSERT_EQ(Runc("kill", "TERM"), 0);
  ASSERT_TRUE(WaitExit(spec.exit_file).has_value());
  auto rotated = ParseCriLog(Slurp(spec.log_path + ".1"));
  auto current = ParseCriLog(Slurp(spec.log_path));
  ASSERT_EQ(rotated.size(), 1u);
  EXPECT_EQ(rotated[0].content, "ready");
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].content, "after term");
  EXPECT_TRUE(ReapWithin(started.monitor_pid, 10s).has_value());
  EXPECT_THROW(ReopenMonitorLog(started.monitor_pid, spec.log_path), Error);  // conmon is gone
  ASSERT_EQ(Runc("delete"), 0);
}

TEST_F(MonitorTest, OomKillIsRecorded) {
  const std::string limit = std::to_string(32 << 20);
  MonitorSpec spec = Spec(MakeBundle(BERTH_TEST_PRINTER_BIN, "printer", {"/printer", "0", "oom"},
                                     R"({"memory": {"limit": )" + limit + R"(, "swap": )" + limit + "}}"));
  Started started = CreateUnderMonitor(spec);
  ASSERT_EQ(Runc("start"), 0);
  auto exit = WaitExit(spec.exit_file);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
  EXPECT_TRUE(exit->oom_killed);
  EXPECT_TRUE(ReapWithin(started.monitor_pid, 10s).has_value());
  ASSERT_EQ(Runc("delete"), 0);
}

TEST(MonitorExitFile, ParsesAndRejects) {
  testing::TempDir dir;
  EXPECT_FALSE(ReadExitFile(dir / "none").has_value());
  auto st = ReadExitFile(dir.Write("a", R"({"exit_code":137,"finished_at_ns":1700000000000000001,"oom_killed":true})"));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->exit_code, 137);
  EXPECT_EQ(st->finished_at_ns, 1700000000000000001);
  EXPECT_TRUE(st->oom_killed);
  EXPECT_THROW(ReadExitFile(dir.Write("b", "{\"exit_code\":")), Error);
  EXPECT_THROW(ReadExitFile(dir.Write("c", R"({"exit_code":"0","finished_at_ns":1})")), Error);
}

}  // namespace
}  // namespace berth::pod::oci
