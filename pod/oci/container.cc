#include "pod/oci/container.h"

#include <spdlog/spdlog.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "config/layout.h"
#include "storage/base/clock.h"
#include "storage/base/error.h"
#include "storage/base/scope.h"
#include "storage/fs.h"

namespace berth::pod::oci {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(10);
// Asking the runtime costs a process; the exit file costs a read.
constexpr int kStateEvery = 20;

bool Stopped(const std::optional<nlohmann::json>& state) {
  return !state || state->value("status", "") == "stopped";
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
  return runtime_.Kill(id_, signal, all);
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
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int i = 0;; ++i) {
    if (Exit()) return true;
    if (i % kStateEvery == kStateEvery - 1 && Stopped(State())) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPoll);
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
