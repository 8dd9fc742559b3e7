#pragma once
// A command run in a container for the streaming server (CRI Exec): unlike
// ExecSync its stdio stays open to a client while it runs.
//
// Without a tty the runtime runs it attached: `exec` waits for it and hands
// it our pipes as its stdio, so its exit status is the runtime's. With a
// tty the runtime must detach (`exec -d --console-socket`: runc allows a
// console socket only then) and sends the pty master over the socket; the
// process then re-parents to berthd, the subreaper, which waits for it.

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "pod/oci/runtime.h"
#include "storage/base/process.h"
#include "storage/base/unique_fd.h"

namespace berth::pod::oci {

struct ExecOptions {
  nlohmann::json process;  // the OCI process to run: args, terminal, user, env, cwd, ...
  bool stdin = false;      // keep a stdin open to write to
  std::string work_dir;    // where the pid, process and console-socket files go (the container's run dir)
};

class ExecProcess {
 public:
  // Starts the process. Throws berth::Error when the runtime cannot (its
  // message in ours), e.g. FAILED_PRECONDITION for a container that stopped.
  static ExecProcess Start(const Runtime& rt, const std::string& container_id, const ExecOptions& o);

  ExecProcess(ExecProcess&& o) noexcept;  // `o` is left owning nothing
  ExecProcess& operator=(ExecProcess&&) = delete;
  ExecProcess(const ExecProcess&) = delete;
  ~ExecProcess();  // kills and reaps what still runs

  bool tty() const { return static_cast<bool>(master_); }
  // Where its stdin goes: -1 without stdin; with a tty, the pty master.
  int input_fd() const { return tty() ? master_.get() : stdin_.get(); }
  // Its output: stdout (with a tty, a dup of the master).
  int output_fd() const { return tty() ? master_out_.get() : stdout_.get(); }
  // Its stderr; -1 with a tty, where both go to the terminal.
  int error_fd() const { return stderr_.get(); }
  // End of input: the pipe closed; on a tty, the EOF character.
  void CloseInput();
  // The terminal's size (no-op without a tty).
  void Resize(uint16_t rows, uint16_t cols) const;
  // Blocks until the process has exited; its status in the shell's
  // convention (128+N when killed by signal N). Once only.
  int Wait();
  // SIGKILL to the process (and, without a tty, the runtime's group). Safe
  // from another thread while Wait blocks.
  void Kill() const;

 private:
  ExecProcess() = default;
  static ExecProcess StartAttached(const Runtime& rt, const std::vector<std::string>& argv, bool with_stdin,
                                   std::string pid_file);
  static ExecProcess StartWithTty(const Runtime& rt, const std::vector<std::string>& argv, std::string pid_file);
  pid_t ProcessPid() const;

  Child runtime_;      // without a tty: the runtime's exec, waiting for the process
  pid_t runtime_pid_ = -1;
  pid_t adopted_ = -1;  // with a tty: the process itself, berthd's child after the runtime left
  std::string pid_file_, process_file_;  // removed with the process
  UniqueFd stdin_, stdout_, stderr_;
  UniqueFd master_, master_out_;
  bool waited_ = false;
};

}  // namespace berth::pod::oci
