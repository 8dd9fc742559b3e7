// Crash recovery of the image store end to end: berthd is killed with SIGKILL
// in the middle of pulling a large image from a real registry, restarted on
// the same root, and must neither list the half-pulled image nor keep any of
// its pieces; a new pull of the same image then succeeds and stores exactly
// what the image needs.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "storage/digest.h"
#include "storage/layer_store.h"
#include "tests/integration/berthd_harness.h"
#include "tests/integration/image_calls.h"
#include "tests/support/registry.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Shape of the image hack/build-big-test-image.sh builds for this test. Big
// enough that a pull takes a while (seconds in a release build), small enough
// to build and pull quickly; layers are downloaded one at a time (see config).
constexpr int kLayers = 4;
constexpr int kMiBPerLayer = 24;
constexpr int64_t kFileBytes = int64_t{kMiBPerLayer} * 1024 * 1024 / 4;  // 4 files a layer

// The OCI layout of the big image, built once per build dir (each ctest case is
// its own process): into a private dir, then renamed into place.
const std::string& BigImageDir() {
  static const std::string path = [] {
    std::string dir = std::string(BERTH_BINARY_DIR) + "/big-test-image-" + std::to_string(kLayers) + "x" +
                      std::to_string(kMiBPerLayer);
    if (::access((dir + "/index.json").c_str(), F_OK) == 0) return dir;
    std::string staged = dir + ".staging." + std::to_string(::getpid());
    RunOrThrow({"/bin/bash", std::string(BERTH_SOURCE_DIR) + "/hack/build-big-test-image.sh", staged,
                std::to_string(kLayers), std::to_string(kMiBPerLayer)});
    if (::rename(staged.c_str(), dir.c_str()) != 0) {
      fs::remove_all(staged);  // another test process got there first
      if (::access((dir + "/index.json").c_str(), F_OK) != 0) throw std::runtime_error("cannot create " + dir);
    }
    return dir;
  }();
  return path;
}

// What the big image consists of, read from its OCI layout.
struct BigImage {
  std::string manifest;                  // manifest digest
  std::string config;                    // config digest = image id
  std::vector<std::string> layers;       // layer blob digests, bottom to top
  std::vector<int64_t> layer_sizes;      // their sizes
  std::vector<std::string> chain_ids;    // from the config's diff_ids
};

BigImage ReadBigImage() {
  const std::string dir = BigImageDir();
  auto blob = [&](const std::string& digest) { return Slurp(dir + "/blobs/sha256/" + digest.substr(7)); };
  auto index = nlohmann::json::parse(Slurp(dir + "/index.json"));
  BigImage img;
  img.manifest = index["manifests"][0]["digest"];
  auto m = nlohmann::json::parse(blob(img.manifest));
  img.config = m["config"]["digest"];
  for (const auto& l : m["layers"]) {
    img.layers.push_back(l["digest"]);
    img.layer_sizes.push_back(l["size"]);
  }
  auto config = nlohmann::json::parse(blob(img.config));
  std::optional<storage::Digest> parent;
  for (const auto& d : config["rootfs"]["diff_ids"]) {
    parent = storage::ChainID(parent, storage::Digest::Parse(d.get<std::string>()));
    img.chain_ids.push_back(parent->String());
  }
  return img;
}

// Names in a dir (empty if the dir is missing).
std::set<std::string> Entries(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename().string());
  return out;
}

std::set<std::string> Hexes(const std::vector<std::string>& digests) {
  std::set<std::string> out;
  for (const auto& d : digests) out.insert(d.substr(7));
  return out;
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return "{" + out + "}";
}

// berthd's image store on disk: <root>/blobs/{sha256,ingest,trash}, <root>/layers, <root>/images.
struct StoreDirs {
  fs::path blobs, ingest, trash, layers, images;
  explicit StoreDirs(const fs::path& root)
      : blobs(root / "blobs/sha256"),
        ingest(root / "blobs/ingest"),
        trash(root / "blobs/trash"),
        layers(root / "layers"),
        images(root / "images") {}
};

