#include "conmon/supervisor.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <system_error>
#include <vector>

#include "conmon/console.h"
#include "conmon/runtime.h"
#include "conmon/sys_error.h"
#include "conmon/text.h"

namespace berth::conmon {
namespace {

// How long attached clients get to take the last output at the end.
constexpr std::chrono::seconds kAttachFlushLimit{5};
// One read of container output. Static, not on the stack: only the pages a
// read fills get dirty (a quiet container's one), and the loop's frames stay
// small, so the create's and start's deeper frames are dead below them.
constexpr size_t kReadChunk = 16 * 1024;
char read_buf[kReadChunk];  // conmon is single-threaded

// The lowest address of the main thread's stack, from /proc/self/maps; 0 if not found.
uintptr_t StackBottom() {
  const std::string maps = ReadFile("/proc/self/maps");
  for (std::string_view line : Split(maps, '\n')) {
    if (line.size() < 7 || line.substr(line.size() - 7) != "[stack]") continue;
    return std::strtoull(std::string(line.substr(0, line.find('-'))).c_str(), nullptr, 16);
  }
  return 0;
}

// Gives back the stack pages below this call: the create and start ran
// deeper than the idle loop ever will, and their dead frames would stay
// dirty for the container's life. A deeper call later faults in a zero page.
__attribute__((noinline)) void ReleaseDeadStack() {
  const uintptr_t bottom = StackBottom();
  volatile char here = 0;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  // 256 bytes below this frame's local: the rest of the frame and the
  // madvise call (a bare syscall) use far less.
  const uintptr_t keep_from = (reinterpret_cast<uintptr_t>(&here) - 256) & ~(page - 1);
  if (bottom == 0 || keep_from <= bottom) return;
  ::madvise(reinterpret_cast<void*>(bottom), keep_from - bottom, MADV_DONTNEED);
}

timespec Now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

int64_t NowNs() {
  timespec ts = Now();
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string ReadAllFrom(int fd) {
  std::string out;
  char buf[4096];
  for (off_t off = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
}

pid_t ParentOf(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  char state = 0;
  pid_t ppid = -1;
  if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) < 2) return -1;
  return ppid;
}

}  // namespace

Supervisor::Supervisor(Options o, SyncPipe& sync) : o_(std::move(o)), sync_(sync) {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, SIGCHLD);
  ::sigaddset(&set, SIGUSR1);  // reopen the log (ReopenContainerLog)
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) ThrowSys("sigprocmask");
  signals_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signals_) ThrowSys("signalfd");
}

int Supervisor::Run() {
  // Fail the create now rather than lose the exit status at the end.
  const auto slash = o_.exit_file.rfind('/');
  const std::string exit_dir = slash == std::string::npos ? "." : o_.exit_file.substr(0, slash + 1);
  if (::access(exit_dir.c_str(), W_OK) != 0) ThrowSys("exit file directory " + exit_dir);
  SetupStdio();
  if (!o_.attach_socket.empty()) OpenAttach();  // before the create is reported: berthd may attach at once
  std::optional<StartSocket> start;
  if (!o_.start_socket.empty()) start.emplace(o_.start_socket);
  if (!CreateContainer()) return 1;
  if (start && !AwaitStart(*start)) {
    WriteExitFile(o_.exit_file, 128 + SIGKILL, NowNs(), false);
    return 0;
  }
  start.reset();  // unlinked: berthd sees the container as started
  // The container may run for months: what the create and start allocated
  // and freed goes back to the kernel now, not stays dirty in the heap.
  ReleaseDeadStack();
  ::malloc_trim(0);
  if (o_.wait_by_runtime) {
    WaitByRuntime();
    return 0;
  }
  Pump([&] { return exited_.count(container_) > 0; });
  DrainPipes();
  const Exit e = exited_[container_];
  WriteExitFile(o_.exit_file, ExitCode(e.status), e.at_ns, oom_.Killed());
  EndAttach();  // after the exit file: a client at EOF finds the exit recorded
  return 0;
}

void Supervisor::SetupStdio() {
  null_.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_) ThrowSys("open /dev/null");
  if (o_.tty) {  // the pty is all the container's stdio; its output is read from the master
    if (!o_.log_path.empty()) {
      log_.emplace(o_.log_path, o_.log_max_line);
      log_->DropCarriageReturns();
    }
    return;
  }
  if (o_.stdin_open) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) ThrowSys("pipe for stdin");
    stdin_read_.reset(p[0]);
    stdin_write_.reset(p[1]);
  }
  if (o_.log_path.empty() && o_.attach_socket.empty()) return;
  if (!o_.log_path.empty()) log_.emplace(o_.log_path, o_.log_max_line);
  for (size_t i = 0; i < 2; ++i) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) ThrowSys("pipe for container output");
    out_read_[i].reset(p[0]);
    out_write_[i].reset(p[1]);
    if (::fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) ThrowSys("fcntl O_NONBLOCK");
  }
}

