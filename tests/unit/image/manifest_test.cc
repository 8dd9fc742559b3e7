#include "image/manifest.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"

namespace berth::image {
namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

std::string ImageManifestJson(std::string_view media_type) {
  return R"({"schemaVersion":2,"mediaType":")" + std::string(media_type) + R"(",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + D('c') + R"(","size":123},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + D('1') + R"(","size":10},
              {"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + D('2') + R"(","size":20,
               "urls":["https://example.com/l"],"annotations":{"a":"b"}}],
    "annotations":{"org.opencontainers.image.ref.name":"1.0"}})";
}

std::string Entry(std::string_view arch, std::string_view variant, char digest_char,
                  std::string_view mt = media_type::kOciManifest) {
  std::string platform = R"({"os":"linux","architecture":")" + std::string(arch) + "\"";
  if (!variant.empty()) platform += R"(,"variant":")" + std::string(variant) + "\"";
  platform += "}";
  return R"({"mediaType":")" + std::string(mt) + R"(","digest":")" + D(digest_char) +
         R"(","size":500,"platform":)" + platform + "}";
}

std::string IndexJson(const std::vector<std::string>& entries, std::string_view mt = media_type::kOciIndex) {
  std::string list;
  for (const auto& e : entries) list += (list.empty() ? "" : ",") + e;
  return R"({"schemaVersion":2,"mediaType":")" + std::string(mt) + R"(","manifests":[)" + list + "]}";
}

std::optional<Code> CodeOf(const std::function<void()>& f, std::string* msg = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.code();
  }
  return std::nullopt;
}

TEST(Manifest, ParsesOciAndDockerImageManifests) {
  for (auto mt : {media_type::kOciManifest, media_type::kDockerManifest}) {
    Manifest m = ParseManifest(ImageManifestJson(mt), mt, "img");
    EXPECT_EQ(m.kind, ManifestKind::kImage);
    EXPECT_EQ(m.media_type, mt);
    EXPECT_EQ(m.config.digest, D('c'));
    EXPECT_EQ(m.config.size, 123);
    ASSERT_EQ(m.layers.size(), 2u);
    EXPECT_EQ(m.layers[0].digest, D('1'));
    EXPECT_EQ(m.layers[1].size, 20);
    EXPECT_EQ(m.layers[1].urls, std::vector<std::string>{"https://example.com/l"});
    EXPECT_EQ(m.layers[1].annotations.at("a"), "b");
    EXPECT_EQ(m.annotations.at("org.opencontainers.image.ref.name"), "1.0");
  }
}

TEST(Manifest, MediaTypeComesFromContentTypeOrShapeWhenTheBodyHasNone) {
  std::string body = R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + D('c') +
                     R"(","size":1},"layers":[]})";
  EXPECT_EQ(ParseManifest(body, std::string(media_type::kDockerManifest) + "; charset=utf-8", "img").media_type,
            media_type::kDockerManifest);
  EXPECT_EQ(ParseManifest(body, "application/json", "img").media_type, media_type::kOciManifest);
  std::string index = R"({"schemaVersion":2,"manifests":[]})";
  EXPECT_EQ(ParseManifest(index, "", "img").kind, ManifestKind::kIndex);
}

TEST(Manifest, ParsesIndexAndDockerManifestList) {
  for (auto mt : {media_type::kOciIndex, media_type::kDockerManifestList}) {
    Manifest m = ParseManifest(IndexJson({Entry("amd64", "", 'a'), Entry("arm64", "v8", 'b')}, mt), mt, "img");
    EXPECT_EQ(m.kind, ManifestKind::kIndex);
    ASSERT_EQ(m.manifests.size(), 2u);
    ASSERT_TRUE(m.manifests[1].platform.has_value());
    EXPECT_EQ(m.manifests[1].platform->architecture, "arm64");
    EXPECT_EQ(m.manifests[1].platform->variant, "v8");
  }
}

