#pragma once
// The OCI runtime CLI (runc and compatibles) for one runtime handler:
// start, kill, delete, state, list, update and exec. `create` is run by
// berth-conmon (pod/oci/monitor.h), which must be the container's parent.

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "config/config.h"
#include "pod/oci/sealed_binary.h"

namespace berth::pod::oci {

class Runtime {
 public:
  Runtime(std::string handler, std::string path, std::string root,
          config::RuntimeType type = config::RuntimeType::kProcess, std::vector<std::string> args = {});
  // The handler `name` from the config; its --root defaults to config::Layout::RuntimeRoot.
  static Runtime ForHandler(const config::Config& cfg, const std::string& name);

  const std::string& handler() const { return handler_; }
  const std::string& path() const { return path_; }
  const std::string& root() const { return root_; }
  config::RuntimeType type() const { return type_; }
  // Longest one runtime call may take (DEADLINE_EXCEEDED past it).
  std::chrono::milliseconds timeout() const { return timeout_; }
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  // Global flags before every subcommand.
  const std::vector<std::string>& args() const { return args_; }
  // The pod's containers run inside the pause's sandbox (config::RuntimeType::kSandbox).
  bool sandboxed() const { return type_ == config::RuntimeType::kSandbox; }

  void Start(const std::string& id) const;
  // Sends `signal` (a name like "TERM" or a number) to the container's init,
  // or with `all` to every process of it. Returns false when the container
  // does not exist or is not running (nothing to signal).
  bool Kill(const std::string& id, const std::string& signal, bool all = false) const;
  // delete --force; fine when the container does not exist.
  void Delete(const std::string& id) const;
  // The runtime's state JSON, or nullopt when it does not know the container.
  std::optional<nlohmann::json> State(const std::string& id) const;
  // Every container the runtime knows under its root (runc list).
  std::vector<nlohmann::json> List() const;
  // Applies OCI linux.resources to a live container (runc update -r -).
  void Update(const std::string& id, const nlohmann::json& resources) const;

  // `events --stats`: the runtime's own usage figures for a container (its
  // "data" object: cpu, memory, pids), for runtimes whose cgroups cannot
  // tell one container from another. nullopt when it does not know the id.
  std::optional<nlohmann::json> EventStats(const std::string& id) const;

  struct ExecResult {
    int exit_code = 0;
    bool timed_out = false;
    std::string out, err;
  };
  // Runs `cmd` in the container (its spec's user, env, cwd) and waits for
  // it; past `timeout` (0: none) the process is killed and timed_out set.
  // Throws when the runtime cannot run it at all (e.g. no such container).
  // With `process_file` (an OCI process JSON) the command is the file's, not `cmd`.
  // What to execve (hold it until the child has started): a runc-like
  // runtime's sealed copy (sealed_binary.h), else its path. Argv()[0] stays the path.
  std::shared_ptr<const SealedBinary> Binary() const;
  // The full command line for `args`: the binary, global flags, then args.
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;
  // The environment the runtime runs with.
  static const std::vector<std::string>& Env();

  ExecResult Exec(const std::string& id, const std::vector<std::string>& cmd, std::chrono::milliseconds timeout,
                  const std::string& pid_file, const std::string& process_file = "") const;

 private:
  struct Output {
    int exit_code;
    std::string out, err;
  };
  // Runs the runtime with `args` after the global flags; throws
  // DEADLINE_EXCEEDED on timeout.
  Output Run(const std::vector<std::string>& args, std::string_view input = {}) const;
  std::string Describe(const std::vector<std::string>& args, const Output& o) const;

  std::string handler_, path_, root_;
  config::RuntimeType type_;
  std::vector<std::string> args_;
  std::chrono::milliseconds timeout_{std::chrono::seconds(30)};
};

// True when the runtime's error text says the container does not exist.
bool IsNotExistError(const std::string& stderr_text);

}  // namespace berth::pod::oci
