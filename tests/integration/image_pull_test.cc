// ImageService end to end: berthd pulls the project's test images from a real
// registry (Debian's docker-registry on 127.0.0.1) into its store.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "tests/integration/berthd_harness.h"
#include "tests/integration/image_calls.h"
#include "tests/support/registry.h"
#include "tests/support/shell.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using runtime::v1::ImageStatusResponse;

// The blob digests the test image's amd64 manifest names (config first).
std::vector<std::string> ManifestBlobs(const std::string& tag) {
  std::string digest = TestRegistry::TestImageDigest(tag);
  auto m = nlohmann::json::parse(Slurp(TestRegistry::TestImagesDir() + "/blobs/sha256/" + digest.substr(7)));
  std::vector<std::string> out{m["config"]["digest"].get<std::string>()};
  for (const auto& l : m["layers"]) out.push_back(l["digest"].get<std::string>());
  return out;
}

// Bytes of regular files under dir (what a pull adds and a removal frees).
uint64_t DiskBytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

std::string InsecureRegistryConfig(const std::string& host, const std::string& extra = "") {
  return "images:\n  registries:\n    \"" + host + "\": {insecure: true}\n" + extra;
}

Berthd::Options WithConfig(const std::string& yaml) {
  Berthd::Options o;
  o.config_yaml = yaml;
  return o;
}

struct PullResult {
  grpc::Status status;
  std::string image_ref;
};

PullResult Pull(Berthd& d, const std::string& ref, const runtime::v1::AuthConfig* auth = nullptr) {
  runtime::v1::PullImageRequest req;
  req.mutable_image()->set_image(ref);
  if (auth) *req.mutable_auth() = *auth;
  runtime::v1::PullImageResponse resp;
  auto st = d.images().PullImage(Ctx(120).get(), req, &resp);
  return {st, resp.image_ref()};
}

// How often the registry answered a GET of this blob with content (200):
// its access log has one line per request.
int BlobGets(const TestRegistry& reg, const std::string& digest) {
  std::istringstream log(reg.log());
  int n = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.find("\"GET /v2/") != std::string::npos && line.find("/blobs/" + digest + " HTTP/1.1\" 200") != std::string::npos)
      ++n;
  }
  return n;
}

class ImagePull : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestRegistry::Options o;
    o.access_log = true;
    reg_ = new TestRegistry(o);
    reg_->PushTestImages("test/busybox");
  }
  static void TearDownTestSuite() {
    delete reg_;
    reg_ = nullptr;
  }
  static TestRegistry* reg_;
  std::string Ref(const std::string& tail) const { return reg_->host() + "/test/busybox" + tail; }
};
TestRegistry* ImagePull::reg_ = nullptr;

TEST_F(ImagePull, ByTagByDigestAndByTagPlusDigest) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  const std::string digest = TestRegistry::TestImageDigest("amd64");
  auto by_tag = Pull(d, Ref(":amd64"));
  ASSERT_TRUE(by_tag.status.ok()) << by_tag.status.error_message() << d.log();
  EXPECT_EQ(by_tag.image_ref, ManifestBlobs("amd64")[0]);  // the image id is the config digest

  auto st = ImageStatus(d, Ref(":amd64"));
  ASSERT_TRUE(st.has_image());
  EXPECT_EQ(st.image().id(), by_tag.image_ref);
  EXPECT_EQ(std::vector<std::string>(st.image().repo_tags().begin(), st.image().repo_tags().end()),
            std::vector<std::string>{Ref(":amd64")});
  EXPECT_EQ(std::vector<std::string>(st.image().repo_digests().begin(), st.image().repo_digests().end()),
            std::vector<std::string>{Ref("@" + digest)});
  EXPECT_GT(st.image().size(), 500u * 1024);
  EXPECT_TRUE(nlohmann::json::accept(st.info().at("info")));

  auto by_digest = Pull(d, Ref("@" + digest));
  ASSERT_TRUE(by_digest.status.ok()) << by_digest.status.error_message();
  EXPECT_EQ(by_digest.image_ref, by_tag.image_ref);
  auto both = Pull(d, Ref(":docker-tagged@" + digest));
  ASSERT_TRUE(both.status.ok()) << both.status.error_message();
  EXPECT_EQ(both.image_ref, by_tag.image_ref);
  EXPECT_EQ(ImageStatus(d, Ref(":docker-tagged")).image().id(), by_tag.image_ref);
  EXPECT_EQ(ListImages(d).size(), 1u);
  // Layers are unpacked, ready as overlay lower dirs.
  EXPECT_TRUE(fs::exists(d.dir().path() / "root" / "layers"));
  EXPECT_GT(DiskBytes(d.dir().path() / "root" / "layers"), 500u * 1024);
}

