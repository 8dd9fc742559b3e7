#include "server/daemon.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <filesystem>
#include <optional>

#include "config/build_info.h"
#include "network/cni.h"
#include "pod/monitor_reaper.h"
#include "pod/sandbox_manager.h"
#include "image/images.h"
#include "server/file_lock.h"
#include "server/image_service.h"
#include "server/runtime_service.h"

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
std::optional<FileLock> Lock(const std::string& lock_path, const std::string& what) {
  pid_t holder = 0;
  auto lock = FileLock::TryAcquire(lock_path, &holder);
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

std::vector<std::string> LayerDirs(image::Images& images, const image::ImageRecord& rec) {
  std::vector<std::string> dirs;
  for (const auto& chain : rec.chain_ids) dirs.push_back(images.layers.DiffPath(storage::Digest::Parse(chain)));
  return dirs;
}

// Images as containers need them: the record and its layer dirs.
pod::ResolveImageFn ContainerImageResolver(image::Images& images) {
  return [&images](const std::string& ref) {
    pod::ContainerImage out;
    out.record = images.store.Resolve(ref);
    out.layer_dirs = LayerDirs(images, out.record);
    return out;
  };
}

// The configured pause image, pulled when the store lacks it (serialised, so
// a burst of first pods pulls once) and pinned, so RemoveImage cannot take
// the layers pods run from. Errors keep their code and name the config key.
pod::PauseImageFn PauseImageResolver(const std::string& ref, image::Images& images) {
  auto pull_mu = std::make_shared<std::mutex>();
  return [ref, &images, pull_mu] {
    try {
      auto rec = images.store.Find(ref);
      if (!rec) {
        std::lock_guard lock(*pull_mu);
        rec = images.store.Find(ref);
        if (!rec) {
          spdlog::info("pulling pause image {}", ref);
          images.puller.Pull(ref, {});
          rec = images.store.Resolve(ref);
        }
      }
      if (!rec->pinned) {
        rec->pinned = true;
        rec = images.store.Add(*rec);
      }
      return pod::PauseImage{ref, rec->id, LayerDirs(images, *rec), rec->config_json};
    } catch (const Error& e) {
      throw Error(e.code(), "pause image " + ref + " (config pause.image): " + e.what());
    }
  };
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

  std::optional<FileLock> socket_lock, root_lock;
  try {
    socket_lock = Lock(socket_path + ".lock", cfg.listen);
    if (!socket_lock) return 1;
    root_lock = Lock(cfg.root + "/berthd.lock", "root " + cfg.root);
    if (!root_lock) return 1;
  } catch (const std::exception& e) {
    spdlog::critical("cannot lock: {}", e.what());
    return 1;
  }
  if (!RemoveStaleSocket(socket_path)) return 1;

  pod::StartMonitorReaper();  // before any monitor is started, so each re-parents to berthd
  // CNI results are cached under <root> (not the run root): a DEL after a
  // reboot needs what ADD returned.
  network::Cni cni(cfg.cni.conf_dir, cfg.cni.bin_dirs, cfg.root + "/cni-cache");
  std::optional<image::Images> image_stores;
  try {
    image_stores.emplace(cfg);
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the image store under {}: {}", cfg.root, e.what());
    return 1;
  }
  pod::SandboxManager sandboxes(
      cfg, cni, cfg.pause.image.empty() ? pod::PauseImageFn{} : PauseImageResolver(cfg.pause.image, *image_stores));
  try {
    sandboxes.Recover();
  } catch (const std::exception& e) {
    spdlog::critical("cannot recover pod sandboxes: {}", e.what());
    return 1;
  }
  pod::ContainerManager containers(cfg, sandboxes, ContainerImageResolver(*image_stores));
  try {
    containers.Recover();
  } catch (const std::exception& e) {
    spdlog::critical("cannot recover containers: {}", e.what());
    return 1;
  }
  sandboxes.SetContainers(&containers);
  RuntimeService runtime(cfg, sandboxes, containers);
  ImageService images(cfg, *image_stores);
  images.set_in_use([&containers](const std::string& id) { return containers.ImageInUse(id); });
  auto server = StartServer(cfg.listen, socket_path, {&runtime, &images});
  if (!server) {
    spdlog::critical("cannot listen on {}", cfg.listen);
    return 1;
  }
  spdlog::info("berthd {} serving the CRI on {} (root {}, run root {}, default runtime {})", kVersion, cfg.listen,
               cfg.root, cfg.run_root, cfg.runtime.default_handler);

  WaitForShutdownSignal();
  server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  server->Wait();
  sandboxes.Shutdown();
  ::unlink(socket_path.c_str());
  spdlog::info("berthd stopped");
  return 0;
}

}  // namespace berth::server
