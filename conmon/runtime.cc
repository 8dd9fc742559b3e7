#include "conmon/runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <system_error>

#include "conmon/text.h"

namespace berth::conmon {
namespace {

std::vector<std::string> Base(const Options& o) {
  std::vector<std::string> args{o.runtime};
  if (!o.runtime_root.empty()) args.insert(args.end(), {"--root", o.runtime_root});
  args.insert(args.end(), o.runtime_args.begin(), o.runtime_args.end());
  return args;
}

}  // namespace

std::vector<std::string> CreateArgs(const Options& o, const std::string& runtime_log,
                                    const std::string& console_socket) {
  auto args = Base(o);
  args.insert(args.end(), {"--log", runtime_log, "--log-format", "json", "create", "--bundle", o.bundle,
                           "--pid-file", o.pid_file});
  if (!console_socket.empty()) args.insert(args.end(), {"--console-socket", console_socket});
  args.push_back(o.id);
  return args;
}

std::vector<std::string> StartArgs(const Options& o, const std::string& runtime_log) {
  auto args = Base(o);
  args.insert(args.end(), {"--log", runtime_log, "--log-format", "json", "start", o.id});
  return args;
}

std::vector<std::string> WaitArgs(const Options& o) {
  auto args = Base(o);
  args.insert(args.end(), {"wait", o.id});
  return args;
}

std::optional<int> ParseWaitOutput(const std::string& out) {
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("exitStatus");
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  const int code = it->get<int>();
  if (code < 0 || code > 255) return std::nullopt;
  return code;
}

std::vector<std::string> DeleteArgs(const Options& o) {
  auto args = Base(o);
  args.insert(args.end(), {"delete", "--force", o.id});
  return args;
}

pid_t Spawn(const std::vector<std::string>& argv, ChildStdio stdio, int keep_fd) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork " + argv[0]);
  if (pid > 0) return pid;
  // Child: conmon is single-threaded, but keep to async-signal-safe calls anyway.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);  // an ignored disposition would survive exec
  if (::dup2(stdio.in, 0) < 0 || ::dup2(stdio.out, 1) < 0 || ::dup2(stdio.err, 2) < 0) ::_exit(126);
  if (keep_fd >= 0) ::fcntl(keep_fd, F_SETFD, 0);
  ::execv(cargv[0], cargv.data());
  ::_exit(127);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return "killed by signal " + std::to_string(WTERMSIG(status)) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "stopped";
}

std::string RuntimeErrorText(const std::string& log) {
  std::string text;
  for (std::string_view line : Split(log, '\n')) {
    if (line.empty()) continue;
    auto entry = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object()) continue;
    auto field = [&](const char* key) {
      auto it = entry.find(key);
      return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string level = field("level");
    if (level != "error" && level != "fatal") continue;
    std::string msg = field("msg");
    if (!text.empty()) text += "; ";
    text += msg.empty() ? std::string(line) : msg;
  }
  if (!text.empty()) return text;
  constexpr size_t kTail = 4096;
  text = log.size() > kTail ? log.substr(log.size() - kTail) : log;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace berth::conmon
