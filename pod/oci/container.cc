#include "pod/oci/container.h"

#include <spdlog/spdlog.h>

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <vector>
#include <thread>

#include "config/layout.h"
#include "storage/base/clock.h"
#include "storage/base/error.h"
#include "storage/base/scope.h"
#include "storage/base/unique_fd.h"
#include "storage/fs.h"

namespace berth::pod::oci {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(10);
// Asking the runtime costs a process, so only this often: it answers for a
// container whose monitor died before writing the exit file.
constexpr auto kStateEvery = std::chrono::milliseconds(200);

bool Stopped(const std::optional<nlohmann::json>& state) {
  return !state || state->value("status", "") == "stopped";
}

// "TERM", "SIGTERM" or "15" as a number; 0 for what is not a plain signal
// (real-time ones are left to the runtime).
int SignalNumberOf(std::string name) {
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
    const int n = std::stoi(name.substr(0, 3));
    return n > 0 && n < SIGRTMIN ? n : 0;
  }
  if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
  for (int n = 1; n < SIGRTMIN; ++n) {
    const char* abbrev = ::sigabbrev_np(n);
    if (abbrev && name == abbrev) return n;
  }
  return 0;
}

struct ProcStatus {
  pid_t ppid = 0;
  std::vector<long> nspid;  // the pid in each PID namespace, outermost first
};

ProcStatus ParseProcStatus(const std::string& text) {
  ProcStatus st;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "PPid:") {
      fields >> st.ppid;
    } else if (key == "NSpid:") {
      for (long v; fields >> v;) st.nspid.push_back(v);
    }
  }
  return st;
}

}  // namespace

Container::Container(Runtime runtime, std::string id, std::string run_dir, std::string pid_file_name)
    : runtime_(std::move(runtime)),
      id_(std::move(id)),
      run_dir_(std::move(run_dir)),
      pid_file_name_(std::move(pid_file_name)) {}

std::string Container::exit_file() const { return config::Layout::ExitFile(run_dir_); }
std::string Container::start_socket() const { return config::Layout::StartSocket(run_dir_); }

void Container::Start() const {
  if (runtime_.sandboxed()) {
    try {
      StartThroughMonitor(start_socket(), "container " + id_ + " (runtime handler " + runtime_.handler() + ")");
    } catch (const Error&) {
      // A failed start ends the container (as runc's does): the monitor must
      // not wait for another one once berth records it exited.
      AbandonThroughMonitor(start_socket());
      throw;
    }
  } else {
    runtime_.Start(id_);
  }
}

bool Container::Signal(const std::string& signal, bool all) const {
  if (runtime_.sandboxed() && AbandonThroughMonitor(start_socket())) return true;
  if (auto sent = SignalDirectly(signal, all)) return *sent;
  return runtime_.Kill(id_, signal, all);
}

// A process runtime's kill signals the container's init, or with --all every
// process in its cgroup. Straight from here that costs no runtime start (the
// bulk of a stop), when the outcome is the same:
// - the pid is the runtime's pid file's, and trusted only while its parent
//   is this container's monitor: nothing else can hold the pid before the
//   monitor reaps it, and the pidfd pins what was checked;
// - "all" only when the init heads a PID namespace of its own, whose every
//   process the kernel ends with it on SIGKILL.
std::optional<bool> Container::SignalDirectly(const std::string& signal, bool all) const {
  if (runtime_.sandboxed()) return std::nullopt;
  const int signo = SignalNumberOf(signal);
  if (signo <= 0 || (all && signo != SIGKILL)) return std::nullopt;
  pid_t pid = 0;
  try {
    pid = std::stoi(storage::ReadFile(run_dir_ + "/" + pid_file_name_));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (pid <= 0) return std::nullopt;
  const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return errno == ESRCH ? std::optional<bool>(false) : std::nullopt;
  const auto status = storage::ReadFileIfExists("/proc/" + std::to_string(pid) + "/status");
  if (!status) return false;  // gone since the open
  const ProcStatus st = ParseProcStatus(*status);
  if (!MonitorAlive(st.ppid, id_)) return std::nullopt;
  if (all && !(st.nspid.size() >= 2 && st.nspid.back() == 1)) return std::nullopt;
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signo, nullptr, 0) == 0) return true;
  return errno == ESRCH ? std::optional<bool>(false) : std::nullopt;
}

