#include "server/streaming/remote_command.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "pod/pods.h"
#include "storage/base/error.h"
#include "storage/base/unique_fd.h"

namespace berth::server::streaming {
namespace {

// How long output may trail the process's exit (a child it left behind may
// hold the pipe open): past it, what is buffered is sent and the rest dropped.
constexpr std::chrono::milliseconds kOutputGrace{1000};

// A one-shot wake-up for threads blocked in poll.
class StopSignal {
 public:
  StopSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!fd_) throw SysError("eventfd for a stream");
  }
  void Fire() const {
    const uint64_t one = 1;
    (void)!::write(fd_.get(), &one, sizeof one);
  }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

// Writes all of `data` to `fd` (which may be non-blocking); false when the
// reader is gone.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
    } else if (n < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

// Copies `fd` to `write` until the end of it (EOF; EIO on a pty whose other
// side closed), a failed write, or `stop` (then what is buffered is sent).
void PumpOutput(int fd, const std::function<bool(std::string_view)>& write, const StopSignal& stop) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  char buf[32 * 1024];
  bool stopping = false;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (!write(std::string_view(buf, static_cast<size_t>(n)))) return;
      continue;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
    if (n < 0 && errno == EINTR) continue;
    if (stopping) return;  // drained what was there
    pollfd p[2] = {{fd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
    if (p[1].revents & POLLIN) stopping = true;
  }
}

// Threads that end with the session, joined in any case.
class Threads {
 public:
  ~Threads() { Join(); }
  // A pump that fails (the monitor went away, a write broke) just ends.
  void Run(std::function<void()> f) {
    threads_.emplace_back([f = std::move(f)] {
      try {
        f();
      } catch (const std::exception& e) {
        spdlog::debug("stream pump ended: {}", e.what());
      }
    });
  }
  void Join() {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  std::vector<std::thread> threads_;
};

void PumpResizes(Channels& ch, const std::function<void(uint16_t, uint16_t)>& resize) {
  uint16_t rows = 0, cols = 0;
  while (ch.ReadResize(rows, cols)) resize(rows, cols);
}

}  // namespace

void RunExec(Channels& ch, pod::oci::ExecProcess& process, const std::string& command) {
  StopSignal stop_output;
  std::mutex outputs_mu;
  std::condition_variable outputs_done;
  int outputs_open = 0;
  Threads output;
  auto pump = [&](int fd, bool (Channels::*write)(std::string_view)) {
    if (fd < 0) return;
    {
      std::lock_guard lock(outputs_mu);
      ++outputs_open;
    }
    output.Run([&, fd, write] {
      PumpOutput(fd, [&](std::string_view d) { return (ch.*write)(d); }, stop_output);
      std::lock_guard lock(outputs_mu);
      if (--outputs_open == 0) outputs_done.notify_all();
    });
  };
  pump(process.output_fd(), &Channels::WriteStdout);
  pump(process.error_fd(), &Channels::WriteStderr);

  std::mutex mu;
  bool exited = false;
  Threads input;
  if (ch.has_stdin() && process.input_fd() >= 0) {
    input.Run([&] {
      std::string data;
      while (ch.ReadStdin(data)) {
        if (!WriteAll(process.input_fd(), data)) break;
      }
      std::lock_guard lock(mu);
      if (!exited && !ch.gone()) process.CloseInput();
    });
  }
  if (ch.has_resize() && process.tty()) input.Run([&] { PumpResizes(ch, [&](uint16_t r, uint16_t c) { process.Resize(r, c); }); });
  // A client that leaves takes its process along.
  input.Run([&] {
    ch.WaitGone();
    std::lock_guard lock(mu);
    if (!exited && ch.gone()) process.Kill();
  });

  const int status = process.Wait();
  {
    std::lock_guard lock(mu);
    exited = true;
  }
  {
    std::unique_lock lock(outputs_mu);
    outputs_done.wait_for(lock, kOutputGrace, [&] { return outputs_open == 0; });
  }
  stop_output.Fire();
  output.Join();
  ch.Finish({.exit_code = status, .error = {}, .command = command});
  input.Join();
}

void RunAttach(Channels& ch, pod::oci::AttachClient& attach, bool tty, bool stdin_once) {
  Threads input;
  if (ch.has_stdin()) {
    input.Run([&] {
      std::string data;
      while (ch.ReadStdin(data)) attach.WriteStdin(data);
      // CRI stdin_once: the container's stdin ends with its first attach (a
      // terminal cannot be half-closed: it gets the EOF character).
      if (stdin_once) tty ? attach.WriteStdin("\x04") : attach.CloseStdin();
    });
  }
  if (ch.has_resize()) input.Run([&] { PumpResizes(ch, [&](uint16_t r, uint16_t c) { attach.Resize(r, c); }); });
  // A client that leaves detaches: the container runs on.
  input.Run([&] {
    ch.WaitGone();
    attach.Shutdown();
  });
  try {
    int stream = 0;
    std::string data;
    while (attach.Read(stream, data)) {
      const bool ok = stream == 2 ? ch.WriteStderr(data) : ch.WriteStdout(data);
      if (!ok) break;
    }
  } catch (const std::exception& e) {
    spdlog::debug("attach: the monitor's socket failed: {}", e.what());
  }
  ch.Finish({.exit_code = 0, .error = {}, .command = {}});
  input.Join();
}

namespace {

// "[sh -c exit 7]", as Kubernetes prints a command.
std::string CommandText(const std::vector<std::string>& cmd) {
  std::string out = "[";
  for (const auto& a : cmd) out += (out.size() > 1 ? " " : "") + a;
  return out.substr(0, 200) + "]";
}

}  // namespace

void ServeRemoteCommand(Channels& ch, const StreamRequest& r, pod::Pods& pods) {
  if (r.kind == StreamRequest::Kind::kExec) {
    std::optional<pod::oci::ExecProcess> process;
    try {
      process.emplace(pods.containers.StartExec(r.id, r.cmd, r.tty, r.in));
    } catch (const std::exception& e) {
      spdlog::info("exec in container {}: {}", r.id, e.what());
      ch.Finish({.exit_code = std::nullopt, .error = e.what(), .command = CommandText(r.cmd)});
      return;
    }
    RunExec(ch, *process, CommandText(r.cmd));
    return;
  }
  std::optional<pod::oci::AttachClient> attach;
  try {
    attach.emplace(pod::oci::AttachClient::Connect(r.attach_socket));
  } catch (const std::exception& e) {
    spdlog::info("attach to container {}: {}", r.id, e.what());
    ch.Finish({.exit_code = std::nullopt, .error = e.what(), .command = {}});
    return;
  }
  RunAttach(ch, *attach, r.tty, r.stdin_once);
}

}  // namespace berth::server::streaming