TEST_F(ImagePull, MultiArchIndexPicksAmd64) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  auto r = Pull(d, Ref(":latest"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.image_ref, ManifestBlobs("amd64")[0]);
  auto st = ImageStatus(d, Ref(":latest"));
  EXPECT_EQ(st.image().repo_digests(0), Ref("@" + TestRegistry::TestImageDigest("latest")));
}

// ListImages with a filter: the images it names.
std::vector<runtime::v1::Image> ListImagesNamed(Berthd& d, const std::string& ref) {
  runtime::v1::ListImagesRequest req;
  req.mutable_filter()->mutable_image()->set_image(ref);
  runtime::v1::ListImagesResponse resp;
  auto st = d.images().ListImages(Ctx().get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return {resp.images().begin(), resp.images().end()};
}

// Pulled by tag through a manifest list: the image answers to every name a
// user has for it, and RemoveImage takes each.
TEST_F(ImagePull, AnImageAnswersToEveryNameAUserHasForIt) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  const std::string list = TestRegistry::TestImageDigest("latest"), manifest = TestRegistry::TestImageDigest("amd64");
  const std::vector<std::string> names = {ManifestBlobs("amd64")[0],        // the id
                                          "@" + ManifestBlobs("amd64")[0],  // as pasted after copying it
                                          ManifestBlobs("amd64")[0].substr(7, 12),
                                          Ref("@" + manifest),  // the platform manifest
                                          Ref("@" + list),      // the manifest list it was pulled through
                                          Ref(":latest")};
  for (const auto& name : names) {
    auto r = Pull(d, Ref(":latest"));
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    // RepoDigests: the list's digest, what the tag points to (as containerd and docker record it).
    auto st = ImageStatus(d, name);
    ASSERT_TRUE(st.has_image()) << name;
    EXPECT_EQ(st.image().id(), r.image_ref) << name;
    EXPECT_EQ(st.image().repo_digests().size(), 1) << name;
    EXPECT_EQ(st.image().repo_digests(0), Ref("@" + list)) << name;
    auto listed = ListImagesNamed(d, name);
    ASSERT_EQ(listed.size(), 1u) << name;
    EXPECT_EQ(listed[0].id(), r.image_ref) << name;
    // A pull by either digest finds the image present and changes nothing.
    const int before = BlobGets(*reg_, ManifestBlobs("amd64")[1]);
    ASSERT_TRUE(Pull(d, Ref("@" + manifest)).status.ok());
    EXPECT_EQ(ImageStatus(d, name).image().repo_digests().size(), 1) << name;
    EXPECT_EQ(BlobGets(*reg_, ManifestBlobs("amd64")[1]), before);

    auto rm = RemoveImage(d, name);
    ASSERT_TRUE(rm.ok()) << name << ": " << rm.error_message();
    EXPECT_TRUE(ListImages(d).empty()) << name;
  }
  EXPECT_TRUE(ListImagesNamed(d, Ref("@" + manifest)).empty());
  EXPECT_FALSE(ImageStatus(d, ManifestBlobs("amd64")[0]).has_image());
}

TEST_F(ImagePull, DockerSchema2ManifestsPull) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  auto r = Pull(d, Ref(":docker"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.image_ref, ManifestBlobs("amd64")[0]);
}

