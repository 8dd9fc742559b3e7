#include <gtest/gtest.h>

#include "storage/base/error.h"
#include "image/registry_auth.h"
#include "image/registry_endpoints.h"

namespace berth::image {
namespace {

using Registries = std::map<std::string, config::Registry>;

TEST(Endpoints, NoConfigIsTheRegistryAloneWithVerifiedTls) {
  auto e = ResolveEndpoints("quay.io", {});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], (Endpoint{"quay.io", false, false, {}}));
}

TEST(Endpoints, DockerHubUsesItsApiHost) {
  auto e = ResolveEndpoints("docker.io", {});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].host, "registry-1.docker.io");
}

TEST(Endpoints, MirrorsComeFirstInOrderEachWithItsOwnSettings) {
  Registries r;
  r["docker.io"] = {.mirrors = {"127.0.0.1:5000", "mirror.example.com"}, .insecure = false, .ca_files = {"/hub.pem"}};
  r["127.0.0.1:5000"] = {.mirrors = {"ignored:1"}, .insecure = true, .ca_files = {}};
  r["mirror.example.com"] = {.mirrors = {}, .insecure = false, .ca_files = {"/m.pem"}};
  auto e = ResolveEndpoints("docker.io", r);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0], (Endpoint{"127.0.0.1:5000", true, true, {}}));
  EXPECT_EQ(e[1], (Endpoint{"mirror.example.com", true, false, {"/m.pem"}}));
  EXPECT_EQ(e[2], (Endpoint{"registry-1.docker.io", false, false, {"/hub.pem"}}));
}

TEST(Endpoints, DuplicateAndSelfMirrorsAreSkipped) {
  Registries r;
  r["reg.io:5000"] = {.mirrors = {"m:1", "reg.io:5000", "m:1"}, .insecure = true, .ca_files = {}};
  auto e = ResolveEndpoints("reg.io:5000", r);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], (Endpoint{"m:1", true, false, {}}));
  EXPECT_EQ(e[1], (Endpoint{"reg.io:5000", false, true, {}}));
}

TEST(Endpoints, AMirrorThatIsNotAHostIsRejected) {
  Registries r;
  r["docker.io"] = {.mirrors = {"https://mirror/x"}, .insecure = false, .ca_files = {}};
  try {
    ResolveEndpoints("docker.io", r);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("https://mirror/x"), std::string::npos);
  }
}

TEST(Credentials, ServerAddressDecidesWhereTheyGo) {
  EXPECT_EQ(NormalizeServerAddress("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(NormalizeServerAddress("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(NormalizeServerAddress("http://127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_TRUE(CredentialsApplyTo("", "anything:1"));
  EXPECT_TRUE(CredentialsApplyTo("https://index.docker.io/v1/", "registry-1.docker.io"));
  EXPECT_FALSE(CredentialsApplyTo("docker.io", "127.0.0.1:5000"));  // not to a mirror
  EXPECT_TRUE(CredentialsApplyTo("127.0.0.1:5000", "127.0.0.1:5000"));
}

TEST(Credentials, AuthFieldIsBase64UserColonPassword) {
  Credentials c;
  c.auth = Base64Encode("alice:s3cr:et");
  EXPECT_EQ(c.UserPassword(), (std::pair<std::string, std::string>{"alice", "s3cr:et"}));
  c.username = "bob";
  c.password = "pw";
  EXPECT_EQ(c.UserPassword(), (std::pair<std::string, std::string>{"bob", "pw"}));
  Credentials bad;
  bad.auth = Base64Encode("nocolon");
  EXPECT_THROW(bad.UserPassword(), Error);
  bad.auth = "!!!";
  EXPECT_THROW(bad.UserPassword(), Error);
  EXPECT_EQ(Credentials{}.UserPassword(), (std::pair<std::string, std::string>{"", ""}));
}

TEST(Credentials, CacheKeyTellsCredentialsApartWithoutHoldingThem) {
  Credentials a{.username = "u", .password = "p1"}, b{.username = "u", .password = "p2"};
  EXPECT_NE(a.CacheKey(), b.CacheKey());
  EXPECT_EQ(a.CacheKey(), (Credentials{.username = "u", .password = "p1"}.CacheKey()));
  EXPECT_EQ(a.CacheKey().find("p1"), std::string::npos);
  EXPECT_EQ(Credentials{}.CacheKey(), "anonymous");
}

TEST(Base64, RoundTrips) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "user:password"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s), "x"), s);
  }
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(BasicAuthorization("user", "pass"), "Basic dXNlcjpwYXNz");
}

TEST(Challenges, ParsesBearerWithQuotedParams) {
  auto cs = ParseChallenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].params.at("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].params.at("scope"), "repository:library/busybox:pull");
}

TEST(Challenges, ParsesSeveralChallengesAndEscapes) {
  auto cs = ParseChallenges(R"(Basic realm="Registry \"R\"", Bearer realm=abc, error="invalid_token")");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "Registry \"R\"");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].params.at("realm"), "abc");
  EXPECT_EQ(cs[1].params.at("error"), "invalid_token");
  EXPECT_TRUE(ParseChallenges("").empty());
}

TEST(Tokens, UrlAndFormCarryServiceAndScope) {
  Challenge c{"bearer", {{"realm", "https://auth.example.com/token"}, {"service", "reg svc"}}};
  EXPECT_EQ(PullScope("library/busybox"), "repository:library/busybox:pull");
  EXPECT_EQ(TokenUrl(c, PullScope("a/b")),
            "https://auth.example.com/token?service=reg%20svc&scope=repository%3Aa%2Fb%3Apull");
  c.params["realm"] = "https://auth.example.com/token?x=1";
  EXPECT_EQ(TokenUrl(c, "s"), "https://auth.example.com/token?x=1&service=reg%20svc&scope=s");
  EXPECT_EQ(RefreshTokenForm(c, "s", "r/t"),
            "grant_type=refresh_token&client_id=berth&refresh_token=r%2Ft&service=reg%20svc&scope=s");
}

TEST(Tokens, ResponseHasTokenOrAccessToken) {
  Token t = ParseTokenResponse(R"({"token":"abc","expires_in":300})", "realm");
  EXPECT_EQ(t.value, "abc");
  EXPECT_EQ(t.expires_in, std::chrono::seconds(300));
  t = ParseTokenResponse(R"({"access_token":"xyz"})", "realm");
  EXPECT_EQ(t.value, "xyz");
  EXPECT_EQ(t.expires_in, std::chrono::seconds(60));
  try {
    ParseTokenResponse(R"({"nothing":1})", "https://auth/token");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("https://auth/token"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth::image