// A snapshot of how far a pull got.
struct Progress {
  std::set<std::string> ingest;         // temp files of downloads in progress
  int64_t ingest_bytes = 0;
  std::set<std::string> layer_blobs;    // committed layer blobs
  std::set<std::string> published;      // unpacked layers (dir with layer.json)
  std::set<std::string> unpacking;      // .tmp- dirs of unpacks in progress
  bool record = false;                  // the image record exists

  // Mid-way: a layer is downloaded and unpacked, while another layer is half
  // downloaded or half unpacked, and there is no record yet: every kind of
  // piece start-up must clean (ingest file, temp layer dir, unreferenced blobs
  // and layers) can be there.
  bool MidWay() const { return !published.empty() && (ingest_bytes > 0 || !unpacking.empty()) && !record; }
  std::string Describe() const {
    return "ingest " + Join(ingest) + " (" + std::to_string(ingest_bytes) + " bytes), layer blobs " +
           std::to_string(layer_blobs.size()) + ", unpacked layers " + std::to_string(published.size()) +
           ", unpacks in progress " + std::to_string(unpacking.size()) + ", record " + (record ? "yes" : "no");
  }
};

Progress Look(const StoreDirs& s, const BigImage& img) {
  Progress p;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(s.ingest, ec)) {
    p.ingest.insert(e.path().filename().string());
    std::error_code size_ec;
    auto n = fs::file_size(e.path(), size_ec);
    if (!size_ec) p.ingest_bytes += static_cast<int64_t>(n);
  }
  for (const auto& hex : Hexes(img.layers)) {
    if (fs::exists(s.blobs / hex, ec)) p.layer_blobs.insert(hex);
  }
  for (const auto& name : Entries(s.layers)) {
    if (name.starts_with(".tmp-")) {
      p.unpacking.insert(name);
    } else if (!name.starts_with(".") && fs::exists(s.layers / name / "layer.json", ec)) {
      p.published.insert(name);
    }
  }
  p.record = fs::exists(s.images / (img.config.substr(7) + ".json"), ec);
  return p;
}