void Supervisor::OpenAttach() {
  attach_.emplace(o_.attach_socket);
  if (stdin_write_) attach_->input().TakePipe(std::move(stdin_write_));
}

void Supervisor::EndAttach() {
  if (!attach_) return;
  attach_->Finish(kAttachFlushLimit);
  attach_.reset();
}

Fd Supervisor::RuntimeLog() {
  Fd log(::memfd_create("runtime-log", MFD_CLOEXEC));
  if (!log) ThrowSys("memfd_create");
  return log;
}

ChildStdio Supervisor::ContainerStdio() const {
  ChildStdio io;
  io.in = stdin_read_ ? stdin_read_.get() : null_.get();
  io.out = out_write_[0] ? out_write_[0].get() : null_.get();
  io.err = out_write_[1] ? out_write_[1].get() : null_.get();
  return io;
}

bool Supervisor::CreateContainer() {
  // The runtime logs to a memfd it opens by /proc path: its errors stay out
  // of the container's stderr (which the runtime hands to the container).
  Fd runtime_log = RuntimeLog();
  const ChildStdio io = ContainerStdio();
  // With --tty the runtime connects here and sends the pty master before it exits.
  std::optional<ConsoleSocket> console;
  if (o_.tty) console.emplace();
  pid_t runtime = Spawn(CreateArgs(o_, "/proc/self/fd/" + std::to_string(runtime_log.get()),
                                   console ? console->path() : ""),
                        io, runtime_log.get());
  // A sandbox runtime takes the stdio at start; the other kind holds it now.
  if (o_.start_socket.empty()) DropStdio();
  Pump([&] { return exited_.count(runtime) > 0; });
  const int status = exited_[runtime].status;
  exited_.erase(runtime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string text = RuntimeErrorText(ReadAllFrom(runtime_log.get()));
    std::string how = o_.runtime + " create " + DescribeWaitStatus(status);
    sync_.SendError(text.empty() ? how + " and logged nothing" : text);
    DrainPipes();
    return false;
  }
  try {
    if (console) TakeConsole(console->ReceiveMaster());
    container_ = ReadPidFile();
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
  // With a sandbox runtime the pid is the sandbox's: not ours, and its
  // cgroup's OOM events are the whole pod's.
  if (!o_.wait_by_runtime) {
    if (exited_.count(container_) == 0 && ParentOf(container_) != ::getpid()) {
      return Fail("container init " + std::to_string(container_) + " is not a child of berth-conmon (parent " +
                  std::to_string(ParentOf(container_)) + ")");
    }
    oom_ = OomWatch(container_);
  }
  sync_.SendContainerPid(container_);
  sync_.Close();
  return true;
}

void Supervisor::DropStdio() {
  // EOF on our side then means the container closed them.
  stdin_read_.reset();
  out_write_[0].reset();
  out_write_[1].reset();
}

bool Supervisor::AwaitStart(const StartSocket& socket) {
  std::optional<bool> started;
  Pump([&] { return started.has_value(); }, socket.fd(), [&] {
    Fd conn;
    const std::string request = socket.Accept(conn);
    if (request == "start") {
      std::string error;
      if (RunStart(error)) {
        started = true;
        StartSocket::Reply(conn, "ok");
      } else {
        StartSocket::Reply(conn, "error: " + error);  // still created: berthd may retry or remove it
      }
    } else if (request == "abandon") {
      RunToCompletion(DeleteArgs(o_));
      // What the runtime started for it (runsc's gofer after a failed
      // start) has no container to serve any more.
      KillChildren();
      ReapAllChildren(std::chrono::seconds(5));
      started = false;
      StartSocket::Reply(conn, "ok");
    } else if (conn) {
      StartSocket::Reply(conn, "error: unknown request");
    }
  });
  return *started;
}

bool Supervisor::RunStart(std::string& error) {
  Fd runtime_log = RuntimeLog();
  const ChildStdio io = ContainerStdio();
  const pid_t runtime = Spawn(StartArgs(o_, "/proc/self/fd/" + std::to_string(runtime_log.get())), io,
                              runtime_log.get());
  Pump([&] { return exited_.count(runtime) > 0; });
  const int status = exited_[runtime].status;
  exited_.erase(runtime);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    DropStdio();
    return true;
  }
  error = RuntimeErrorText(ReadAllFrom(runtime_log.get()));
  if (error.empty()) error = o_.runtime + " start " + DescribeWaitStatus(status) + " and logged nothing";
  return false;
}