TEST_F(ImagePull, ThroughAMirrorWhileTheHostDoesNotResolve) {
  Berthd d(WithConfig("images:\n  registries:\n    nonexistent.invalid: {mirrors: [\"" + reg_->host() +
                           "\"]}\n    \"" + reg_->host() + "\": {insecure: true}\n"));
  auto r = Pull(d, "nonexistent.invalid/test/busybox:amd64");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(ImageStatus(d, "nonexistent.invalid/test/busybox:amd64").image().repo_tags(0),
            "nonexistent.invalid/test/busybox:amd64");
}

TEST_F(ImagePull, PresentImageCostsNoBlobRequests) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  ASSERT_TRUE(Pull(d, Ref(":amd64")).status.ok());
  const auto layer = ManifestBlobs("amd64")[1];
  const int before = BlobGets(*reg_, layer);
  ASSERT_TRUE(Pull(d, Ref(":amd64")).status.ok());
  ASSERT_TRUE(Pull(d, Ref("@" + TestRegistry::TestImageDigest("amd64"))).status.ok());
  EXPECT_EQ(BlobGets(*reg_, layer), before);
}

TEST_F(ImagePull, ConcurrentPullsDownloadEachBlobOnce) {
  TestRegistry::Options o;
  o.access_log = true;
  TestRegistry fresh(o);  // its own log, so counts start at zero
  fresh.PushTestImages("test/busybox");
  Berthd d(WithConfig(InsecureRegistryConfig(fresh.host())));
  const std::string ref = fresh.host() + "/test/busybox:amd64";
  auto a = std::async(std::launch::async, [&] { return Pull(d, ref); });
  auto b = std::async(std::launch::async, [&] { return Pull(d, ref); });
  auto ra = a.get(), rb = b.get();
  ASSERT_TRUE(ra.status.ok()) << ra.status.error_message();
  ASSERT_TRUE(rb.status.ok()) << rb.status.error_message();
  EXPECT_EQ(ra.image_ref, rb.image_ref);
  for (const auto& blob : ManifestBlobs("amd64")) EXPECT_LE(BlobGets(fresh, blob), 1) << blob << "\n" << fresh.log();
  EXPECT_EQ(BlobGets(fresh, ManifestBlobs("amd64")[1]), 1);
}

TEST_F(ImagePull, RemoveImageUntagsThenFreesTheDisk) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  const fs::path root = d.dir().path() / "root";
  const uint64_t empty = DiskBytes(root / "layers") + DiskBytes(root / "blobs");
  auto r = Pull(d, Ref(":amd64"));
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(Pull(d, Ref(":docker")).status.ok());  // same image, second tag
  const uint64_t pulled = DiskBytes(root / "layers") + DiskBytes(root / "blobs");
  EXPECT_GT(pulled, empty + 1024 * 1024);

  ASSERT_TRUE(RemoveImage(d, Ref(":docker")).ok());  // one of two tags: untag only
  auto st = ImageStatus(d, r.image_ref);
  ASSERT_TRUE(st.has_image());
  EXPECT_EQ(st.image().repo_tags_size(), 1);

  ASSERT_TRUE(RemoveImage(d, Ref(":amd64")).ok());  // the last tag: the image goes
  EXPECT_FALSE(ImageStatus(d, r.image_ref).has_image());
  EXPECT_TRUE(ListImages(d).empty());
  EXPECT_LE(DiskBytes(root / "layers") + DiskBytes(root / "blobs"), empty + 4096);
  EXPECT_TRUE(RemoveImage(d, Ref(":amd64")).ok());  // removing an absent image is fine
}

TEST_F(ImagePull, ImageFsInfoReportsTheLayerStore) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  ASSERT_TRUE(Pull(d, Ref(":amd64")).status.ok());
  runtime::v1::ImageFsInfoResponse resp;
  ASSERT_TRUE(d.images().ImageFsInfo(Ctx().get(), {}, &resp).ok());
  ASSERT_EQ(resp.image_filesystems_size(), 1);
  EXPECT_EQ(resp.image_filesystems(0).fs_id().mountpoint(), (d.dir().path() / "root" / "layers").string());
  EXPECT_GT(resp.image_filesystems(0).used_bytes().value(), 500u * 1024);
  EXPECT_GT(resp.image_filesystems(0).inodes_used().value(), 10u);
  ASSERT_EQ(resp.container_filesystems_size(), 1);
}

