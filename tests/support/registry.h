#pragma once
// A real registry for tests: Debian's docker-registry (distribution 2.8) on
// 127.0.0.1 at a free port, storage in a temp dir, optionally with TLS (a CA
// and server certificate made with openssl here) and htpasswd basic auth. It
// is stopped by PID when the object goes. The test images come from
// hack/build-test-images.sh and are pushed with hack/push-test-images.sh.

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace berth::testing {

class TestRegistry {
 public:
  struct Options {
    bool tls = false;
    std::string username;  // with a password: htpasswd basic auth
    std::string password;
    bool access_log = false;  // one line per request in log(), for tests that count requests
  };

  explicit TestRegistry(Options opts);
  TestRegistry() : TestRegistry(Options{}) {}
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }  // "127.0.0.1:PORT"
  std::string url() const { return (opts_.tls ? "https://" : "http://") + host(); }
  std::string ca_file() const { return dir_ / "ca.pem"; }  // with tls
  // The registry's filesystem storage (docker/registry/v2/...), for tests that damage it.
  std::string storage_dir() const { return dir_ / "data"; }
  std::string log() const;

  // Pushes the test images (tags latest, amd64, docker, arm64) to `repo`.
  void PushTestImages(const std::string& repo) const { PushLayout(TestImagesDir(), repo); }
  // Pushes every tagged manifest of an OCI layout to `repo`.
  void PushLayout(const std::string& layout_dir, const std::string& repo) const;

  // The OCI layout hack/build-test-images.sh made (once per process).
  static const std::string& TestImagesDir();
  // The digest index.json gives tag `tag` in the test images.
  static std::string TestImageDigest(const std::string& tag);

 private:
  void MakeCertificates() const;
  void MakeHtpasswd() const;
  void WaitReady();

  Options opts_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Runs argv to completion; throws with its output if it fails.
std::string RunOrThrow(const std::vector<std::string>& argv);

}  // namespace berth::testing
