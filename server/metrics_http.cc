#include "server/metrics_http.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sstream>
#include <thread>

#include "server/listen_address.h"
#include "storage/base/error.h"
#include "storage/base/metrics.h"
#include "storage/fs.h"

namespace berth::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr int kIoTimeoutSeconds = 5;

tcp::endpoint ParseAddress(const std::string& address) {
  const ListenAddress a = ParseListenAddress(address, "metrics.address");
  return {asio::ip::make_address(a.ip), a.port};
}

http::response<http::string_body> Answer(const http::request<http::string_body>& req) {
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(false);
  res.set(http::field::server, "berthd");
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  if (path != "/metrics") {
    res.result(http::status::not_found);
    res.set(http::field::content_type, "text/plain");
    res.body() = "not found: berthd serves /metrics\n";
  } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
  } else {
    res.result(http::status::ok);
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    if (req.method() == http::verb::get) res.body() = metrics::Registry::Global().Text();
  }
  res.prepare_payload();
  return res;
}

// One connection, one request: scrapers open a connection per scrape.
void Serve(tcp::socket& socket) {
  SetSocketTimeouts(socket.native_handle(), kIoTimeoutSeconds);
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  beast::error_code ec;
  http::read(socket, buffer, req, ec);
  if (ec) return;  // gone, timed out, or not HTTP
  http::write(socket, Answer(req), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

struct MetricsServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) spdlog::warn("metrics endpoint: accept: {}", ec.message());
        if (!acceptor.is_open()) return;
      } else {
        Serve(socket);
      }
      Accept();
    });
  }
};

MetricsServer::MetricsServer(const std::string& address) : impl_(std::make_unique<Impl>()) {
  const tcp::endpoint ep = ParseAddress(address);
  boost::system::error_code ec;
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw Internal("metrics endpoint: listen on " + address + ": " + ec.message());
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

MetricsServer::~MetricsServer() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string MetricsServer::address() const {
  const auto ep = impl_->acceptor.local_endpoint();
  return JoinHostPort(ep.address().to_string(), ep.port());
}

void RegisterPodMetrics(pod::Pods& pods) {
  auto& r = metrics::Registry::Global();
  r.Gauge("berth_pods", "Pod sandboxes, by state.", {"state"}, [&pods] {
    double ready = 0, not_ready = 0;
    for (const auto& sb : pods.sandboxes.Records()) (sb.state == pod::SandboxState::kReady ? ready : not_ready) += 1;
    return std::vector<metrics::GaugeSample>{{{"ready"}, ready}, {{"notready"}, not_ready}};
  });
  r.Gauge("berth_containers", "Containers, by state.", {"state"}, [&pods] {
    double n[3] = {0, 0, 0};
    for (const auto& c : pods.containers.Records()) n[static_cast<int>(c.state)] += 1;
    return std::vector<metrics::GaugeSample>{{{"created"}, n[0]}, {{"running"}, n[1]}, {{"exited"}, n[2]}};
  });
}

void UnregisterPodMetrics() {
  metrics::Registry::Global().RemoveGauge("berth_pods");
  metrics::Registry::Global().RemoveGauge("berth_containers");
}

void RegisterProcessMetrics() {
  auto& r = metrics::Registry::Global();
  r.Gauge("berth_process_cpu_seconds_total", "CPU time berthd has used (user and system), in seconds.", {},
          [] {
            // /proc/self/stat: utime and stime are fields 14 and 15, in clock ticks.
            const std::string stat = storage::ReadFile("/proc/self/stat");
            std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // from field 3, after "pid (comm) "
            std::string skip;
            for (int i = 3; i < 14; ++i) rest >> skip;
            double utime = 0, stime = 0;
            rest >> utime >> stime;
            return std::vector<metrics::GaugeSample>{{{}, (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK))}};
          },
          /*counter=*/true);
  r.Gauge("berth_process_resident_memory_bytes", "berthd's resident memory, in bytes.", {}, [] {
    std::istringstream in(storage::ReadFile("/proc/self/statm"));
    double size = 0, resident = 0;
    in >> size >> resident;
    return std::vector<metrics::GaugeSample>{{{}, resident * static_cast<double>(::sysconf(_SC_PAGESIZE))}};
  });
}

}  // namespace berth::server
