#include "pod/oci/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "config/layout.h"
#include "pod/oci/container.h"
#include "pod/oci/monitor_reaper.h"
#include "pod/oci/runtime.h"
#include "pod/oci/runtime_errors.h"
#include "storage/base/error.h"
#include "storage/base/metrics.h"
#include "storage/base/unique_fd.h"
#include "storage/base/unix_address.h"
#include "storage/base/process.h"
#include "storage/fs.h"

namespace berth::pod::oci {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> ConmonArgs(const MonitorSpec& s) {
  std::vector<std::string> args{s.conmon_path, "--runtime", s.runtime_path, "--id", s.container_id,
                                "--bundle", s.bundle_dir, "--pid-file", s.pid_file, "--exit-file",
                                s.exit_file, "--sync-fd", "3"};
  if (!s.runtime_root.empty()) args.insert(args.end(), {"--runtime-root", s.runtime_root});
  if (!s.log_path.empty()) args.insert(args.end(), {"--log-path", s.log_path});
  if (s.stdin_open) args.push_back("--stdin");
  if (s.tty) args.push_back("--tty");
  for (const auto& a : s.runtime_args) args.insert(args.end(), {"--runtime-arg", a});
  if (!s.start_socket.empty()) args.insert(args.end(), {"--start-socket", s.start_socket});
  if (s.wait_by_runtime) args.push_back("--wait-by-runtime");
  if (!s.attach_socket.empty()) args.insert(args.end(), {"--attach-socket", s.attach_socket});
  return args;
}

// Whether its monitor serves attach: when it has stdio to attach to (an
// app container has a log, stdin or a tty; the pause has none of them).
bool Attachable(const CreateOptions& o) { return !o.log_path.empty() || o.stdin_open || o.tty; }

// The environment berthd runs the runtime with (conmon passes it on to the
// runtime's create, start and delete), not berthd's own, which would sit in
// each monitor's stack for its container's life; and the sanitizers'
// settings, so that a sanitized build's monitor fails as its daemon does.
std::vector<std::string> MonitorEnv() {
  std::vector<std::string> env = Runtime::Env();
  // No per-thread cache in conmon's allocator (read at its start; conmon
  // drops the variable before it runs the runtime): its frees then merge,
  // and the trim after the start gives them back instead of keeping them
  // cached, and their pages dirty, for the container's life.
  env.push_back("GLIBC_TUNABLES=glibc.malloc.tcache_count=0");
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  return env;
}

// conmon gets the sync pipe as fd 3 and /dev/null as stdio; its own
// session, so no terminal signal reaches it.
pid_t SpawnMonitor(const MonitorSpec& spec, int sync_write) {
  SpawnOptions opts;
  opts.argv = ConmonArgs(spec);
  opts.env = MonitorEnv();
  opts.capture = false;
  opts.extra_fds = {{3, sync_write}};
  opts.new_session = true;
  return Spawn(opts).Detach();
}

// Reads conmon's sync messages until the create result; see conmon/report.h.
class SyncReader {
 public:
  SyncReader(const MonitorSpec& spec, UniqueFd fd) : spec_(spec), fd_(std::move(fd)) {}

