#include "server/daemon.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "config/build_info.h"
#include "config/layout.h"
#include "image/images.h"
#include "network/cni.h"
#include "pod/oci/monitor_reaper.h"
#include "pod/pods.h"
#include "server/image_service.h"
#include "server/metrics_http.h"
#include "server/streaming/server.h"
#include "server/runtime_service.h"
#include "storage/file_lock.h"

namespace berth::server {
namespace fs = std::filesystem;

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(10);
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;  // ListContainers on a busy node exceeds gRPC's 4 MiB

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

void MakeDir(const std::string& path, fs::perms perms) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    fs::create_directories(path);
    fs::permissions(path, perms);
  }
}

// Takes the lock that makes this berthd the only one using `what`; fails
// with a message naming the holder.
std::optional<storage::FileLock> Lock(const std::string& lock_path, const std::string& what) {
  pid_t holder = 0;
  auto lock = storage::FileLock::TryAcquire(lock_path, &holder);
  if (!lock) {
    spdlog::critical("another berthd{} is already using {} (lock {} is held); not starting",
                     holder > 0 ? " (pid " + std::to_string(holder) + ")" : "", what, lock_path);
  }
  return lock;
}

// A socket file left by a berthd that died: we hold the lock, so nobody serves it.
bool RemoveStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return true;
  if (!S_ISSOCK(st.st_mode)) {
    spdlog::critical("{} exists and is not a socket; refusing to replace it", path);
    return false;
  }
  spdlog::info("removing stale socket {}", path);
  return ::unlink(path.c_str()) == 0 || errno == ENOENT;
}

std::unique_ptr<grpc::Server> StartServer(const std::string& listen, const std::string& socket_path,
                                          std::vector<grpc::Service*> services) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  for (auto* s : services) builder.RegisterService(s);
  // The socket is created inside BuildAndStart: a umask keeps it 0660 from
  // the first moment (no window where others could connect).
  mode_t old = ::umask(0117);
  auto server = builder.BuildAndStart();
  ::umask(old);
  if (server && ::chmod(socket_path.c_str(), 0660) != 0) spdlog::warn("chmod 0660 {}: {}", socket_path, std::strerror(errno));
  return server;
}

void WaitForShutdownSignal() {
  sigset_t set = ShutdownSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  spdlog::info("received {}, shutting down", strsignal(sig));
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write must not kill berthd
}

int Serve(const config::Config& cfg) {
  const std::string socket_path = cfg.listen.substr(std::string("unix://").size());
  try {
    MakeDir(cfg.root, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    MakeDir(cfg.run_root, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    MakeDir(fs::path(socket_path).parent_path(), fs::perms::owner_all | fs::perms::group_read |
                                                    fs::perms::group_exec | fs::perms::others_read |
                                                    fs::perms::others_exec);
  } catch (const std::exception& e) {
    spdlog::critical("cannot create state dirs: {}", e.what());
    return 1;
  }

  const config::Layout layout(cfg);
  std::optional<storage::FileLock> socket_lock, root_lock;
  try {
    socket_lock = Lock(socket_path + ".lock", cfg.listen);
    if (!socket_lock) return 1;
    root_lock = Lock(layout.RootLock(), "root " + cfg.root);
    if (!root_lock) return 1;
  } catch (const std::exception& e) {
    spdlog::critical("cannot lock: {}", e.what());
    return 1;
  }
  if (!RemoveStaleSocket(socket_path)) return 1;

  pod::oci::StartMonitorReaper();  // before any monitor is started, so each re-parents to berthd
  network::Cni cni(cfg.cni.conf_dir, cfg.cni.bin_dirs, layout.CniCache());
  cni.set_plugin_timeout(cfg.cni.plugin_timeout);
  std::optional<image::Images> images;
  try {
    images.emplace(cfg);
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the image store under {}: {}", cfg.root, e.what());
    return 1;
  }
  pod::PauseImageFn pause_image;
  if (!cfg.pause.image.empty()) pause_image = [&] { return images->ForPause(cfg.pause.image); };
  pod::Pods pods(cfg, cni, pause_image, [&](const runtime::v1::ImageSpec& spec) { return images->ForContainer(spec); });
  try {
    pods.Recover();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  std::optional<streaming::StreamingServer> streaming_server;
  try {
    streaming_server.emplace(cfg, pods);
    spdlog::info("streaming (exec, attach, port-forward) on http://{}", streaming_server->address());
  } catch (const std::exception& e) {
    spdlog::critical("cannot serve streaming: {}", e.what());
    return 1;
  }
  RuntimeService runtime(cfg, pods, cni, *streaming_server);
  ImageService image_service(*images, pods.containers);
  std::optional<MetricsServer> metrics_server;
  if (!cfg.metrics.address.empty()) {
    try {
      RegisterProcessMetrics();
      RegisterPodMetrics(pods);
      metrics_server.emplace(cfg.metrics.address);
      spdlog::info("metrics on http://{}/metrics", metrics_server->address());
    } catch (const std::exception& e) {
      spdlog::critical("cannot serve metrics: {}", e.what());
      return 1;
    }
  }
  auto server = StartServer(cfg.listen, socket_path, {&runtime, &image_service});
  if (!server) {
    spdlog::critical("cannot listen on {}", cfg.listen);
    return 1;
  }
  spdlog::info("berthd {} serving the CRI on {} (root {}, run root {}, default runtime {})", kVersion, cfg.listen,
               cfg.root, cfg.run_root, cfg.runtime.default_handler);

  WaitForShutdownSignal();
  pods.events.CloseAll();  // event streams end now rather than at the grace deadline
  server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  server->Wait();
  metrics_server.reset();
  streaming_server.reset();  // open sessions end; their exec'd processes are killed
  UnregisterPodMetrics();
  pods.Shutdown();
  ::unlink(socket_path.c_str());
  spdlog::info("berthd stopped");
  return 0;
}

}  // namespace berth::server
