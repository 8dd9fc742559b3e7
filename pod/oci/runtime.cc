#include "pod/oci/runtime.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "config/layout.h"
#include "storage/base/error.h"
#include "storage/base/metrics.h"
#include "storage/fs.h"
#include "storage/base/process.h"
#include "storage/base/scope.h"

namespace berth::pod::oci {

bool IsNotExistError(const std::string& text) {
  return text.find("does not exist") != std::string::npos || text.find("not exist") != std::string::npos;
}

namespace {
bool IsNotRunningError(const std::string& text) {
  return text.find("not running") != std::string::npos || text.find("process already finished") != std::string::npos;
}
}  // namespace

Runtime::Runtime(std::string handler, std::string path, std::string root, config::RuntimeType type,
                 std::vector<std::string> args)
    : handler_(std::move(handler)),
      path_(std::move(path)),
      root_(std::move(root)),
      type_(type),
      args_(std::move(args)) {}

Runtime Runtime::ForHandler(const config::Config& cfg, const std::string& name) {
  auto it = cfg.runtime.handlers.find(name);
  if (it == cfg.runtime.handlers.end()) throw InvalidArgument("unknown runtime handler \"" + name + "\"");
  std::string root = it->second.root.empty() ? config::Layout(cfg).RuntimeRoot(name) : it->second.root;
  Runtime rt(name, it->second.path, root, it->second.type, it->second.args);
  rt.set_timeout(cfg.runtime.timeout);
  return rt;
}

namespace {
const std::vector<std::string> kEnv{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
}  // namespace

const std::vector<std::string>& Runtime::Env() { return kEnv; }

std::shared_ptr<const SealedBinary> Runtime::Binary() const {
  // A sandbox runtime (runsc) is left on disk: it does not copy itself, and is five times runc's size.
  if (type_ != config::RuntimeType::kProcess) return std::make_shared<SealedBinary>(UniqueFd(), path_);
  return SealedBinary::For(path_);
}

std::vector<std::string> Runtime::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{path_};
  if (!root_.empty()) argv.insert(argv.end(), {"--root", root_});  // empty: the runtime's default
  argv.insert(argv.end(), args_.begin(), args_.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Runtime::Output Runtime::Run(const std::vector<std::string>& args, std::string_view input) const {
  // The runtime's share of each operation, by command (kill, delete, ...).
  static auto& seconds = metrics::Registry::Global().Histogram(
      "berth_oci_runtime_call_seconds", "Time of each OCI runtime call berthd makes, by runtime handler and command.",
      {"handler", "command", "result"}, metrics::LatencyBuckets());
  metrics::CallTimer timer(seconds, {handler_, args.empty() ? "" : args.front()});
  const std::vector<std::string> argv = Argv(args);
  ProcessResult r = RunProcess(Binary()->exec_path(), argv, kEnv, input, timeout_);
  if (!r.timed_out && r.Status() == 0) timer.Ok();
  if (r.timed_out) {
    throw DeadlineExceeded(path_ + " " + args.front() + " did not finish within " +
                           std::to_string(timeout_.count() / 1000) + " s");
  }
  return {r.Status(), std::move(r.out), std::move(r.err)};
}

std::string Runtime::Describe(const std::vector<std::string>& args, const Output& o) const {
  // Every failed runtime call is described once, on its way to an error.
  static auto& failures = metrics::Registry::Global().Counter(
      "berth_oci_runtime_failures_total", "OCI runtime calls that failed, by runtime handler and command.",
      {"handler", "command"});
  failures.Inc({handler_, args.empty() ? "" : args.front()});
  std::string cmd = path_;
  for (const auto& a : args) cmd += " " + a;
  std::string err = o.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  return cmd + " (runtime handler " + handler_ + ") failed with exit code " + std::to_string(o.exit_code) + ": " +
         (err.empty() ? o.out : err);
}

void Runtime::Start(const std::string& id) const {
  std::vector<std::string> args{"start", id};
  Output o = Run(args);
  if (o.exit_code != 0) throw Internal(Describe(args, o));
}

bool Runtime::Kill(const std::string& id, const std::string& signal, bool all) const {
  std::vector<std::string> args{"kill"};
  if (all) args.push_back("--all");
  args.push_back(id);
  args.push_back(signal);
  Output o = Run(args);
  if (o.exit_code == 0) return true;
  if (IsNotExistError(o.err) || IsNotRunningError(o.err)) return false;
  throw Internal(Describe(args, o));
}

void Runtime::Delete(const std::string& id) const {
  std::vector<std::string> args{"delete", "--force", id};
  Output o = Run(args);
  if (o.exit_code == 0 || IsNotExistError(o.err)) return;
  // runsc can fail a delete whose work is done: when the sandbox already let
  // the sub-container go it says "container ... not found", after removing
  // its own record. What counts is whether the runtime still knows it.
  if (!State(id)) {
    spdlog::warn("{}; the runtime no longer knows the container, so it counts as deleted", Describe(args, o));
    return;
  }
  throw Internal(Describe(args, o));
}

std::optional<nlohmann::json> Runtime::State(const std::string& id) const {
  std::vector<std::string> args{"state", id};
  Output o = Run(args);
  if (o.exit_code != 0) {
    if (IsNotExistError(o.err)) return std::nullopt;
    throw Internal(Describe(args, o));
  }
  auto j = nlohmann::json::parse(o.out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Internal(path_ + " state " + id + ": output is not a JSON object: " + o.out);
  return j;
}

std::vector<nlohmann::json> Runtime::List() const {
  std::vector<std::string> args{"list", "--format", "json"};
  Output o = Run(args);
  if (o.exit_code != 0) throw Internal(Describe(args, o));
  auto j = nlohmann::json::parse(o.out, nullptr, false);
  std::vector<nlohmann::json> out;
  if (j.is_array()) {
    for (auto& c : j) out.push_back(std::move(c));
  }
  return out;
}

std::optional<nlohmann::json> Runtime::EventStats(const std::string& id) const {
  std::vector<std::string> args{"events", "--stats", id};
  Output o = Run(args);
  if (o.exit_code != 0) {
    if (IsNotExistError(o.err) || IsNotExistError(o.out)) return std::nullopt;
    throw Internal(Describe(args, o));
  }
  auto j = nlohmann::json::parse(o.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_object()) {
    throw Internal(path_ + " events --stats " + id + ": output is not a stats event: " + o.out.substr(0, 256));
  }
  return j["data"];
}

void Runtime::Update(const std::string& id, const nlohmann::json& resources) const {
  if (sandboxed()) {
    throw Unimplemented("runtime handler " + handler_ + " (type sandbox) cannot change a running container's "
                        "resources: " + path_ + " has no update command");
  }
  std::vector<std::string> args{"update", "--resources", "-", id};
  Output o = Run(args, resources.dump());
  if (o.exit_code == 0) return;
  if (IsNotExistError(o.err)) throw NotFound("container " + id + " is unknown to " + path_);
  throw Internal(Describe(args, o));
}

Runtime::ExecResult Runtime::Exec(const std::string& id, const std::vector<std::string>& cmd,
                                        std::chrono::milliseconds timeout, const std::string& pid_file,
                                        const std::string& process_file) const {
  // A sandbox runtime's pid file names its own exec process on the host;
  // the command runs inside the sandbox, known by its pid there.
  const std::string internal_pid_file = pid_file + ".internal";
  ScopeExit remove_internal([&] {
    if (sandboxed()) ::unlink(internal_pid_file.c_str());
  });
  std::vector<std::string> args{"exec", "--pid-file", pid_file};
  if (sandboxed()) args.insert(args.end(), {"--internal-pid-file", internal_pid_file});
  if (!process_file.empty()) args.insert(args.end(), {"--process", process_file});
  args.push_back(id);
  if (process_file.empty()) args.insert(args.end(), cmd.begin(), cmd.end());
  const std::vector<std::string> argv = Argv(args);
  // runc exec waits for its process; killing runc would orphan it, so at
  // the deadline the process itself is killed and runc reaps it.
  auto kill_process = [&] {
    try {
      if (sandboxed()) {
        const std::string pid = std::to_string(std::stoi(storage::ReadFile(internal_pid_file)));
        Run({"kill", "--pid", pid, id, "KILL"});
        return;
      }
      const pid_t pid = std::stoi(storage::ReadFile(pid_file));
      if (pid > 0) ::kill(pid, SIGKILL);
    } catch (const std::exception&) {
      // not started yet: the group kill after the grace ends runc and its child
    }
  };
  const auto limit = timeout.count() > 0 ? timeout : std::chrono::milliseconds(std::chrono::hours(24 * 365));
  ProcessResult r = RunProcess(Binary()->exec_path(), argv, kEnv, "", limit, kill_process);
  return {r.Status(), r.timed_out, std::move(r.out), std::move(r.err)};
}

}  // namespace berth::pod::oci
