#include "tests/support/registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace berth::testing {
namespace {

constexpr const char* kRegistryBin = "/usr/bin/docker-registry";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A loopback port nobody listens on right now.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind to 127.0.0.1:0 failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool PortAnswers(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// Starts argv with stdout and stderr to `log`; returns the pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

std::string SourceDir() { return BERTH_SOURCE_DIR; }

}  // namespace

std::string RunOrThrow(const std::vector<std::string>& argv) {
  TempDir tmp;
  std::string log = tmp / "out";
  pid_t pid = Spawn(argv, log);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string out = ReadAll(log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("command failed: " + cmd + "\n" + out);
  }
  return out;
}

const std::string& TestRegistry::TestImagesDir() {
  // Built once per build dir (every ctest case is its own process): into a
  // private dir, then renamed into place, so parallel tests never see half of it.
  static const std::string path = [] {
    std::string dir = std::string(BERTH_BINARY_DIR) + "/test-images";
    if (::access((dir + "/index.json").c_str(), F_OK) == 0) return dir;
    std::string staged = dir + ".staging." + std::to_string(::getpid());
    RunOrThrow({"/bin/bash", SourceDir() + "/hack/build-test-images.sh", staged});
    if (::rename(staged.c_str(), dir.c_str()) != 0) {
      std::filesystem::remove_all(staged);  // another test process got there first
      if (::access((dir + "/index.json").c_str(), F_OK) != 0) throw std::runtime_error("cannot create " + dir);
    }
    return dir;
  }();
  return path;
}

std::string TestRegistry::TestImageDigest(const std::string& tag) {
  auto index = nlohmann::json::parse(ReadAll(TestImagesDir() + "/index.json"));
  for (const auto& m : index["manifests"]) {
    if (m["annotations"]["org.opencontainers.image.ref.name"] == tag) return m["digest"];
  }
  throw std::runtime_error("no test image tagged " + tag);
}

TestRegistry::TestRegistry(Options opts) : opts_(std::move(opts)) {
  port_ = FreePort();
  std::string config = "version: 0.1\n"
                       "log: {level: warn, accesslog: {disabled: " + std::string(opts_.access_log ? "false" : "true") +
                       "}}\n"
                       "storage: {filesystem: {rootdirectory: " + (dir_ / "data") + "}, delete: {enabled: true}}\n"
                       "http:\n  addr: " + host() + "\n";
  if (opts_.tls) {
    MakeCertificates();
    config += "  tls: {certificate: " + (dir_ / "server.pem") + ", key: " + (dir_ / "server.key") + "}\n";
  }
  if (!opts_.username.empty()) {
    MakeHtpasswd();
    config += "auth: {htpasswd: {realm: berth-test, path: " + (dir_ / "htpasswd") + "}}\n";
  }
  dir_.Write("config.yml", config);
  pid_ = Spawn({kRegistryBin, "serve", dir_ / "config.yml"}, dir_ / "registry.log");
  WaitReady();
}

TestRegistry::~TestRegistry() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 60) ::kill(pid_, SIGKILL);
    }
    ::waitpid(pid_, &status, WNOHANG);
  }
}

std::string TestRegistry::log() const { return ReadAll(dir_ / "registry.log"); }

void TestRegistry::WaitReady() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PortAnswers(port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("docker-registry exited at start:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("docker-registry did not listen on " + host() + " within 15 s:\n" + log());
}

void TestRegistry::MakeCertificates() const {
  const std::string ossl = "/usr/bin/openssl";
  // EC keys: RSA key generation takes seconds on a loaded machine.
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
  std::vector<std::string> ca = {ossl, "req", "-x509", "-days", "2", "-subj", "/CN=berth test CA"};
  ca.insert(ca.end(), ec.begin(), ec.end());
  ca.insert(ca.end(), {"-keyout", dir_ / "ca.key", "-out", dir_ / "ca.pem"});
  RunOrThrow(ca);
  std::vector<std::string> csr = {ossl, "req", "-subj", "/CN=127.0.0.1"};
  csr.insert(csr.end(), ec.begin(), ec.end());
  csr.insert(csr.end(), {"-keyout", dir_ / "server.key", "-out", dir_ / "server.csr"});
  RunOrThrow(csr);
  dir_.Write("ext.cnf", "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  RunOrThrow({ossl, "x509", "-req", "-in", dir_ / "server.csr", "-CA", dir_ / "ca.pem", "-CAkey", dir_ / "ca.key",
              "-CAcreateserial", "-days", "2", "-extfile", dir_ / "ext.cnf", "-out", dir_ / "server.pem"});
}

void TestRegistry::MakeHtpasswd() const {
  // bcrypt, the only hash docker-registry's htpasswd accepts, from glibc's crypt via python3;
  // cost 4 (the minimum), as the registry checks it on every request.
  std::string line = RunOrThrow(
      {"/usr/bin/python3", "-W", "ignore", "-c",
       "import crypt, sys; salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16); "
       "print(sys.argv[1] + ':' + crypt.crypt(sys.argv[2], salt))",
       opts_.username, opts_.password});
  dir_.Write("htpasswd", line);
}

void TestRegistry::PushLayout(const std::string& layout_dir, const std::string& repo) const {
  std::vector<std::string> argv{"/bin/bash", SourceDir() + "/hack/push-test-images.sh", layout_dir, url(), repo};
  if (opts_.tls) {
    argv.push_back("--cacert");
    argv.push_back(ca_file());
  }
  if (!opts_.username.empty()) {
    argv.push_back("-u");
    argv.push_back(opts_.username + ":" + opts_.password);
  }
  RunOrThrow(argv);
}

}  // namespace berth::testing