TEST(Manifest, Schema1IsRefusedWithAClearError) {
  std::string msg;
  auto code = CodeOf([&] { ParseManifest(R"({"schemaVersion":1,"name":"x","fsLayers":[]})", "", "busybox:old"); },
                     &msg);
  EXPECT_EQ(code, Code::kFailedPrecondition);
  EXPECT_NE(msg.find("busybox:old"), std::string::npos) << msg;
  EXPECT_NE(msg.find("schema 1"), std::string::npos) << msg;
  EXPECT_EQ(CodeOf([&] { ParseManifest("{}", media_type::kDockerSchema1Signed, "x"); }),
            Code::kFailedPrecondition);
}

TEST(Manifest, InvalidBodiesAreInvalidArgumentNamingTheImage) {
  std::vector<std::string> bad = {
      "not json",
      "[]",
      R"({"schemaVersion":3,"manifests":[]})",
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})",
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:x","size":1},"layers":[]})",
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":")" + D('a') +
          R"(","size":-1}]})",
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"})",
      R"({"schemaVersion":2,"mediaType":"text/html"})",
  };
  for (const auto& body : bad) {
    std::string msg;
    EXPECT_EQ(CodeOf([&] { ParseManifest(body, "", "quay.io/x:1"); }, &msg), Code::kInvalidArgument)
        << body;
    EXPECT_NE(msg.find("quay.io/x:1"), std::string::npos) << msg;
  }
}

TEST(Manifest, AcceptHeaderListsAllFourFormats) {
  std::string h = ManifestAcceptHeader();
  for (auto mt : {media_type::kOciIndex, media_type::kOciManifest, media_type::kDockerManifest,
                  media_type::kDockerManifestList}) {
    EXPECT_NE(h.find(mt), std::string::npos) << mt;
  }
}

TEST(Platform, FromMachine) {
  EXPECT_EQ(PlatformFromMachine("x86_64").String(), "linux/amd64");
  EXPECT_EQ(PlatformFromMachine("aarch64").String(), "linux/arm64/v8");
  EXPECT_EQ(PlatformFromMachine("armv7l").String(), "linux/arm/v7");
  EXPECT_EQ(PlatformFromMachine("armv6l").String(), "linux/arm/v6");
  EXPECT_EQ(PlatformFromMachine("i686").String(), "linux/386");
  EXPECT_EQ(PlatformFromMachine("ppc64le").String(), "linux/ppc64le");
  EXPECT_EQ(PlatformFromMachine("s390x").String(), "linux/s390x");
  EXPECT_EQ(HostPlatform().os, "linux");
  EXPECT_FALSE(HostPlatform().architecture.empty());
}

TEST(Platform, SelectsTheMatchingEntry) {
  Manifest idx = ParseManifest(IndexJson({Entry("arm64", "v8", 'b'), Entry("amd64", "", 'a'), Entry("arm", "v6", '6'),
                                          Entry("arm", "v7", '7')}),
                               "", "img");
  EXPECT_EQ(SelectPlatform(idx, PlatformFromMachine("x86_64"), "img").digest, D('a'));
  EXPECT_EQ(SelectPlatform(idx, PlatformFromMachine("aarch64"), "img").digest, D('b'));
  EXPECT_EQ(SelectPlatform(idx, PlatformFromMachine("armv7l"), "img").digest, D('7'));
  EXPECT_EQ(SelectPlatform(idx, PlatformFromMachine("armv6l"), "img").digest, D('6'));
}

TEST(Platform, VariantCompatibility) {
  // arm64 without a variant in the index matches a v8 node; armv7 runs a v5 image.
  Manifest idx = ParseManifest(IndexJson({Entry("arm64", "", 'b'), Entry("arm", "v5", '5')}), "", "img");
  EXPECT_EQ(SelectPlatform(idx, PlatformFromMachine("aarch64"), "img").digest, D('b'));
  EXPECT_EQ(SelectPlatform(idx, PlatformFromMachine("armv7l"), "img").digest, D('5'));
  // An armv6 node cannot run a v7 image.
  Manifest v7 = ParseManifest(IndexJson({Entry("arm", "v7", '7')}), "", "img");
  EXPECT_EQ(CodeOf([&] { SelectPlatform(v7, PlatformFromMachine("armv6l"), "img"); }), Code::kNotFound);
}

