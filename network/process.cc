#include "network/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "cri/error.h"
#include "storage/fs.h"

namespace berth::network {
namespace {

using Clock = std::chrono::steady_clock;
using storage::UniqueFd;
constexpr size_t kMaxOutput = 16 << 20;  // a runaway plugin must not exhaust berthd's memory

// stdin as a sealed-in-memory file: the child reads it at its pace, and we
// never block on (or get SIGPIPE from) a pipe the child does not drain.
UniqueFd StdinFile(std::string_view input) {
  UniqueFd fd(::memfd_create("berth-cni-stdin", MFD_CLOEXEC));
  if (!fd) throw SysError("memfd_create for plugin stdin");
  for (size_t off = 0; off < input.size();) {
    ssize_t n = ::write(fd.get(), input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("write plugin stdin");
    off += static_cast<size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw SysError("lseek plugin stdin");
  return fd;
}

struct Pipe {
  UniqueFd read, write;
};

Pipe MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe2");
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

class SpawnSetup {
 public:
  SpawnSetup(int in, int out, int err) {
    ::posix_spawn_file_actions_init(&fa_);
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_adddup2(&fa_, in, 0);
    ::posix_spawn_file_actions_adddup2(&fa_, out, 1);
    ::posix_spawn_file_actions_adddup2(&fa_, err, 2);
    // Belt and braces next to O_CLOEXEC: nothing but stdio reaches the plugin.
    ::posix_spawn_file_actions_addclosefrom_np(&fa_, 3);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr_, &none);
    ::posix_spawnattr_setsigdefault(&attr_, &all);  // e.g. SIGPIPE ignored by berthd
    ::posix_spawnattr_setpgroup(&attr_, 0);         // own group: a timeout kills its children too
    ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&fa_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
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

// Blocking reap; EINTR-safe. ECHILD (someone else reaped it) leaves the status unknown.
void Reap(pid_t pid, ProcessResult& r) {
  int status = 0;
  pid_t got;
  do got = ::waitpid(pid, &status, 0);
  while (got < 0 && errno == EINTR);
  if (got == pid) SetStatus(r, status);
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (timed_out) return "timed out and was killed";
  if (exited) return "exit status " + std::to_string(exit_code);
  if (term_signal) return "killed by signal " + std::to_string(term_signal);
  return "unknown exit status";
}

ProcessResult RunProcess(const std::string& path, const std::vector<std::string>& args,
                         const std::vector<std::string>& env, std::string_view input,
                         std::chrono::milliseconds timeout, const std::function<void()>& on_deadline) {
  UniqueFd in = StdinFile(input);
  Pipe out = MakePipe(), err = MakePipe();
  SpawnSetup setup(in.get(), out.write.get(), err.write.get());
  auto argv = CStrings(args);
  auto envp = CStrings(env);
  pid_t pid = -1;
  if (int e = ::posix_spawn(&pid, path.c_str(), setup.actions(), setup.attr(), argv.data(), envp.data()); e != 0)
    throw SysError("posix_spawn " + path, e);
  in.reset();
  out.write.reset();
  err.write.reset();

  ProcessResult r;
  auto deadline = Clock::now() + timeout;
  bool hook_ran = false;
  for (;;) {
    int status = 0;
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid || (got < 0 && errno == ECHILD)) {
      if (got == pid) SetStatus(r, status);
      // Whatever it wrote is in the pipes; a grandchild holding them open must not stall us.
      Drain(out.read, r.out);
      Drain(err.read, r.err);
      return r;
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
      ::kill(-pid, SIGKILL);
      Reap(pid, r);
      r.timed_out = true;
      Drain(out.read, r.out);
      Drain(err.read, r.err);
      return r;
    }
    // Poll in short slices so an exit is noticed even if the pipes stay open.
    std::array<pollfd, 2> fds{};
    nfds_t n = 0;
    if (out.read) fds[n++] = {out.read.get(), POLLIN, 0};
    if (err.read) fds[n++] = {err.read.get(), POLLIN, 0};
    const int slice = static_cast<int>(std::min<long>(left.count(), n == 2 ? 1000 : 20));
    if (::poll(fds.data(), n, slice) < 0 && errno != EINTR) {
      int e = errno;
      ::kill(-pid, SIGKILL);
      Reap(pid, r);
      throw SysError("poll on plugin output", e);
    }
    Drain(out.read, r.out);
    Drain(err.read, r.err);
  }
}

}  // namespace berth::network
