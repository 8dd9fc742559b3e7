#include "conmon/report.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <system_error>

namespace berth::conmon {
namespace {

[[noreturn]] void Fail(const std::string& what, int err = errno) {
  throw std::system_error(err, std::generic_category(), what);
}

}  // namespace

void SyncPipe::Send(const std::string& json_line) {
  if (fd_) WriteAll(fd_.get(), json_line + "\n");  // berthd gone: nobody to tell
}

void SyncPipe::SendMonitorPid(pid_t pid) { Send(nlohmann::json{{"monitor_pid", pid}}.dump()); }
void SyncPipe::SendContainerPid(pid_t pid) { Send(nlohmann::json{{"container_pid", pid}}.dump()); }
void SyncPipe::SendError(const std::string& text) {
  // Invalid UTF-8 from a runtime must not stop the report.
  Send(nlohmann::json{{"error", text}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

int ExitCode(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

void WriteExitFile(const std::string& path, int exit_code, int64_t finished_at_ns, bool oom_killed) {
  const std::string data =
      nlohmann::json{{"exit_code", exit_code}, {"finished_at_ns", finished_at_ns}, {"oom_killed", oom_killed}}
          .dump();
  auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string tmp = path + ".tmp-XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) Fail("create temp file for " + path);
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::unlink(tmp.c_str());
    Fail(what + " " + tmp, err);
  };
  if (!WriteAll(fd.get(), data)) fail("write");
  if (::fchmod(fd.get(), 0644) != 0) fail("fchmod");
  if (::fsync(fd.get()) != 0) fail("fsync");
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename to " + path + " from");
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d || ::fsync(d.get()) != 0) Fail("fsync dir " + dir);
}

}  // namespace berth::conmon