TEST(Platform, NoMatchListsWhatTheIndexHas) {
  // Attestation entries (unknown/unknown) and other OSes never match.
  Manifest idx = ParseManifest(
      IndexJson({Entry("arm64", "v8", 'b'),
                 R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('f') +
                     R"(","size":1,"platform":{"os":"unknown","architecture":"unknown"}})",
                 R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('e') +
                     R"(","size":1,"platform":{"os":"windows","architecture":"amd64"}})"}),
      "", "img");
  std::string msg;
  EXPECT_EQ(CodeOf([&] { SelectPlatform(idx, PlatformFromMachine("x86_64"), "busybox:1"); }, &msg),
            Code::kNotFound);
  EXPECT_NE(msg.find("busybox:1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("linux/amd64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("linux/arm64/v8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("windows/amd64"), std::string::npos) << msg;
}

const char* kConfig = R"({
  "architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
  "config":{"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"Env":["PATH=/bin","A=b"],"WorkingDir":"/w",
            "User":"1000:1000","ExposedPorts":{"80/tcp":{},"53/udp":{}},"Volumes":{"/data":{}},
            "StopSignal":"SIGQUIT","Labels":{"k":"v"}},
  "rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},
  "history":[{"created":"2024-01-01T00:00:00Z","created_by":"ADD rootfs"},{"created_by":"ENV A=b","empty_layer":true}]
})";

TEST(ImageConfig, TypedAccessors) {
  ImageConfig c = ImageConfig::Parse(kConfig, "img");
  EXPECT_EQ(c.Os(), "linux");
  EXPECT_EQ(c.Architecture(), "amd64");
  EXPECT_EQ(c.Created(), "2024-01-01T00:00:00Z");
  EXPECT_EQ(c.Entrypoint(), (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(c.Cmd(), std::vector<std::string>{"echo hi"});
  EXPECT_EQ(c.Env(), (std::vector<std::string>{"PATH=/bin", "A=b"}));
  EXPECT_EQ(c.WorkingDir(), "/w");
  EXPECT_EQ(c.User(), "1000:1000");
  EXPECT_EQ(c.ExposedPorts(), (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c.Volumes(), std::vector<std::string>{"/data"});
  EXPECT_EQ(c.StopSignal(), "SIGQUIT");
  EXPECT_EQ(c.Labels().at("k"), "v");
  ASSERT_EQ(c.DiffIds().size(), 1u);
  EXPECT_EQ(c.DiffIds()[0], "sha256:" + std::string(64, '1'));
  ASSERT_EQ(c.History().size(), 2u);
  EXPECT_EQ(c.History()[0].created_by, "ADD rootfs");
  EXPECT_TRUE(c.History()[1].empty_layer);
  EXPECT_EQ(c.json()["config"]["User"], "1000:1000");
}

TEST(ImageConfig, MissingConfigSectionGivesEmptyValues) {
  ImageConfig c = ImageConfig::Parse(R"({"rootfs":{"type":"layers","diff_ids":[]},"config":null})", "img");
  EXPECT_TRUE(c.Entrypoint().empty());
  EXPECT_TRUE(c.Env().empty());
  EXPECT_EQ(c.User(), "");
  EXPECT_TRUE(c.Labels().empty());
  EXPECT_TRUE(c.DiffIds().empty());
}

TEST(ImageConfig, InvalidConfigsAreRejected) {
  for (const char* body : {"nope", R"({"config":{}})", R"({"rootfs":{"type":"x","diff_ids":[]}})",
                           R"({"rootfs":{"type":"layers","diff_ids":["bad"]}})",
                           R"({"rootfs":{"type":"layers","diff_ids":[]},"config":{"Cmd":"sh"}})",
                           R"({"rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"a":1}}})"}) {
    std::string msg;
    EXPECT_EQ(CodeOf([&] { ImageConfig::Parse(body, "quay.io/x:1"); }, &msg), Code::kInvalidArgument)
        << body;
    EXPECT_NE(msg.find("quay.io/x:1"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace berth::image
