#include "storage/base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <set>

#include "storage/base/error.h"

extern char** environ;

namespace berth {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxOutput = 16 << 20;  // a runaway child must not exhaust berthd's memory

// stdin as a sealed-in-memory file: the child reads it at its pace, and we
// never block on (or get SIGPIPE from) a pipe the child does not drain.
UniqueFd StdinFile(std::string_view input) {
  UniqueFd fd(::memfd_create("berth-child-stdin", MFD_CLOEXEC));
  if (!fd) throw SysError("memfd_create for a child's stdin");
  for (size_t off = 0; off < input.size();) {
    ssize_t n = ::write(fd.get(), input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("write a child's stdin");
    off += static_cast<size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw SysError("lseek a child's stdin");
  return fd;
}

struct Pipe {
  UniqueFd read, write;
};

Pipe MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe2 for a child's output");
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  // Only our end is non-blocking; the child gets an ordinary blocking pipe.
  if (::fcntl(p.read.get(), F_SETFL, O_NONBLOCK) != 0) throw SysError("fcntl O_NONBLOCK");
  return p;
}

// Reads what is available; closes the fd at EOF.
void Drain(UniqueFd& fd, std::string& into) {
  char buf[8192];
  while (fd) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      fd.reset();
      return;
    }
    if (into.size() < kMaxOutput) into.append(buf, static_cast<size_t>(n));
  }
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// A dup of `fd` at 10 or above: out of the way of the child's 0..9 while
// the file actions run, and close-on-exec, so only the dup2 passes it on.
UniqueFd HighDup(int fd) {
  UniqueFd d(::fcntl(fd, F_DUPFD_CLOEXEC, 10));
  if (!d) throw SysError("fcntl F_DUPFD_CLOEXEC for a child's fd");
  return d;
}

class SpawnSetup {
 public:
  explicit SpawnSetup(bool new_session) {
    ::posix_spawn_file_actions_init(&fa_);
    ::posix_spawnattr_init(&attr_);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr_, &none);    // berthd blocks its shutdown signals
    ::posix_spawnattr_setsigdefault(&attr_, &all);  // e.g. SIGPIPE ignored by berthd
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (new_session) {
      flags |= POSIX_SPAWN_SETSID;
    } else {
      ::posix_spawnattr_setpgroup(&attr_, 0);  // own group: a timeout kills its children too
      flags |= POSIX_SPAWN_SETPGROUP;
    }
    ::posix_spawnattr_setflags(&attr_, flags);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&fa_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  void Dup(int from, int to) { ::posix_spawn_file_actions_adddup2(&fa_, from, to); }
  // Belt and braces next to O_CLOEXEC: nothing but what was asked reaches the child.
  void CloseFrom(int fd) { ::posix_spawn_file_actions_addclosefrom_np(&fa_, fd); }
  const posix_spawn_file_actions_t* actions() const { return &fa_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t fa_;
  posix_spawnattr_t attr_;
};

void SetStatus(ProcessResult& r, int status) {
  if (WIFEXITED(status)) {
    r.exited = true;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.term_signal = WTERMSIG(status);
  }
}

// Live children of Spawn (until reaped or detached): ReapOrphans leaves
// them to their owners. Spawn holds the lock until the pid is in, so no
// child can exit unclaimed.
std::mutex children_mu;
std::set<pid_t> children;

void Forget(pid_t pid) {
  std::lock_guard lock(children_mu);
  children.erase(pid);
}

// Blocking reap; EINTR-safe. ECHILD (someone else reaped it) leaves the status unknown.
void Reap(pid_t pid, ProcessResult& r) {
  int status = 0;
  pid_t got;
  do got = ::waitpid(pid, &status, 0);
  while (got < 0 && errno == EINTR);
  if (got == pid) SetStatus(r, status);
  Forget(pid);
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (timed_out) return "timed out and was killed";
  if (exited) return "exit status " + std::to_string(exit_code);
  if (term_signal) return "killed by signal " + std::to_string(term_signal);
  return "unknown exit status";
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), out_(std::move(o.out_)), err_(std::move(o.err_)) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    Child old(std::move(*this));
    pid_ = std::exchange(o.pid_, -1);
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
  }
  return *this;
}

Child::~Child() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // in case it left its group
  ProcessResult ignored;
  Reap(pid_, ignored);
}

