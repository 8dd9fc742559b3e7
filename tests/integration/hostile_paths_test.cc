// Fuzz-style: CreateContainer and RunPodSandbox with generated paths ("..",
// symlinks out of the allowed dirs, absolute, very long, NUL, newlines) in
// log_directory, log_path, mount host and container paths, device paths and
// the hostname, against a real berthd (bridge berthfz<N>, 10.191.<N>.0/24).
// Whatever berthd answers, nothing may appear outside its own dirs, the pod's
// log directory and the host-path area the test hands out (berth, like
// containerd and CRI-O, makes a missing host path a directory; where that is
// is the caller's choice, so host paths are generated inside that area); no
// container or pod of a call may remain; berthd stays up.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "storage/base/error.h"
#include "tests/integration/container_fixture.h"

namespace berth::testing {
namespace {

class HostilePathsTest : public ContainerFixture {
 protected:
  // Names in `dir` (non-recursive): what the test watches for new entries.
  static std::set<std::string> Entries(const std::string& dir) {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename().string());
    return out;
  }

  std::string Fragment() {
    static const std::vector<std::string> kParts = {
        "..", ".", "", "a", "b", "logs", "out", "root", "/", "\n", std::string(1, '\0'), std::string(300, 'x'),
        "%2e%2e", "\\", " ", "new", "0.log"};
    return kParts[rng_() % kParts.size()];
  }

  // Up to six fragments joined by '/' after `anchor` (or, unless `anchored`,
  // sometimes after "/" or nothing), sometimes very long.
  std::string Path(const std::string& anchor, bool anchored = false) {
    std::string p = anchored ? anchor + "/" : (rng_() % 3 == 0) ? "/" : (rng_() % 2 ? anchor + "/" : "");
    const int n = 1 + static_cast<int>(rng_() % 6);
    for (int i = 0; i < n; ++i) p += (i ? "/" : "") + Fragment();
    if (rng_() % 25 == 0) p += "/" + std::string(5000, 'y');
    return p;
  }

  std::mt19937 rng_{20261202};
};

TEST_F(HostilePathsTest, NothingIsCreatedOutsideWhereItBelongs) {
  StartBerthd(1, "berthfz", 191);
  const std::string canary = work_ / "canary", hostpaths = work_ / "host";
  fs::create_directories(canary);
  fs::create_directories(hostpaths + "/a");
  fs::create_directories(logs() + "/fuzz");
  // Symlinks from every allowed area out to the canary and to /.
  for (const std::string& dir : {logs() + "/fuzz", hostpaths}) {
    fs::create_directory_symlink(canary, dir + "/out");
    fs::create_directory_symlink("/", dir + "/root");
  }
  // Other tests run beside this one: watch for the names this one generates.
  const std::set<std::string> watched_dirs = {"/", "/tmp", "/etc", "/var/tmp", "/var/log", "/run", work_ / ""};
  std::map<std::string, std::set<std::string>> before;
  for (const auto& d : watched_dirs) before[d] = Entries(d);
  const auto generated = [](const std::string& name) {
    static const std::set<std::string> kNames = {"a", "b", "logs", "out", "root", "new", "0.log", "%2e%2e",
                                                 "\\", " ", "\n", std::string(300, 'x')};
    return kNames.contains(name);
  };

  auto preq = PodRequest("fuzz");
  preq.mutable_config()->set_log_directory(logs() + "/fuzz");
  const std::string pod = MustRunPod(preq);
  std::map<grpc::StatusCode, int> codes;
  for (int i = 0; i < 160; ++i) {
    const int what = static_cast<int>(rng_() % 6);
    std::string value;
    grpc::Status st;
    if (what <= 3) {
      auto req = CtrRequest(pod, "f" + std::to_string(i), {"true"});
      auto* c = req.mutable_config();
      if (what == 0) {
        value = Path("");
        c->set_log_path(value);
      } else if (what == 1) {
        auto* m = c->add_mounts();
        value = Path(hostpaths, true);
        m->set_host_path(value);
        m->set_container_path("/mnt/" + std::to_string(i));
        if (rng_() % 3 == 0) m->set_propagation(runtime::v1::PROPAGATION_BIDIRECTIONAL);
      } else if (what == 2) {
        auto* m = c->add_mounts();
        m->set_host_path(hostpaths + "/a");
        value = Path("/data");
        m->set_container_path(value);
      } else {
        auto* d = c->add_devices();
        value = Path("/dev");
        d->set_host_path(value);
        d->set_container_path("/dev/fz");
      }
      std::string id;
      st = Create(req, &id);
      if (st.ok()) {
        EXPECT_TRUE(RemoveCtr(id).ok());
      }
    } else {
      auto req = PodRequest("fz" + std::to_string(i));
      if (what == 4) {
        value = Path(logs());
        req.mutable_config()->set_log_directory(value);
      } else {
        value = Path("");
        req.mutable_config()->set_hostname(value.substr(0, 80));
      }
      std::string id;
      st = RunPod(req, &id);
      if (st.ok()) {
        EXPECT_TRUE(StopPod(id).ok());
        EXPECT_TRUE(RemovePod(id).ok());
      }
    }
    ++codes[st.error_code()];
    EXPECT_NE(st.error_code(), grpc::StatusCode::UNKNOWN) << Quoted(value) << ": " << st.error_message();
    EXPECT_NE(st.error_code(), grpc::StatusCode::INTERNAL) << "a bad path is the caller's fault: " << Quoted(value)
                                                           << ": " << st.error_message();
    EXPECT_NE(st.error_code(), grpc::StatusCode::UNAVAILABLE) << "berthd died on " << Quoted(value);
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE) break;
    ASSERT_TRUE(fs::is_empty(canary)) << "case " << i << " (" << what << ") " << Quoted(value) << " wrote through a symlink";
  }
  for (const auto& [code, n] : codes) std::cout << "status " << code << ": " << n << " calls\n";
  EXPECT_GT(codes[grpc::StatusCode::INVALID_ARGUMENT], 20);
  EXPECT_GT(codes[grpc::StatusCode::OK], 5);

  EXPECT_TRUE(List().empty()) << "a container of a call is left";
  const auto pods = ListPods();
  ASSERT_EQ(pods.size(), 1u) << "a pod of a call is left";
  EXPECT_EQ(pods[0].id(), pod);
  for (const auto& d : watched_dirs) {
    for (const auto& name : Entries(d)) {
      EXPECT_TRUE(before[d].contains(name) || !generated(name)) << Quoted(name) << " appeared in " << d;
    }
  }
  EXPECT_TRUE(fs::is_empty(canary));
}

}  // namespace
}  // namespace berth::testing