  Started Wait() {
    const auto deadline = Clock::now() + spec_.create_timeout;
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
    }
    if (auto it = msg.find("error"); it != msg.end() && it->is_string()) {
      throw RuntimeError("create container " + spec_.container_id + " with " + spec_.runtime_path,
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
    try {
      Runtime("", spec_.runtime_path, spec_.runtime_root, config::RuntimeType::kProcess, spec_.runtime_args)
          .Delete(spec_.container_id);
    } catch (const std::exception& e) {
      spdlog::warn("create container {} timed out and its delete failed: {}", spec_.container_id, e.what());
    }
    throw DeadlineExceeded("create container " + spec_.container_id + ": " + spec_.runtime_path +
                           " create did not finish within " + std::to_string(spec_.create_timeout.count()) + " ms");
  }

  const MonitorSpec& spec_;
  UniqueFd fd_;
  std::string buf_;
  pid_t monitor_pid_ = 0;
};

}  // namespace

std::string AttachSocketPath(const std::string& run_dir) { return run_dir + "/attach.sock"; }

Started CreateUnderMonitor(const MonitorSpec& spec) {
  if (::access(spec.conmon_path.c_str(), X_OK) != 0) {
    throw FailedPrecondition("berth-conmon " + spec.conmon_path + " is not executable: " + std::strerror(errno));
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw SysError("pipe for berth-conmon sync");
  UniqueFd read_end(p[0]), write_end(p[1]);
  const pid_t pid = SpawnMonitor(spec, write_end.get());
  WatchMonitor(pid);  // reaped by berthd when it exits, whatever the create's outcome
  write_end.reset();  // EOF then means conmon is gone
  try {
    return SyncReader(spec, std::move(read_end)).Wait();
  } catch (const Error& e) {
    static auto& failures = metrics::Registry::Global().Counter(
        "berth_monitor_failures_total",
        "Containers berth-conmon failed to create (the runtime's error, a monitor that died, a timeout), by code.",
        {"code"});
    failures.Inc({CodeName(e.code())});
    throw;
  }
}

// Container::Create lives here, beside the monitor it starts: the path from
// a create request to the spawn of berth-conmon reads in one file.
Started Container::Create(const nlohmann::json& spec, const CreateOptions& options, Rollback& rb) const {
  storage::MakeDirs(bundle(), 0700);
  storage::WriteFileAtomic(bundle() + "/config.json", spec.dump(2), 0600, storage::Durability::kProcessCrash);
  rb.Add("runtime container " + id_, [self = *this] { self.KillAndDelete(); });
  // Held until conmon has reported the create: it opens the copy itself at start.
  const auto binary = runtime_.Binary();
  MonitorSpec ms;
  ms.conmon_path = options.conmon;
  ms.runtime_path = binary->exec_path();
  ms.runtime_root = runtime_.root();
  ms.container_id = id_;
  ms.bundle_dir = bundle();
  ms.exit_file = exit_file();
  ms.pid_file = run_dir_ + "/" + pid_file_name_;
  ms.log_path = options.log_path;
  ms.stdin_open = options.stdin_open;
  ms.tty = options.tty;
  ms.runtime_args = runtime_.args();
  ms.create_timeout = runtime_.timeout();
  if (Attachable(options)) ms.attach_socket = AttachSocketPath(run_dir_);
  if (runtime_.sandboxed()) {
    ms.start_socket = start_socket();
    ms.wait_by_runtime = true;
  }
  return CreateUnderMonitor(ms);
}

std::optional<ExitStatus> ReadExitFile(const std::string& path) {
  const auto found = storage::ReadFileIfExists(path);
  if (!found) return std::nullopt;
  const std::string& text = *found;
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto code = j.is_object() ? j.find("exit_code") : j.end();
  auto at = j.is_object() ? j.find("finished_at_ns") : j.end();
  auto oom = j.is_object() ? j.find("oom_killed") : j.end();
  if (!j.is_object() || code == j.end() || !code->is_number_integer() || at == j.end() ||
      !at->is_number_integer() || (oom != j.end() && !oom->is_boolean())) {
    throw Internal("exit file " + path + " is malformed: " + text);
  }
  ExitStatus exit;
  exit.exit_code = code->get<int>();
  exit.finished_at_ns = at->get<int64_t>();
  exit.oom_killed = oom != j.end() && oom->get<bool>();
  if (auto r = j.find("reason"); r != j.end() && r->is_string()) exit.reason = r->get<std::string>();
  if (auto m = j.find("message"); m != j.end() && m->is_string()) exit.message = m->get<std::string>();
  return exit;
}

void WriteExitFile(const std::string& path, const ExitStatus& exit) {
  nlohmann::json j{{"exit_code", exit.exit_code}, {"finished_at_ns", exit.finished_at_ns}, {"oom_killed", exit.oom_killed}};
  if (!exit.reason.empty()) j["reason"] = exit.reason;
  if (!exit.message.empty()) j["message"] = exit.message;
  storage::WriteFileAtomic(path, j.dump(), 0600, storage::Durability::kProcessCrash);
}

bool MonitorAlive(pid_t monitor_pid, const std::string& container_id) {
  if (monitor_pid <= 0) return false;
  const auto cmdline = storage::ReadFileIfExists("/proc/" + std::to_string(monitor_pid) + "/cmdline");
  if (!cmdline) return false;
  const std::string want = std::string("--id\0", 5) + container_id + '\0';
  return cmdline->find(want) != std::string::npos;
}

namespace {

// One request on the monitor's start socket and its answer; nullopt when
// nothing listens there.
std::optional<std::string> AskMonitor(const std::string& socket, const std::string& request,
                                      std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) throw SysError("socket for " + socket);
  UnixAddress addr(socket);
  if (!addr.ok()) throw SysError("address of " + socket);
  if (::connect(fd.get(), addr.get(), addr.size()) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return std::nullopt;
    throw SysError("connect " + socket);
  }
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) throw SysError("send to " + socket);
  pollfd p{fd.get(), POLLIN, 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (n < 0) throw SysError("poll " + socket);
  if (n == 0) {
    throw DeadlineExceeded("the monitor at " + socket + " did not answer " + request + " within " +
                           std::to_string(timeout.count() / 1000) + " s");
  }
  char buf[4096];
  const ssize_t got = ::recv(fd.get(), buf, sizeof buf, 0);
  if (got < 0) throw SysError("recv from " + socket);
  return std::string(buf, static_cast<size_t>(got));
}

// runsc start of a container in a loaded sandbox takes a while, not this long.
constexpr auto kStartTimeout = std::chrono::seconds(60);

}  // namespace

void StartThroughMonitor(const std::string& socket, const std::string& what) {
  const auto answer = AskMonitor(socket, "start", kStartTimeout);
  if (!answer) throw FailedPrecondition(what + ": no monitor awaits its start (started already, or gone)");
  if (*answer == "ok") return;
  throw RuntimeError(what + ": start failed", answer->rfind("error: ", 0) == 0 ? answer->substr(7) : *answer);
}

bool AbandonThroughMonitor(const std::string& socket) {
  const auto answer = AskMonitor(socket, "abandon", kStartTimeout);
  return answer && *answer == "ok";
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

}  // namespace berth::pod::oci