Child Spawn(const SpawnOptions& opts) {
  if (opts.argv.empty()) throw Internal("spawn: empty argv");
  const std::string& path = opts.path.empty() ? opts.argv[0] : opts.path;
  UniqueFd in, null;
  Pipe out, err;
  SpawnSetup setup(opts.new_session);
  if (opts.capture) {
    in = StdinFile(opts.input);
    out = MakePipe();
    err = MakePipe();
    setup.Dup(in.get(), 0);
    setup.Dup(out.write.get(), 1);
    setup.Dup(err.write.get(), 2);
  } else {
    null = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null) throw SysError("open /dev/null");
    for (int fd = 0; fd < 3; ++fd) setup.Dup(null.get(), fd);
  }
  std::vector<UniqueFd> extras;
  int next_free = 3;
  for (const auto& [child_fd, our_fd] : opts.extra_fds) {
    extras.push_back(HighDup(our_fd));
    setup.Dup(extras.back().get(), child_fd);
    next_free = std::max(next_free, child_fd + 1);
  }
  setup.CloseFrom(next_free);

  auto argv = CStrings(opts.argv);
  std::vector<char*> envp;
  if (opts.env) envp = CStrings(*opts.env);
  pid_t pid = -1;
  {
    std::lock_guard lock(children_mu);
    if (int e = ::posix_spawn(&pid, path.c_str(), setup.actions(), setup.attr(), argv.data(),
                              opts.env ? envp.data() : environ);
        e != 0) {
      throw SysError("posix_spawn " + path, e);
    }
    children.insert(pid);
  }
  Child c;
  c.pid_ = pid;
  c.out_ = std::move(out.read);
  c.err_ = std::move(err.read);
  return c;
}

ProcessResult Child::Wait(std::chrono::milliseconds timeout, const std::function<void()>& on_deadline) {
  ProcessResult r;
  if (pid_ <= 0) return r;  // moved from, waited or detached: waitpid(-1) would take anyone's child
  auto finish = [&] {
    // Whatever it wrote is in the pipes; a grandchild holding them open must not stall us.
    Drain(out_, r.out);
    Drain(err_, r.err);
    Forget(pid_);
    pid_ = -1;
    return r;
  };
  auto deadline = Clock::now() + timeout;
  bool hook_ran = false;
  // Readable once the child has exited: the wait sleeps until then (or
  // output, or the deadline) instead of polling in slices.
  const UniqueFd exited(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  for (;;) {
    int status = 0;
    pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == pid_ || (got < 0 && errno == ECHILD)) {
      if (got == pid_) SetStatus(r, status);
      return finish();
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 && on_deadline && !hook_ran) {
      hook_ran = true;
      r.timed_out = true;
      on_deadline();
      deadline = Clock::now() + kDeadlineGrace;
      continue;
    }
    if (left.count() <= 0) {
      ::kill(-pid_, SIGKILL);
      Reap(pid_, r);
      r.timed_out = true;
      return finish();
    }
    // Without a pidfd (an old kernel), short slices notice an exit even
    // while the pipes stay open.
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    if (out_) fds[n++] = {out_.get(), POLLIN, 0};
    if (err_) fds[n++] = {err_.get(), POLLIN, 0};
    if (exited) fds[n++] = {exited.get(), POLLIN, 0};
    const int slice = static_cast<int>(std::min<long>(left.count(), exited || n == 2 ? 1000 : 20));
    if (::poll(fds.data(), n, slice) < 0 && errno != EINTR) throw SysError("poll on a child's output");
    Drain(out_, r.out);
    Drain(err_, r.err);
  }
}

pid_t Child::Detach() {
  Forget(pid_);
  return std::exchange(pid_, -1);
}

namespace {
int open_windows = 0;  // AdoptionWindows alive; guarded by children_mu
}  // namespace

AdoptionWindow::AdoptionWindow() {
  std::lock_guard lock(children_mu);
  ++open_windows;
}

AdoptionWindow::~AdoptionWindow() {
  std::lock_guard lock(children_mu);
  --open_windows;
}

void Adopt(pid_t pid) {
  std::lock_guard lock(children_mu);
  children.insert(pid);
}

ProcessResult WaitAdopted(pid_t pid) {
  ProcessResult r;
  int status = 0;
  pid_t got;
  do got = ::waitpid(pid, &status, 0);
  while (got < 0 && errno == EINTR);
  if (got == pid) {
    SetStatus(r, status);
  } else if (UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); pidfd) {
    pollfd p{pidfd.get(), POLLIN, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
  }
  Forget(pid);
  return r;
}

int ReapOrphans(const std::function<bool(pid_t)>& owned_elsewhere) {
  int reaped = 0;
  std::lock_guard lock(children_mu);
  if (open_windows > 0) return 0;
  for (int i = 0; i < 256; ++i) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
    // Its owner reaps it soon; the rest wait for the next round.
    if (children.contains(info.si_pid) || owned_elsewhere(info.si_pid)) break;
    if (::waitpid(info.si_pid, nullptr, WNOHANG) == info.si_pid) ++reaped;
  }
  return reaped;
}

ProcessResult RunProcess(const std::string& path, const std::vector<std::string>& args,
                         const std::vector<std::string>& env, std::string_view input,
                         std::chrono::milliseconds timeout, const std::function<void()>& on_deadline) {
  SpawnOptions opts;
  opts.path = path;
  opts.argv = args.empty() ? std::vector<std::string>{path} : args;
  opts.env = env;
  opts.input = input;
  return Spawn(opts).Wait(timeout, on_deadline);
}

}  // namespace berth