nlohmann::json Container::ExecProcessSpec(const std::vector<std::string>& cmd, bool tty) const {
  nlohmann::json process = nlohmann::json::parse(storage::ReadFile(bundle() + "/config.json")).at("process");
  process["args"] = cmd;
  process["terminal"] = tty;
  process.erase("consoleSize");
  if (tty) {
    // A new pty is 0x0 until the client's first resize, which may come after
    // the command started: programs that ask (stty size) would fail.
    process["consoleSize"] = {{"height", 24}, {"width", 80}};
    // Programs on a terminal want to know its kind; the container's own TERM wins.
    auto& env = process["env"];
    const bool has_term = std::any_of(env.begin(), env.end(), [](const nlohmann::json& e) {
      return e.is_string() && e.get<std::string>().starts_with("TERM=");
    });
    if (!has_term) env.push_back("TERM=xterm");
  }
  return process;
}

ExecProcess Container::StartExec(const std::vector<std::string>& cmd, bool tty, bool stdin) const {
  return ExecProcess::Start(runtime_, id_, {.process = ExecProcessSpec(cmd, tty), .stdin = stdin, .work_dir = run_dir_});
}

Runtime::ExecResult Container::Exec(const std::vector<std::string>& cmd, std::chrono::milliseconds timeout,
                                    const std::string& pid_file) const {
  if (!runtime_.sandboxed()) return runtime_.Exec(id_, cmd, timeout, pid_file);  // runc takes the spec's process
  // runsc exec runs as root with its own defaults unless given a process:
  // the container's, with the command in place of its args.
  const nlohmann::json process = ExecProcessSpec(cmd, false);
  const std::string file = pid_file + ".process.json";
  storage::WriteFileAtomic(file, process.dump(), 0600, storage::Durability::kProcessCrash);
  ScopeExit remove([&file] { ::unlink(file.c_str()); });
  return runtime_.Exec(id_, cmd, timeout, pid_file, file);
}

std::string Container::bundle() const { return config::Layout::Bundle(run_dir_); }

bool Container::WaitExited(std::chrono::milliseconds timeout) const {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  // The monitor renames the exit file into the run dir: a watch on the dir
  // wakes us as it lands. Without a watch (inotify limits), short sleeps.
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (watch && ::inotify_add_watch(watch.get(), run_dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) watch.reset();
  auto next_state = Clock::now() + kStateEvery;
  for (;;) {
    if (Exit()) return true;
    auto now = Clock::now();
    if (now >= next_state) {
      if (Stopped(State())) return true;
      now = Clock::now();
      next_state = now + kStateEvery;
    }
    if (now > deadline) return false;
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(std::min(deadline, next_state) - now);
    if (!watch) wait = std::min(wait, kPoll);
    pollfd p{watch ? watch.get() : -1, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      char events[4096];
      while (::read(watch.get(), events, sizeof events) > 0) {
      }
    }
  }
}

void Container::Stop(const std::string& signal, std::chrono::milliseconds grace, const std::string& what) const {
  if (Exit()) return;
  if (grace.count() > 0) {
    // False: it just exited, or never ran; the waits below see which.
    if (Signal(signal) && WaitExited(grace)) return;
    if (Exit()) return;
    spdlog::info("{}: still running {} ms after {}; sending SIGKILL", what, grace.count(), signal);
  }
  Signal("KILL", true);
  if (!WaitExited(kKillWait)) {
    throw DeadlineExceeded(what + " did not exit within " + std::to_string(kKillWait.count()) + " s of SIGKILL");
  }
}

ExitStatus Container::RecordMonitorLost(pid_t monitor_pid, pid_t init_pid) const {
  if (auto exit = Exit()) return *exit;  // it wrote one just before it went
  Signal("KILL", true);
  // A monitor's orphans re-parent to berthd (the subreaper): reap its init.
  for (int i = 0; init_pid > 0 && i < 100; ++i) {
    const pid_t got = ::waitpid(init_pid, nullptr, WNOHANG);
    if (got == init_pid || (got < 0 && errno == ECHILD)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ExitStatus exit{255, NowNs(), false, "MonitorLost",
                  "berth-conmon (pid " + std::to_string(monitor_pid) +
                      "), the container's monitor, died without recording the exit; berth killed the container, "
                      "and its own exit status is unknown"};
  WriteExitFile(exit_file(), exit);
  spdlog::warn("container {}: {}", id_, exit.message);
  return exit;
}

void Container::KillAndDelete() const {
  if (Signal("KILL", true)) WaitExited(kKillWait);
  Delete();
}

nlohmann::json Container::Info() const {
  nlohmann::json info = {{"runtimeHandler", runtime_.handler()}, {"runtimeRoot", runtime_.root()}, {"runDir", run_dir_}};
  try {
    info["runtimeSpec"] = nlohmann::json::parse(storage::ReadFile(bundle() + "/config.json"));
  } catch (const std::exception&) {
    info["runtimeSpec"] = nullptr;  // removed, or never written
  }
  return info;
}

}  // namespace berth::pod::oci
