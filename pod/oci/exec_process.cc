#include "pod/oci/exec_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "conmon/console.h"
#include "pod/oci/runtime_errors.h"
#include "storage/base/error.h"
#include "storage/base/scope.h"
#include "storage/fs.h"

namespace berth::pod::oci {
namespace {

struct PipePair {
  UniqueFd read, write;
};

PipePair MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe for an exec's stdio");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string RandomSuffix() {
  static std::atomic<uint64_t> n{0};  // unique within berthd; the pid keeps two berthds apart
  return std::to_string(::getpid()) + "-" + std::to_string(++n);
}

// "runc exec failed: ..." as the error the caller sees.
[[noreturn]] void ThrowStartFailure(const Runtime& rt, const std::string& id, const ProcessResult& r) {
  std::string text = r.err.empty() ? r.out : r.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const std::string what = rt.path() + " exec in container " + id + " failed (" + r.Describe() + ")";
  if (IsNotExistError(text)) throw FailedPrecondition(what + ": the container is not running: " + text);
  throw Internal(what + ": " + text);
}

}  // namespace

ExecProcess ExecProcess::Start(const Runtime& rt, const std::string& container_id, const ExecOptions& o) {
  const std::string base = o.work_dir + "/exec-" + RandomSuffix();
  const std::string process_file = base + ".process.json";
  storage::WriteFileAtomic(process_file, o.process.dump(), 0600, storage::Durability::kProcessCrash);
  // Until the process is under way: an attached runtime reads it after Start returns.
  Rollback rb("exec in " + container_id);
  rb.Add("process file", [&] { ::unlink(process_file.c_str()); });
  rb.Add("pid file", [&] { ::unlink((base + ".pid").c_str()); });
  const bool tty = o.process.value("terminal", false);
  std::vector<std::string> args{"exec", "--process", process_file, "--pid-file", base + ".pid"};
  if (tty) {
    conmon::ConsoleSocket console;  // runc accepts only a short socket path: a temp dir of its own
    args.insert(args.end(), {"--detach", "--console-socket", console.path(), container_id});
    ExecProcess p = StartWithTty(rt, rt.Argv(args), base + ".pid");
    p.process_file_ = process_file;
    rb.Commit();  // p owns the files now
    try {
      p.master_ = UniqueFd(console.ReceiveMaster().release());
    } catch (const std::exception& e) {
      throw Internal(rt.path() + " exec in container " + container_id + ": no terminal: " + e.what());
    }
    p.master_out_ = UniqueFd(::fcntl(p.master_.get(), F_DUPFD_CLOEXEC, 3));
    if (!p.master_out_) throw SysError("dup the pty master of an exec in " + container_id);
    return p;
  }
  args.push_back(container_id);
  ExecProcess p = StartAttached(rt, rt.Argv(args), o.stdin, base + ".pid");
  p.process_file_ = process_file;
  rb.Commit();
  return p;
}

ExecProcess ExecProcess::StartAttached(const Runtime& rt, const std::vector<std::string>& argv, bool with_stdin,
                                       std::string pid_file) {
  ExecProcess p;
  p.pid_file_ = std::move(pid_file);
  PipePair out = MakePipe(), err = MakePipe();
  PipePair in;
  if (with_stdin) in = MakePipe();
  const auto binary = rt.Binary();
  SpawnOptions so;
  so.path = binary->exec_path();
  so.argv = argv;
  so.env = Runtime::Env();
  so.capture = false;  // the three below instead of /dev/null
  if (with_stdin) so.extra_fds.emplace_back(0, in.read.get());
  so.extra_fds.emplace_back(1, out.write.get());
  so.extra_fds.emplace_back(2, err.write.get());
  p.runtime_ = Spawn(so);
  p.runtime_pid_ = p.runtime_.pid();
  p.stdin_ = std::move(in.write);
  p.stdout_ = std::move(out.read);
  p.stderr_ = std::move(err.read);
  return p;
}

ExecProcess ExecProcess::StartWithTty(const Runtime& rt, const std::vector<std::string>& argv, std::string pid_file) {
  ExecProcess p;
  p.pid_file_ = std::move(pid_file);
  // From before runc starts until the process is claimed: it re-parents to
  // berthd when runc exits, and must not be reaped by anyone but us.
  AdoptionWindow window;
  const auto binary = rt.Binary();
  SpawnOptions so;
  so.path = binary->exec_path();
  so.argv = argv;
  so.env = Runtime::Env();
  ProcessResult r = Spawn(so).Wait(rt.timeout());
  if (r.timed_out || !r.exited || r.exit_code != 0) ThrowStartFailure(rt, argv.back(), r);
  p.adopted_ = p.ProcessPid();
  if (p.adopted_ <= 0) throw Internal(rt.path() + " exec left no pid in " + p.pid_file_);
  Adopt(p.adopted_);
  return p;
}

pid_t ExecProcess::ProcessPid() const {
  try {
    return static_cast<pid_t>(std::stoi(storage::ReadFile(pid_file_)));
  } catch (const std::exception&) {
    return -1;  // not written yet: runc has not started it
  }
}

ExecProcess::ExecProcess(ExecProcess&& o) noexcept
    : runtime_(std::move(o.runtime_)),
      runtime_pid_(std::exchange(o.runtime_pid_, -1)),
      adopted_(std::exchange(o.adopted_, -1)),
      pid_file_(std::exchange(o.pid_file_, {})),
      process_file_(std::exchange(o.process_file_, {})),
      stdin_(std::move(o.stdin_)),
      stdout_(std::move(o.stdout_)),
      stderr_(std::move(o.stderr_)),
      master_(std::move(o.master_)),
      master_out_(std::move(o.master_out_)),
      waited_(std::exchange(o.waited_, true)) {}

ExecProcess::~ExecProcess() {
  if (!waited_ && (adopted_ > 0 || runtime_pid_ > 0)) {
    Kill();
    Wait();
  }
  if (!pid_file_.empty()) ::unlink(pid_file_.c_str());
  if (!process_file_.empty()) ::unlink(process_file_.c_str());
}

void ExecProcess::CloseInput() {
  if (!tty()) {
    stdin_.reset();
    return;
  }
  // A terminal has no end of input of its own: the EOF character (^D) ends
  // a read in canonical mode, as typing it would.
  termios t{};
  const char eof = ::tcgetattr(master_.get(), &t) == 0 ? static_cast<char>(t.c_cc[VEOF]) : '\x04';
  (void)!::write(master_.get(), &eof, 1);
}

void ExecProcess::Resize(uint16_t rows, uint16_t cols) const {
  if (!tty()) return;
  winsize ws{};
  ws.ws_row = rows;
  ws.ws_col = cols;
  ::ioctl(master_.get(), TIOCSWINSZ, &ws);
}

int ExecProcess::Wait() {
  if (waited_) return -1;
  waited_ = true;
  if (adopted_ > 0) return WaitAdopted(adopted_).Status();
  // runc exec exits with its process's status (128+N when it was killed).
  const ProcessResult r = runtime_.Wait(std::chrono::hours(24 * 365 * 10));
  return r.Status();
}

void ExecProcess::Kill() const {
  if (adopted_ > 0) {
    ::kill(adopted_, SIGKILL);
    return;
  }
  const pid_t pid = ProcessPid();
  if (pid > 0) ::kill(pid, SIGKILL);
  // What runc or the process forked in runc's group goes too.
  if (runtime_pid_ > 0) ::kill(-runtime_pid_, SIGKILL);
}

}  // namespace berth::pod::oci
