#pragma once
// Starts a real berthd on a private socket, root and run dir, hands out gRPC
// stubs for it, and stops it. Every integration test builds on this.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "config/layout.h"
#include "cri/cri_grpc.h"
#include "tests/support/temp_dir.h"

namespace berth::testing {

// What a berthd run that was expected to exit by itself did.
struct ExitResult {
  int exit_code = -1;  // -1: killed by a signal or did not exit in time
  std::string output;  // stdout and stderr
};

class Berthd {
 public:
  struct Options {
    std::string config_yaml;              // written to <dir>/berth.yaml and passed with --config
    std::vector<std::string> extra_args;  // appended after the defaults (later flags win)
    std::string cni_conflist;             // when set, written to <dir>/cni/10-test.conflist
    bool start = true;                    // false: only prepare dirs and args
  };

  Berthd() : Berthd(Options{}) {}
  explicit Berthd(Options opts);
  ~Berthd();
  Berthd(const Berthd&) = delete;
  Berthd& operator=(const Berthd&) = delete;

  // Starts berthd and waits until its socket answers; throws with berthd's log on failure.
  void Start();
  // Sends `sig`, waits for exit and returns the exit code (-1 if killed by a signal).
  int Stop(int sig = 15);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::string socket_path() const { return dir_ / "berth.sock"; }
  std::string endpoint() const { return "unix://" + socket_path(); }
  const TempDir& dir() const { return dir_; }
  // Where this berthd keeps what (its root and run root under dir()).
  config::Layout layout() const { return {dir() / "root", dir() / "run"}; }
  std::string log() const;
  // The berthd command line this harness uses (without the binary).
  std::vector<std::string> args() const;

  runtime::v1::RuntimeService::Stub& runtime() { return *runtime_; }
  // Removes every pod (and so its containers): what a failed test left.
  void RemoveAllPods();
  runtime::v1::ImageService::Stub& images() { return *images_; }

  // Runs berthd with `args` to completion (up to 10 s), capturing its output.
  static ExitResult Run(const std::vector<std::string>& args);

 private:
  Options opts_;
  TempDir dir_;
  pid_t pid_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
};

// A gRPC client context with a deadline, so a hung berthd fails a test instead of hanging it.
std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 10);

}  // namespace berth::testing
