// The registry client against a real docker-registry on 127.0.0.1: manifests
// by tag and digest, index platform selection, streamed blobs, mirrors, TLS
// with a private CA, basic auth and the errors a pull reports.

#include "image/registry_client.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "storage/base/error.h"
#include "image/manifest.h"
#include "tests/support/registry.h"

namespace berth::image {
namespace {

using berth::testing::TestRegistry;

constexpr const char* kRepo = "test/busybox";

RegistryClientOptions FastOptions(std::map<std::string, config::Registry> registries) {
  RegistryClientOptions o;
  o.registries = std::move(registries);
  o.max_attempts = 2;
  o.initial_backoff = std::chrono::milliseconds(10);
  o.connect_timeout_seconds = 5;
  return o;
}

config::Registry Insecure() { return {.mirrors = {}, .insecure = true, .ca_files = {}}; }

std::string LayoutBlob(const std::string& digest) {
  std::ifstream in(TestRegistry::TestImagesDir() + "/blobs/sha256/" + digest.substr(7));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The error `f` throws (code OK and empty message if none).
std::pair<std::optional<Code>, std::string> ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {std::nullopt, ""};
}

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class PlainRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new TestRegistry();
    registry_->PushTestImages(kRepo);
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  Reference Ref(const std::string& tag) const { return ParseReference(registry_->host() + "/" + kRepo + ":" + tag); }
  RegistryClient Client() const { return RegistryClient(FastOptions({{registry_->host(), Insecure()}})); }

