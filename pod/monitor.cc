#include "pod/monitor.h"
#include "pod/monitor_reaper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "cri/error.h"
#include "storage/fs.h"

namespace berth::pod {
namespace {

using storage::UniqueFd;
using Clock = std::chrono::steady_clock;

// runc create of a big bundle can be slow on a loaded node, but not this slow.
constexpr auto kCreateTimeout = std::chrono::seconds(240);

std::vector<std::string> ConmonArgs(const MonitorSpec& s) {
  std::vector<std::string> args{s.conmon_path, "--runtime", s.runtime_path, "--id", s.container_id,
                                "--bundle", s.bundle_dir, "--pid-file", s.pid_file, "--exit-file",
                                s.exit_file, "--sync-fd", "3"};
  if (!s.runtime_root.empty()) args.insert(args.end(), {"--runtime-root", s.runtime_root});
  if (!s.log_path.empty()) args.insert(args.end(), {"--log-path", s.log_path});
  if (s.stdin_open) args.push_back("--stdin");
  if (s.tty) args.push_back("--tty");
  return args;
}

std::vector<char*> CArgv(const std::vector<std::string>& args) {
  std::vector<char*> out;
  for (const auto& a : args) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// Starts conmon detached: a child that starts its own session and forks
// conmon, then exits, so conmon is nobody's child in berthd and survives it.
// Only async-signal-safe calls after fork: berthd is multi-threaded.
void SpawnDetached(const std::vector<std::string>& args, int sync_write, int null_fd) {
  std::vector<char*> argv = CArgv(args);
  pid_t child = ::fork();
  if (child < 0) throw SysError("fork for berth-conmon");
  if (child == 0) {
    if (::setsid() < 0) ::_exit(125);
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 126 : 0);
    int sync = ::fcntl(sync_write, F_DUPFD, 10);  // out of the way of 0-3
    if (sync < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(null_fd, 1) < 0 || ::dup2(null_fd, 2) < 0 ||
        ::dup2(sync, 3) < 0) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

// Runs a short command with /dev/null stdio and waits for it (cleanup only).
void RunQuiet(const std::vector<std::string>& args) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd < 3; ++fd) ::posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
  std::vector<char*> argv = CArgv(args);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return;
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// Reads conmon's sync messages until the create result; see conmon/report.h.
class SyncReader {
 public:
  SyncReader(const MonitorSpec& spec, UniqueFd fd) : spec_(spec), fd_(std::move(fd)) {}

  Started Wait() {
    const auto deadline = Clock::now() + kCreateTimeout;
    for (;;) {
      for (size_t nl; (nl = buf_.find('\n')) != std::string::npos;) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (auto started = Handle(line)) return *started;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_.get(), POLLIN, 0};
      int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw SysError("poll berth-conmon sync pipe for " + spec_.container_id);
      if (n == 0) TimedOut();
      char chunk[4096];
      ssize_t got = ::read(fd_.get(), chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw SysError("read berth-conmon sync pipe for " + spec_.container_id);
      if (got == 0) {
        throw Internal("berth-conmon " + spec_.conmon_path + " exited before reporting whether container " +
                       spec_.container_id + " was created");
      }
      buf_.append(chunk, static_cast<size_t>(got));
    }
  }

 private:
  std::optional<Started> Handle(const std::string& line) {
    auto msg = nlohmann::json::parse(line, nullptr, false);
    if (!msg.is_object()) throw Internal("berth-conmon sent a malformed sync message: " + line);
    if (auto it = msg.find("monitor_pid"); it != msg.end() && it->is_number_integer()) {
      monitor_pid_ = it->get<pid_t>();
      WatchMonitor(monitor_pid_);  // reaped by berthd when it exits, whatever the create's outcome
    }
    if (auto it = msg.find("error"); it != msg.end() && it->is_string()) {
      throw Internal("create container " + spec_.container_id + " with " + spec_.runtime_path + ": " +
                     it->get<std::string>());
    }
    if (auto it = msg.find("container_pid"); it != msg.end() && it->is_number_integer()) {
      return Started{it->get<pid_t>(), monitor_pid_};
    }
    return std::nullopt;
  }

  // conmon and the runtime share conmon's process group: kill both, then
  // let the runtime remove whatever it had created.
  [[noreturn]] void TimedOut() {
    if (monitor_pid_ > 0) ::kill(-monitor_pid_, SIGKILL);
    std::vector<std::string> del{spec_.runtime_path};
    if (!spec_.runtime_root.empty()) del.insert(del.end(), {"--root", spec_.runtime_root});
    del.insert(del.end(), {"delete", "--force", spec_.container_id});
    RunQuiet(del);
    throw DeadlineExceeded("create container " + spec_.container_id + ": " + spec_.runtime_path +
                           " create did not finish within " + std::to_string(kCreateTimeout.count()) + " s");
  }

  const MonitorSpec& spec_;
  UniqueFd fd_;
  std::string buf_;
  pid_t monitor_pid_ = 0;
};

}  // namespace

Started CreateUnderMonitor(const MonitorSpec& spec) {
  if (::access(spec.conmon_path.c_str(), X_OK) != 0) {
    throw FailedPrecondition("berth-conmon " + spec.conmon_path + " is not executable: " + std::strerror(errno));
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw SysError("pipe for berth-conmon sync");
  UniqueFd read_end(p[0]), write_end(p[1]);
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) throw SysError("open /dev/null");
  SpawnDetached(ConmonArgs(spec), write_end.get(), null.get());
  write_end.reset();  // EOF then means conmon is gone
  return SyncReader(spec, std::move(read_end)).Wait();
}

std::optional<ExitStatus> ReadExitFile(const std::string& path) {
  std::string text;
  try {
    text = storage::ReadFile(path);
  } catch (const Error& e) {
    if (e.code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
    throw;
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto code = j.is_object() ? j.find("exit_code") : j.end();
  auto at = j.is_object() ? j.find("finished_at_ns") : j.end();
  auto oom = j.is_object() ? j.find("oom_killed") : j.end();
  if (!j.is_object() || code == j.end() || !code->is_number_integer() || at == j.end() ||
      !at->is_number_integer() || (oom != j.end() && !oom->is_boolean())) {
    throw Internal("exit file " + path + " is malformed: " + text);
  }
  return ExitStatus{code->get<int>(), at->get<int64_t>(), oom != j.end() && oom->get<bool>()};
}

void ReopenMonitorLog(pid_t monitor_pid, const std::string& log_path) {
  if (::kill(monitor_pid, SIGUSR1) != 0) {
    if (errno == ESRCH) throw NotFound("berth-conmon " + std::to_string(monitor_pid) + " is not running");
    throw SysError("signal berth-conmon " + std::to_string(monitor_pid) + " to reopen " + log_path);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (::access(log_path.c_str(), F_OK) != 0) {
    if (Clock::now() > deadline) {
      throw DeadlineExceeded("berth-conmon " + std::to_string(monitor_pid) + " did not reopen " + log_path +
                             " within 5 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace berth::pod
