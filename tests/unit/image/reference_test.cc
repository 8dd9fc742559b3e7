#include "image/reference.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"

namespace berth::image {
namespace {

const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + kHex;

struct Case {
  std::string input;
  std::string domain, path, tag, digest;
  std::string full, familiar;
};

class ReferenceValid : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceValid, ParsesAndNormalizes) {
  const Case& c = GetParam();
  Reference r = ParseReference(c.input);
  EXPECT_EQ(r.domain, c.domain);
  EXPECT_EQ(r.path, c.path);
  EXPECT_EQ(r.tag, c.tag);
  EXPECT_EQ(r.digest, c.digest);
  EXPECT_EQ(r.String(), c.full);
  EXPECT_EQ(r.FamiliarString(), c.familiar);
  // The full form parses back to the same reference.
  EXPECT_EQ(ParseReference(r.String()), r);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceValid,
    ::testing::Values(
        Case{"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
             "busybox:latest"},
        Case{"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
             "busybox:1.36"},
        Case{"user/x", "docker.io", "user/x", "latest", "", "docker.io/user/x:latest", "user/x:latest"},
        Case{"docker.io/library/busybox", "docker.io", "library/busybox", "latest", "",
             "docker.io/library/busybox:latest", "busybox:latest"},
        Case{"index.docker.io/library/busybox:1", "docker.io", "library/busybox", "1", "",
             "docker.io/library/busybox:1", "busybox:1"},
        Case{"docker.io/busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
             "busybox:latest"},
        Case{"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "", "docker.io/library/a/b:latest",
             "library/a/b:latest"},
        Case{"quay.io/coreos/etcd:v3.5.0", "quay.io", "coreos/etcd", "v3.5.0", "", "quay.io/coreos/etcd:v3.5.0",
             "quay.io/coreos/etcd:v3.5.0"},
        Case{"localhost/foo", "localhost", "foo", "latest", "", "localhost/foo:latest", "localhost/foo:latest"},
        Case{"localhost:5000/foo/bar:t", "localhost:5000", "foo/bar", "t", "", "localhost:5000/foo/bar:t",
             "localhost:5000/foo/bar:t"},
        Case{"127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox", "latest", "", "127.0.0.1:5000/busybox:latest",
             "127.0.0.1:5000/busybox:latest"},
        Case{"[::1]:5000/img", "[::1]:5000", "img", "latest", "", "[::1]:5000/img:latest", "[::1]:5000/img:latest"},
        Case{"Registry.Example.com/x", "Registry.Example.com", "x", "latest", "", "Registry.Example.com/x:latest",
             "Registry.Example.com/x:latest"},
        Case{"Foo/bar", "Foo", "bar", "latest", "", "Foo/bar:latest", "Foo/bar:latest"},
        Case{"ab-c_d__e---f/g.h", "docker.io", "ab-c_d__e---f/g.h", "latest", "",
             "docker.io/ab-c_d__e---f/g.h:latest", "ab-c_d__e---f/g.h:latest"},
        Case{"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest,
             "docker.io/library/busybox@" + kDigest, "busybox@" + kDigest},
        Case{"busybox:1.36@" + kDigest, "docker.io", "library/busybox", "1.36", kDigest,
             "docker.io/library/busybox:1.36@" + kDigest, "busybox:1.36@" + kDigest},
        Case{"example.com:443/a/b:_T.a-g", "example.com:443", "a/b", "_T.a-g", "", "example.com:443/a/b:_T.a-g",
             "example.com:443/a/b:_T.a-g"},
        Case{"localhost:5000", "docker.io", "library/localhost", "5000", "", "docker.io/library/localhost:5000",
             "localhost:5000"},
        Case{"busybox:" + std::string(128, 'x'), "docker.io", "library/busybox", std::string(128, 'x'), "",
             "docker.io/library/busybox:" + std::string(128, 'x'), "busybox:" + std::string(128, 'x')},
        Case{"r.io/x@sha512:" + std::string(128, 'b'), "r.io", "x", "", "sha512:" + std::string(128, 'b'),
             "r.io/x@sha512:" + std::string(128, 'b'), "r.io/x@sha512:" + std::string(128, 'b')}));

struct Bad {
  std::string input;
  std::string why;  // a piece of the message
};

class ReferenceInvalid : public ::testing::TestWithParam<Bad> {};

TEST_P(ReferenceInvalid, IsRejectedNamingTheReference) {
  const Bad& b = GetParam();
  try {
    ParseReference(b.input);
    FAIL() << b.input << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    std::string msg = e.what();
    EXPECT_NE(msg.find("\"" + b.input + "\""), std::string::npos) << msg;
    EXPECT_NE(msg.find(b.why), std::string::npos) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceInvalid,
    ::testing::Values(Bad{"", "empty"}, Bad{"BusyBox", "must be lowercase"},
                      Bad{"docker.io/User/x", "must be lowercase"}, Bad{"quay.io/Foo", "must be lowercase"},
                      Bad{"busybox:", "invalid tag"}, Bad{"busybox:-x", "invalid tag"},
                      Bad{"busybox:" + std::string(129, 'x'), "invalid tag"},
                      Bad{"busybox:a+b", "invalid tag"}, Bad{"busybox@sha256:abc", "64 lowercase hex"},
                      Bad{"busybox@sha256:" + std::string(64, 'A'), "64 lowercase hex"},
                      Bad{"busybox@md5:" + std::string(32, 'a'), "unsupported digest algorithm"},
                      Bad{"busybox@" + kHex, "no algorithm"}, Bad{kHex, "image ID"},
                      Bad{"a//b", "path component"}, Bad{"/busybox", "path component"}, Bad{"@" + kDigest, "no repository name"},
                      Bad{"busybox/", "path component"}, Bad{"a_-b", "path component"},
                      Bad{"a___b", "path component"}, Bad{"-a", "path component"},
                      Bad{"a.", "path component"}, Bad{"foo bar", "path component"},
                      Bad{"-example.com/x", "invalid registry domain"},
                      Bad{"example.com:port/x", "invalid registry domain"},
                      Bad{"example.com:/x", "invalid registry domain"},
                      Bad{"[zz]:5000/x", "invalid registry domain"}, Bad{":5000/x", "invalid registry domain"},
                      Bad{"example.com/" + std::string(244, 'a'), "longer than 255"},
                      Bad{"busybox@sha256:" + kHex + "@sha256:" + kHex, "64 lowercase hex"}));

TEST(Reference, NameLengthLimitCountsTheNormalizedName) {
  // docker.io/ + 245 = 255 characters: the longest name accepted.
  EXPECT_NO_THROW(ParseReference("docker.io/x/" + std::string(243, 'a')));
  EXPECT_THROW(ParseReference("docker.io/x/" + std::string(244, 'a')), Error);
}

TEST(Reference, TagOrDigestPrefersTheDigest) {
  EXPECT_EQ(ParseReference("busybox").TagOrDigest(), "latest");
  EXPECT_EQ(ParseReference("busybox:1@" + kDigest).TagOrDigest(), kDigest);
  Reference r = ParseReference("busybox:1").WithDigest(kDigest);
  EXPECT_EQ(r.String(), "docker.io/library/busybox@" + kDigest);
}

TEST(Reference, RegistryApiHostMapsDockerHub) {
  EXPECT_EQ(RegistryApiHost("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(RegistryApiHost("quay.io"), "quay.io");
  EXPECT_EQ(RegistryApiHost("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(Reference, ValidateDigestNamesWhat) {
  EXPECT_NO_THROW(ValidateDigest(kDigest, "layer 1"));
  try {
    ValidateDigest("sha256:xyz", "digest of layer 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("digest of layer 1 \"sha256:xyz\""), std::string::npos) << e.what();
  }
}

TEST(Reference, DomainValidation) {
  EXPECT_TRUE(IsValidDomain("127.0.0.1:5000"));
  EXPECT_TRUE(IsValidDomain("a-b.example.com"));
  EXPECT_TRUE(IsValidDomain("[fe80::1]"));
  EXPECT_FALSE(IsValidDomain("a/b"));
  EXPECT_FALSE(IsValidDomain("host:"));
  EXPECT_FALSE(IsValidDomain(""));
}

}  // namespace
}  // namespace berth::image
