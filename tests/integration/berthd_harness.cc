#include "tests/integration/berthd_harness.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace berth::testing {
namespace {

using Clock = std::chrono::steady_clock;

// fork+exec of berthd with stdout/stderr sent to `log_path`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<char*> argv;
  std::string bin = BERTHD_BIN;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + log_path);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

// Waits up to `timeout` for pid to exit; returns its exit code, -1 for a signal, nullopt on timeout.
std::optional<int> WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;
    if (Clock::now() > end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

Berthd::Berthd(Options opts) : opts_(std::move(opts)) {
  dir_.Write("berth.yaml", opts_.config_yaml);
  std::filesystem::create_directories(dir_.path() / "cni");
  if (!opts_.cni_conflist.empty()) dir_.Write("cni/10-test.conflist", opts_.cni_conflist);
  if (opts_.start) Start();
}

Berthd::~Berthd() {
  if (running()) Stop(SIGKILL);
}

std::vector<std::string> Berthd::args() const {
  std::vector<std::string> a{"serve",
                             "--config", dir_ / "berth.yaml",
                             "--config-dir", "",
                             "--root", dir_ / "root",
                             "--run-root", dir_ / "run",
                             "--listen", endpoint(),
                             "--cni-conf-dir", dir_ / "cni",
                             "--pause-binary", BERTH_PAUSE_BIN,
                             "--conmon", BERTH_CONMON_BIN,
                             "--log-level", "debug"};
  a.insert(a.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  return a;
}

std::string Berthd::log() const { return Slurp(dir_ / "berthd.log"); }

void Berthd::Start() {
  pid_ = Spawn(args(), dir_ / "berthd.log");
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    if (auto code = WaitExit(pid_, std::chrono::milliseconds(0))) {
      pid_ = -1;
      throw std::runtime_error("berthd exited with " + std::to_string(*code) + " during start:\n" + log());
    }
    if (std::filesystem::exists(socket_path())) {
      channel_ = grpc::CreateChannel(endpoint(), grpc::InsecureChannelCredentials());
      if (channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
        runtime_ = runtime::v1::RuntimeService::NewStub(channel_);
        images_ = runtime::v1::ImageService::NewStub(channel_);
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop(SIGKILL);
  throw std::runtime_error("berthd did not come up on " + endpoint() + ":\n" + log());
}

int Berthd::Stop(int sig) {
  if (!running()) return -1;
  // Close our connection first: an idle C++ client channel does not answer
  // the server's GOAWAY, which would hold berthd's shutdown to its grace period.
  runtime_.reset();
  images_.reset();
  channel_.reset();
  ::kill(pid_, sig);
  auto code = WaitExit(pid_, std::chrono::seconds(20));
  if (!code) {
    ::kill(pid_, SIGKILL);
    code = WaitExit(pid_, std::chrono::seconds(5));
  }
  pid_ = -1;
  return code.value_or(-1);
}

ExitResult Berthd::Run(const std::vector<std::string>& args) {
  TempDir tmp;
  pid_t pid = Spawn(args, tmp / "out.log");
  auto code = WaitExit(pid, std::chrono::seconds(10));
  if (!code) {
    ::kill(pid, SIGKILL);
    WaitExit(pid, std::chrono::seconds(5));
  }
  return {code.value_or(-1), Slurp(tmp / "out.log")};
}

void Berthd::RemoveAllPods() {
  runtime::v1::ListPodSandboxResponse list;
  runtime_->ListPodSandbox(Ctx().get(), {}, &list);
  for (const auto& p : list.items()) {
    runtime::v1::RemovePodSandboxRequest r;
    r.set_pod_sandbox_id(p.id());
    runtime::v1::RemovePodSandboxResponse resp;
    runtime_->RemovePodSandbox(Ctx(60).get(), r, &resp);
  }
}

}  // namespace berth::testing