void Supervisor::WaitByRuntime() {
  Fd out(::memfd_create("wait-output", MFD_CLOEXEC));
  if (!out) ThrowSys("memfd_create");
  const pid_t wait = Spawn(WaitArgs(o_), {null_.get(), out.get(), out.get()});
  Pump([&] { return exited_.count(wait) > 0; });
  DrainPipes();
  const std::string text = ReadAllFrom(out.get());
  const std::optional<int> code = ParseWaitOutput(text);
  if (!code) std::fprintf(stderr, "berth-conmon %s: %s wait: %s\n", o_.id.c_str(), o_.runtime.c_str(), text.c_str());
  // No exit status: the sandbox itself went (killed, or its pause ended),
  // and the container's processes with it.
  WriteExitFile(o_.exit_file, code.value_or(128 + SIGKILL), exited_[wait].at_ns, false);
  EndAttach();
  // The runtime's helpers for this container (runsc's gofer) are conmon's
  // children and end only once the runtime forgets the container: delete it
  // now and reap them, or they would outlive conmon as zombies of berthd's,
  // which runsc's own delete then waits for.
  RunToCompletion(DeleteArgs(o_));
  ReapAllChildren(std::chrono::seconds(10));
}

void Supervisor::KillChildren() {
  // /proc/<pid>/task/<tid>/children needs CONFIG_PROC_CHILDREN: scan instead.
  const pid_t self = ::getpid();
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (ParentOf(pid) == self) ::kill(pid, SIGKILL);
  }
}

void Supervisor::ReapAllChildren(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    Reap();
    siginfo_t info{};
    // Any child left? (WNOWAIT: only look.)
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD) return;
    if (std::chrono::steady_clock::now() > deadline) return;
    ::usleep(10 * 1000);
  }
}

void Supervisor::TakeConsole(Fd master) {
  SetDefaultWindowSize(master.get());
  if (::fcntl(master.get(), F_SETFL, O_NONBLOCK) != 0) ThrowSys("fcntl O_NONBLOCK on the console");
  // Read even without a log: a full pty buffer would block the container's writes.
  out_read_[0].reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
  if (!out_read_[0]) ThrowSys("dup the console");
  console_ = std::move(master);
  if (attach_) attach_->input().UseConsole(console_.get(), o_.stdin_open);
}

bool Supervisor::Fail(const std::string& text) {
  RunToCompletion(DeleteArgs(o_));
  sync_.SendError(text);
  DrainPipes();
  return false;
}

pid_t Supervisor::ReadPidFile() const {
  const std::string text = ReadFile(o_.pid_file);
  char* end = nullptr;
  const long pid = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || pid <= 0 || pid > INT32_MAX) {
    throw std::runtime_error("runtime create succeeded but its pid file " + o_.pid_file + " holds no pid");
  }
  return static_cast<pid_t>(pid);
}

void Supervisor::RunToCompletion(const std::vector<std::string>& argv) {
  pid_t pid = Spawn(argv, {null_.get(), null_.get(), null_.get()});
  Pump([&] { return exited_.count(pid) > 0; });
  exited_.erase(pid);
}

void Supervisor::Pump(const std::function<bool()>& done, int extra_fd, const std::function<void()>& on_extra) {
  std::vector<pollfd> fds;
  while (!done()) {
    fds.assign({{signals_.get(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}, {extra_fd, POLLIN, 0}});
    for (size_t i = 0; i < 2; ++i) fds[i + 1].fd = out_read_[i] ? out_read_[i].get() : -1;
    if (attach_) attach_->Watch(fds);  // entries 4 and on
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ThrowSys("poll");
    }
    // Output first, so a container's last words are logged before its exit is seen.
    for (size_t i = 0; i < 2; ++i) {
      if (fds[i + 1].revents != 0) ReadPipe(i);
    }
    // Before on_extra, which may pump (and so Watch) again.
    if (attach_) attach_->Serve(std::span<const pollfd>(fds).subspan(4));
    if (fds[0].revents != 0) HandleSignals();
    if (fds[3].revents != 0 && on_extra) on_extra();
  }
}

void Supervisor::HandleSignals() {
  signalfd_siginfo info;
  while (::read(signals_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGCHLD) Reap();
    if (info.ssi_signo == SIGUSR1 && log_) {
      try {
        log_->Reopen();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "berth-conmon %s: %s\n", o_.id.c_str(), e.what());
      }
    }
  }
}

void Supervisor::Reap() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) exited_[pid] = {status, NowNs()};
}

bool Supervisor::ReadPipe(size_t i) {
  char* buf = read_buf;
  ssize_t n = ::read(out_read_[i].get(), buf, kReadChunk);
  const Stream stream = i == 0 ? Stream::kStdout : Stream::kStderr;
  if (n > 0) {
    const std::string_view chunk(buf, static_cast<size_t>(n));
    if (log_) log_->Write(stream, chunk, Now());
    if (attach_) attach_->Broadcast(stream, chunk);
    return true;
  }
  // A pty master reads EIO once no one holds the slave: its end of stream.
  if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    if (log_) log_->Flush(stream, Now());
    out_read_[i].reset();
  }
  return n < 0 && errno == EINTR;
}

void Supervisor::DrainPipes() {
  for (size_t i = 0; i < 2; ++i) {
    while (out_read_[i] && ReadPipe(i)) {
    }
  }
  if (!log_) return;
  log_->Flush(Stream::kStdout, Now());
  log_->Flush(Stream::kStderr, Now());
}

}  // namespace berth::conmon