// State letter of /proc/<pid>/stat ('T' when stopped).
char ProcState(pid_t pid) {
  std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

bool WaitStopped(pid_t pid) {
  auto end = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < end) {
    if (ProcState(pid) == 'T') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// PullImage on a channel of its own: the harness drops its stubs when berthd is
// killed, which must not pull them from under a call in flight.
std::future<grpc::Status> PullAsync(const std::string& endpoint, const std::string& ref) {
  return std::async(std::launch::async, [endpoint, ref] {
    auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
    auto stub = runtime::v1::ImageService::NewStub(channel);
    runtime::v1::PullImageRequest req;
    req.mutable_image()->set_image(ref);
    runtime::v1::PullImageResponse resp;
    return stub->PullImage(Ctx(300).get(), req, &resp);
  });
}

Berthd::Options Config(const std::string& registry_host) {
  Berthd::Options o;
  // One download at a time: the pull passes through long stretches where some
  // layers are unpacked and the next one is half downloaded.
  o.config_yaml = "images:\n  max_parallel_downloads: 1\n  registries:\n    \"" + registry_host +
                  "\": {insecure: true}\n";
  return o;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

TEST(ImagePullCrash, KilledMidPullLeavesNoPartialImageAndAPullAfterRestartSucceeds) {
  const auto test_started = Clock::now();
  const BigImage img = ReadBigImage();
  TestRegistry reg;
  RunOrThrow({"/bin/bash", std::string(BERTH_SOURCE_DIR) + "/hack/push-test-images.sh", BigImageDir(), reg.url(),
              "test/big"});
  const std::string ref = reg.host() + "/test/big:big";

  std::cerr << "image built and pushed in " << Seconds(test_started) << " s\n";
  // Declared before berthd so that on a failed assertion berthd is killed
  // first and the pull in flight ends at once instead of at its deadline.
  std::future<grpc::Status> pull;
  Berthd d(Config(reg.host()));
  const StoreDirs dirs(d.dir().path() / "root");

  // 1. Pull, and catch it mid-way: poll the store, freeze berthd (SIGSTOP) when
  //    the pull looks mid-way, confirm that on the frozen state, then SIGKILL.
  const auto started = Clock::now();
  pull = PullAsync(d.endpoint(), ref);
  Progress at_kill;
  bool caught = false;
  while (!caught && Seconds(started) < 120) {
    if (pull.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) break;
    if (!Look(dirs, img).MidWay()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    ASSERT_EQ(::kill(d.pid(), SIGSTOP), 0);
    ASSERT_TRUE(WaitStopped(d.pid())) << "berthd did not stop on SIGSTOP";
    at_kill = Look(dirs, img);
    caught = at_kill.MidWay();
    if (!caught) ::kill(d.pid(), SIGCONT);  // moved on between the two looks: keep watching
  }
  const double caught_after = Seconds(started);
  ASSERT_TRUE(caught) << "the pull of " << ref << " was not caught mid-way after " << caught_after
                      << " s (finished: " << (pull.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready)
                      << "); make the image in this test larger. Store: " << Look(dirs, img).Describe() << "\n"
                      << d.log();
  EXPECT_LT(at_kill.published.size(), img.layers.size()) << at_kill.Describe();
  EXPECT_EQ(d.Stop(SIGKILL), -1);
  grpc::Status killed = pull.get();
  EXPECT_FALSE(killed.ok()) << "PullImage answered OK although berthd was killed during it";
  std::cerr << "killed berthd " << caught_after << " s into the pull; store at the kill: " << at_kill.Describe()
            << "\n";

  // 2. Restart on the same root: the half-pulled image is not there, and
  //    neither is any piece of it (records name nothing, so nothing may stay).
  const auto restart_started = Clock::now();
  d.Start();
  std::cerr << "berthd restarted (crash recovery included) in " << Seconds(restart_started) << " s\n";
  for (const auto& image : ListImages(d)) {
    EXPECT_NE(image.id(), img.config);
    for (const auto& tag : image.repo_tags()) EXPECT_NE(tag, ref);
  }
  EXPECT_FALSE(ImageStatus(d, ref).has_image());
  EXPECT_FALSE(ImageStatus(d, img.config).has_image());
  EXPECT_EQ(Join(Entries(dirs.images)), "{}") << "image records after the restart";
  EXPECT_EQ(Join(Entries(dirs.ingest)), "{}") << "partial downloads left in the ingest dir";
  EXPECT_EQ(Join(Entries(dirs.layers)), "{}") << "layer dirs (unpacked, partial or doomed) no image names";
  EXPECT_EQ(Join(Entries(dirs.blobs)), "{}") << "blobs no image names";
  EXPECT_EQ(Join(Entries(dirs.trash)), "{}") << "blob trash";

  // 3. A new pull of the same image succeeds and stores exactly what it needs.
  const auto repull_started = Clock::now();
  runtime::v1::PullImageRequest req;
  req.mutable_image()->set_image(ref);
  runtime::v1::PullImageResponse resp;
  grpc::Status st = d.images().PullImage(Ctx(300).get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << d.log();
  const double repull_s = Seconds(repull_started);
  EXPECT_EQ(resp.image_ref(), img.config);
  bool listed = false;
  for (const auto& image : ListImages(d)) {
    if (image.id() != img.config) continue;
    listed = true;
    EXPECT_EQ(std::vector<std::string>(image.repo_tags().begin(), image.repo_tags().end()),
              std::vector<std::string>{ref});
  }
  EXPECT_TRUE(listed) << img.config << " is not listed after the second pull";
  auto status = ImageStatus(d, ref);
  ASSERT_TRUE(status.has_image());
  EXPECT_EQ(status.image().id(), img.config);

  std::vector<std::string> blobs = img.layers;
  blobs.push_back(img.manifest);
  blobs.push_back(img.config);
  EXPECT_EQ(Entries(dirs.blobs), Hexes(blobs));
  EXPECT_EQ(Entries(dirs.layers), Hexes(img.chain_ids));
  EXPECT_EQ(Entries(dirs.ingest), std::set<std::string>{});
  EXPECT_EQ(Entries(dirs.trash), std::set<std::string>{});
  EXPECT_EQ(Entries(dirs.images), std::set<std::string>{img.config.substr(7) + ".json"});
  for (size_t i = 0; i < img.layers.size(); ++i) {
    std::error_code ec;
    EXPECT_EQ(static_cast<int64_t>(fs::file_size(dirs.blobs / img.layers[i].substr(7), ec)), img.layer_sizes[i]);
    const fs::path files = dirs.layers / img.chain_ids[i].substr(7) / "diff/big" / std::to_string(i);
    EXPECT_EQ(Entries(files).size(), 4u) << files;
    for (int f = 0; f < 4; ++f) {
      EXPECT_EQ(static_cast<int64_t>(fs::file_size(files / ("random" + std::to_string(f) + ".bin"), ec)), kFileBytes)
          << files;
    }
  }
  std::cerr << "second pull took " << repull_s << " s\n";
}

// No download or unpack left half-done, and no record: what a failed pull must leave.
void ExpectNoPartialPull(const StoreDirs& dirs) {
  EXPECT_EQ(Join(Entries(dirs.ingest)), "{}") << "partial downloads left in the ingest dir";
  EXPECT_EQ(Join(Entries(dirs.images)), "{}") << "an image record for a failed pull";
  for (const auto& name : Entries(dirs.layers)) EXPECT_FALSE(name.starts_with(".tmp-")) << "a half-unpacked layer: " << name;
}

TEST(ImagePullFaults, TheRegistryGoingAwayMidPullFailsThePullCleanly) {
  const BigImage img = ReadBigImage();
  auto reg = std::make_unique<TestRegistry>();
  RunOrThrow({"/bin/bash", std::string(BERTH_SOURCE_DIR) + "/hack/push-test-images.sh", BigImageDir(), reg->url(),
              "test/big"});
  const std::string ref = reg->host() + "/test/big:big";
  std::future<grpc::Status> pull;
  Berthd d(Config(reg->host()));
  const StoreDirs dirs(d.dir().path() / "root");
  pull = PullAsync(d.endpoint(), ref);
  const auto started = Clock::now();
  while (Look(dirs, img).ingest_bytes == 0 && Seconds(started) < 60) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_GT(Look(dirs, img).ingest_bytes, 0) << "the pull never started downloading";
  reg.reset();  // the registry dies mid-download
  ASSERT_EQ(pull.wait_for(std::chrono::seconds(120)), std::future_status::ready) << "the pull hangs on a dead registry";
  const grpc::Status st = pull.get();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_LE(st.error_message().size(), 2200u);
  EXPECT_FALSE(ImageStatus(d, ref).has_image());
  ExpectNoPartialPull(dirs);
  // What the pull did commit is no image's: a restart sweeps it.
  d.Stop();
  d.Start();
  EXPECT_EQ(Join(Entries(dirs.blobs)), "{}");
  EXPECT_EQ(Join(Entries(dirs.layers)), "{}");
}

TEST(ImagePullFaults, AFullDiskDuringAPullIsResourceExhaustedAndLeavesTheStoreConsistent) {
  TempDir tmp;
  const std::string disk = tmp / "disk";
  fs::create_directories(disk);
  ASSERT_EQ(::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=40m"), 0);
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{disk};
  TestRegistry reg;
  RunOrThrow({"/bin/bash", std::string(BERTH_SOURCE_DIR) + "/hack/push-test-images.sh", BigImageDir(), reg.url(),
              "test/big"});
  reg.PushTestImages("test/busybox");
  Berthd::Options o = Config(reg.host());
  o.extra_args = {"--root", disk + "/root"};
  Berthd d(std::move(o));
  const StoreDirs dirs(disk + "/root");
  runtime::v1::PullImageRequest req;
  req.mutable_image()->set_image(reg.host() + "/test/big:big");  // 96 MiB on a 40 MiB disk
  runtime::v1::PullImageResponse resp;
  grpc::Status st = d.images().PullImage(Ctx(300).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  ExpectNoPartialPull(dirs);
  // The store still works: a small image pulls once the big one's pieces are gone.
  req.mutable_image()->set_image(reg.host() + "/test/busybox:amd64");
  st = d.images().PullImage(Ctx(300).get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message() << "\n" << d.log().substr(0, 5000);
  d.Stop();
}

}  // namespace
}  // namespace berth::testing