TEST_F(ImagePull, BadReferencesAndMissingImagesGetClearErrors) {
  Berthd d(WithConfig(InsecureRegistryConfig(reg_->host())));
  auto bad = Pull(d, "Upper/Case:tag");
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.status.error_message().find("Upper/Case:tag"), std::string::npos);
  auto missing = Pull(d, Ref(":no-such-tag"));
  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::NOT_FOUND) << missing.status.error_message();
  EXPECT_NE(missing.status.error_message().find("no-such-tag"), std::string::npos);
  EXPECT_TRUE(ListImages(d).empty());
  EXPECT_FALSE(ImageStatus(d, "busybox").has_image());
}

TEST(ImagePullCorrupt, ABlobCorruptedInTheRegistryIsRefusedAndNothingStays) {
  TestRegistry reg;  // its own storage: the damage must not reach other tests
  reg.PushTestImages("test/busybox");
  const std::string layer = ManifestBlobs("amd64")[1];
  const fs::path data =
      fs::path(reg.storage_dir()) / "docker/registry/v2/blobs/sha256" / layer.substr(7, 2) / layer.substr(7) / "data";
  ASSERT_TRUE(fs::exists(data)) << data;
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.write("corrupted", 9);  // same size, other bytes
  }
  Berthd d(WithConfig(InsecureRegistryConfig(reg.host())));
  auto r = Pull(d, reg.host() + "/test/busybox:amd64");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error_message().find(layer), std::string::npos) << r.status.error_message();
  EXPECT_TRUE(ListImages(d).empty());
  const fs::path root = d.dir().path() / "root";
  EXPECT_EQ(DiskBytes(root / "blobs"), 0u) << "blobs of the failed pull stayed";
  EXPECT_EQ(DiskBytes(root / "layers"), 0u) << "layers of the failed pull stayed";
}

TEST(ImagePullTls, WithTheTestCaAndRefusedWithoutIt) {
  TestRegistry::Options tls;
  tls.tls = true;
  TestRegistry reg(tls);
  reg.PushTestImages("test/busybox");
  const std::string ref = reg.host() + "/test/busybox:amd64";
  {
    Berthd d(WithConfig("images:\n  registries:\n    \"" + reg.host() + "\": {ca_files: [\"" + reg.ca_file() +
                             "\"]}\n"));
    auto r = Pull(d, ref);
    EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  }
  {
    Berthd d;
    auto r = Pull(d, ref);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.error_message().find("certificate"), std::string::npos) << r.status.error_message();
    EXPECT_TRUE(ListImages(d).empty());
  }
}

TEST(ImagePullAuth, BasicAuthWithRightAndWrongCredentials) {
  TestRegistry::Options auth;
  auth.username = "berth";
  auth.password = "s3cret";
  TestRegistry reg(auth);
  reg.PushTestImages("test/busybox");
  Berthd d(WithConfig(InsecureRegistryConfig(reg.host())));
  const std::string ref = reg.host() + "/test/busybox:amd64";
  runtime::v1::AuthConfig good;
  good.set_username("berth");
  good.set_password("s3cret");
  auto ok = Pull(d, ref, &good);
  EXPECT_TRUE(ok.status.ok()) << ok.status.error_message();

  runtime::v1::AuthConfig wrong = good;
  wrong.set_password("nope");
  ASSERT_TRUE(RemoveImage(d, ref).ok());
  auto denied = Pull(d, ref, &wrong);
  EXPECT_EQ(denied.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << denied.status.error_message();
  EXPECT_NE(denied.status.error_message().find(reg.host()), std::string::npos) << denied.status.error_message();
  auto anonymous = Pull(d, ref);
  EXPECT_EQ(anonymous.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ListImages(d).empty());
}

}  // namespace
}  // namespace berth::testing