  static TestRegistry* registry_;
};
TestRegistry* PlainRegistry::registry_ = nullptr;

TEST_F(PlainRegistry, ManifestByTagAndByDigest) {
  RegistryClient client = Client();
  FetchedManifest m = client.GetManifest(Ref("amd64"));
  EXPECT_EQ(m.digest, TestRegistry::TestImageDigest("amd64"));
  EXPECT_EQ(m.media_type, media_type::kOciManifest);
  EXPECT_EQ(m.endpoint, registry_->host());
  Manifest parsed = ParseManifest(m.body, m.media_type, "amd64");
  EXPECT_EQ(parsed.kind, ManifestKind::kImage);
  ASSERT_EQ(parsed.layers.size(), 1u);

  FetchedManifest by_digest = client.GetManifest(Ref("amd64").WithDigest(m.digest));
  EXPECT_EQ(by_digest.body, m.body);
  EXPECT_EQ(by_digest.digest, m.digest);

  ManifestHead head = client.HeadManifest(Ref("amd64"));
  EXPECT_EQ(head.digest, m.digest);
  EXPECT_EQ(head.size, static_cast<int64_t>(m.body.size()));
}

TEST_F(PlainRegistry, IndexSelectsThePlatform) {
  RegistryClient client = Client();
  FetchedManifest m = client.GetManifest(Ref("latest"));
  EXPECT_EQ(m.media_type, media_type::kOciIndex);
  Manifest index = ParseManifest(m.body, m.media_type, "latest");
  ASSERT_EQ(index.kind, ManifestKind::kIndex);
  EXPECT_EQ(SelectPlatform(index, PlatformFromMachine("x86_64"), "latest").digest,
            TestRegistry::TestImageDigest("amd64"));
  EXPECT_EQ(SelectPlatform(index, PlatformFromMachine("aarch64"), "latest").digest,
            TestRegistry::TestImageDigest("arm64"));
  // The selected manifest is then fetched by digest.
  Reference child = Ref("latest").WithDigest(SelectPlatform(index, PlatformFromMachine("x86_64"), "latest").digest);
  EXPECT_EQ(ParseManifest(client.GetManifest(child).body, "", "child").kind, ManifestKind::kImage);
}

TEST_F(PlainRegistry, DockerSchema2Manifest) {
  FetchedManifest m = Client().GetManifest(Ref("docker"));
  EXPECT_EQ(m.media_type, media_type::kDockerManifest);
  Manifest parsed = ParseManifest(m.body, m.media_type, "docker");
  EXPECT_EQ(parsed.media_type, media_type::kDockerManifest);
  EXPECT_EQ(parsed.layers.at(0).media_type, media_type::kDockerLayerGzip);
}

TEST_F(PlainRegistry, BlobIsStreamedAndMatchesItsDigest) {
  RegistryClient client = Client();
  Manifest m = ParseManifest(client.GetManifest(Ref("amd64")).body, "", "amd64");
  const Descriptor& layer = m.layers.at(0);
  std::string received;
  int chunks = 0;
  int64_t n = client.FetchBlob(Ref("amd64"), layer.digest, [&](std::string_view chunk) {
    received.append(chunk);
    ++chunks;
  }, {}, layer.size);
  EXPECT_EQ(n, layer.size);
  EXPECT_GT(chunks, 1) << "the blob came in one piece: not streamed";
  EXPECT_EQ(received, LayoutBlob(layer.digest));  // FetchBlob checked the digest; the bytes are the pushed ones

  ImageConfig config = ImageConfig::Parse(client.GetBlob(Ref("amd64"), m.config.digest), "amd64");
  EXPECT_EQ(config.Cmd(), std::vector<std::string>{"sh"});
  EXPECT_EQ(config.DiffIds().size(), 1u);
  EXPECT_EQ(config.Architecture(), "amd64");
}

TEST_F(PlainRegistry, WrongSizeIsDataLoss) {
  RegistryClient client = Client();
  Manifest m = ParseManifest(client.GetManifest(Ref("amd64")).body, "", "amd64");
  auto [code, msg] = ErrorOf([&] {
    client.FetchBlob(Ref("amd64"), m.config.digest, [](std::string_view) {}, {}, m.config.size - 1);
  });
  EXPECT_EQ(code, Code::kDataLoss) << msg;
}

TEST_F(PlainRegistry, MissingManifestAndBlobAreNotFound) {
  RegistryClient client = Client();
  auto [code, msg] = ErrorOf([&] { client.GetManifest(Ref("no-such-tag")); });
  EXPECT_EQ(code, Code::kNotFound) << msg;
  EXPECT_TRUE(Contains(msg, registry_->host() + "/test/busybox:no-such-tag")) << msg;

  std::tie(code, msg) = ErrorOf([&] { client.GetManifest(ParseReference(registry_->host() + "/nothing/here")); });
  EXPECT_EQ(code, Code::kNotFound) << msg;
  EXPECT_TRUE(Contains(msg, "nothing/here")) << msg;

  std::string absent = "sha256:" + std::string(64, '0');
  std::tie(code, msg) = ErrorOf([&] { client.FetchBlob(Ref("amd64"), absent, [](std::string_view) {}); });
  EXPECT_EQ(code, Code::kNotFound) << msg;
  EXPECT_TRUE(Contains(msg, absent)) << msg;
}

TEST_F(PlainRegistry, PlainHttpNeedsTheRegistryMarkedInsecure) {
  RegistryClient client(FastOptions({}));
  auto [code, msg] = ErrorOf([&] { client.GetManifest(Ref("amd64")); });
  EXPECT_EQ(code, Code::kUnavailable) << msg;
  EXPECT_TRUE(Contains(msg, registry_->host())) << msg;
}

TEST_F(PlainRegistry, MirrorServesWhenTheUpstreamDoesNotResolve) {
  const std::string upstream = "nonexistent.invalid:5000";
  RegistryClient client(FastOptions({
      {upstream, {.mirrors = {registry_->host()}, .insecure = false, .ca_files = {}}},
      {registry_->host(), Insecure()},
  }));
  Reference ref = ParseReference(upstream + "/" + kRepo + ":amd64");
  FetchedManifest m = client.GetManifest(ref);
  EXPECT_EQ(m.endpoint, registry_->host());
  EXPECT_EQ(m.digest, TestRegistry::TestImageDigest("amd64"));
  Manifest parsed = ParseManifest(m.body, m.media_type, "m");
  std::string blob;
  client.FetchBlob(ref, parsed.layers.at(0).digest, [&](std::string_view c) { blob.append(c); });
  EXPECT_EQ(blob, LayoutBlob(parsed.layers.at(0).digest));
}

TEST_F(PlainRegistry, FailingMirrorsFallThroughInOrder) {
  // A mirror nobody listens on, then one that lacks the image, then the registry itself.
  TestRegistry empty;
  const std::string dead = "127.0.0.1:1";
  RegistryClient client(FastOptions({
      {registry_->host(), {.mirrors = {dead, empty.host()}, .insecure = true, .ca_files = {}}},
      {dead, Insecure()},
      {empty.host(), Insecure()},
  }));
  FetchedManifest m = client.GetManifest(Ref("amd64"));
  EXPECT_EQ(m.endpoint, registry_->host());

  // When every endpoint fails, the error is the registry's and names the mirrors' failures.
  auto [code, msg] = ErrorOf([&] { client.GetManifest(Ref("no-such-tag")); });
  EXPECT_EQ(code, Code::kNotFound) << msg;
  EXPECT_TRUE(Contains(msg, dead)) << msg;
  EXPECT_TRUE(Contains(msg, empty.host())) << msg;
}

TEST(TlsRegistry, TrustedThroughTheConfiguredCaOnly) {
  TestRegistry registry({.tls = true, .username = "", .password = ""});
  registry.PushTestImages(kRepo);
  Reference ref = ParseReference(registry.host() + "/" + kRepo + ":amd64");

  RegistryClient with_ca(FastOptions({{registry.host(), {.mirrors = {}, .insecure = false, .ca_files = {registry.ca_file()}}}}));
  EXPECT_EQ(with_ca.GetManifest(ref).digest, TestRegistry::TestImageDigest("amd64"));

  RegistryClient without_ca(FastOptions({}));
  auto [code, msg] = ErrorOf([&] { without_ca.GetManifest(ref); });
  EXPECT_EQ(code, Code::kUnavailable) << msg;
  EXPECT_TRUE(Contains(msg, "certificate")) << msg;
  EXPECT_TRUE(Contains(msg, registry.host())) << msg;

  // insecure: TLS without verification.
  RegistryClient insecure(FastOptions({{registry.host(), Insecure()}}));
  EXPECT_EQ(insecure.GetManifest(ref).digest, TestRegistry::TestImageDigest("amd64"));

  RegistryClient missing_ca(FastOptions({{registry.host(), {.mirrors = {}, .insecure = false, .ca_files = {"/nonexistent/ca.pem"}}}}));
  std::tie(code, msg) = ErrorOf([&] { missing_ca.GetManifest(ref); });
  EXPECT_EQ(code, Code::kFailedPrecondition) << msg;
  EXPECT_TRUE(Contains(msg, "/nonexistent/ca.pem")) << msg;
}

TEST(AuthRegistry, BasicAuthAcceptsRightCredentialsOnly) {
  TestRegistry registry({.tls = true, .username = "alice", .password = "s3cret"});
  registry.PushTestImages(kRepo);
  Reference ref = ParseReference(registry.host() + "/" + kRepo + ":amd64");
  RegistryClient client(FastOptions({{registry.host(), {.mirrors = {}, .insecure = false, .ca_files = {registry.ca_file()}}}}));

  FetchedManifest m = client.GetManifest(ref, {.username = "alice", .password = "s3cret"});
  EXPECT_EQ(m.digest, TestRegistry::TestImageDigest("amd64"));
  Manifest parsed = ParseManifest(m.body, m.media_type, "m");
  std::string blob;
  client.FetchBlob(ref, parsed.layers.at(0).digest, [&](std::string_view c) { blob.append(c); },
                   {.username = "alice", .password = "s3cret"});
  EXPECT_EQ(blob, LayoutBlob(parsed.layers.at(0).digest));

  // The CRI "auth" field: base64 of user:password.
  Credentials auth_field{.auth = Base64Encode("alice:s3cret")};
  EXPECT_EQ(client.GetManifest(ref, auth_field).digest, m.digest);

  auto [code, msg] = ErrorOf([&] { client.GetManifest(ref, {.username = "alice", .password = "wrong"}); });
  EXPECT_EQ(code, Code::kUnauthenticated) << msg;
  EXPECT_TRUE(Contains(msg, registry.host())) << msg;
  EXPECT_TRUE(Contains(msg, "rejected the credentials")) << msg;

  std::tie(code, msg) = ErrorOf([&] { client.GetManifest(ref); });
  EXPECT_EQ(code, Code::kUnauthenticated) << msg;
  EXPECT_TRUE(Contains(msg, "no credentials")) << msg;

  // Credentials for another registry are not sent here.
  std::tie(code, msg) = ErrorOf([&] {
    client.GetManifest(ref, {.username = "alice", .password = "s3cret", .server_address = "quay.io"});
  });
  EXPECT_EQ(code, Code::kUnauthenticated) << msg;
}

}  // namespace
}  // namespace berth::image
