// ResolveContainerUser: which uid, gid and groups a container's process
// gets from the CRI security context or the image's User, looked up in the
// image's /etc/passwd and /etc/group (malformed lines skipped), with the
// primary gid always first and the CRI's rules on exclusive fields.
#include "pod/container_user.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

using Gids = std::vector<uint32_t>;
using SecurityContext = runtime::v1::LinuxContainerSecurityContext;

const std::string kPasswd =
    "# comment line\n"
    "root:x:0:0:root:/root:/bin/sh\n"
    "+nisuser:x:500:500::/:/bin/sh\n"
    "-nisother\n"
    "daemon:x:1:1\n"               // four fields are enough
    "short:x:7\n"                  // too few fields: skipped
    "bad:x:abc:1::/:/bin/sh\n"     // non-numeric uid: skipped
    "badgid:x:8:g::/:/bin/sh\n"    // non-numeric gid: skipped
    "\n"
    "www:x:33:33:web:/var/www:/bin/false\n"
    "bob:x:1000:1000::/home/bob:/bin/sh\n";
const std::string kGroup =
    "root:x:0:\n"
    "wheel:x:10:root,bob\n"
    "www:x:33:www\n"  // www is a member of its own primary group
    "audio:x:29:www,bob\n"
    "video:x:44:bob\n"
    "users:x:100:\n"
    "broken:x:zz:bob\n"  // non-numeric gid: skipped
    "bob:x:1000:\n";

ContainerUser Resolve(const SecurityContext& sc, const std::string& image_user) {
  return ResolveContainerUser(sc, image_user, kPasswd, kGroup);
}

// The message of the berth::Error resolving throws ("" if none).
std::string Failure(const SecurityContext& sc, const std::string& image_user) {
  try {
    Resolve(sc, image_user);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "resolved " << image_user;
  return "";
}

TEST(ResolveContainerUser, NoUserAnywhereIsRootWithItsMemberships) {
  const ContainerUser u = Resolve({}, "");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.additional_gids, (Gids{0, 10}));
}

TEST(ResolveContainerUser, AnImageUserNameGivesItsIdsPrimaryFirstThenMembershipsOnce) {
  const ContainerUser www = Resolve({}, "www");
  EXPECT_EQ(www.uid, 33u);
  EXPECT_EQ(www.gid, 33u);
  EXPECT_EQ(www.additional_gids, (Gids{33, 29}));
  const ContainerUser bob = Resolve({}, "bob");
  EXPECT_EQ(bob.uid, 1000u);
  EXPECT_EQ(bob.additional_gids, (Gids{1000, 10, 29, 44}));  // in /etc/group order; "broken" skipped
}

TEST(ResolveContainerUser, ANumericUserUsesItsPasswdEntryWhenThereIsOne) {
  const ContainerUser bob = Resolve({}, "1000");
  EXPECT_EQ(bob.gid, 1000u);
  EXPECT_EQ(bob.additional_gids, (Gids{1000, 10, 29, 44}));
  // No entry: group 0 and no memberships.
  const ContainerUser anon = Resolve({}, "4711");
  EXPECT_EQ(anon.uid, 4711u);
  EXPECT_EQ(anon.gid, 0u);
  EXPECT_EQ(anon.additional_gids, Gids{0});
  EXPECT_EQ(Resolve({}, "4294967295").uid, 4294967295u);
}

TEST(ResolveContainerUser, AnImageGroupByNameOrNumberReplacesThePrimaryGroup) {
  const ContainerUser byname = Resolve({}, "www:video");
  EXPECT_EQ(byname.uid, 33u);
  EXPECT_EQ(byname.gid, 44u);
  EXPECT_EQ(byname.additional_gids, (Gids{44, 33, 29}));  // the image's memberships still count
  const ContainerUser numeric = Resolve({}, "4711:4712");
  EXPECT_EQ(numeric.uid, 4711u);
  EXPECT_EQ(numeric.gid, 4712u);
  EXPECT_EQ(numeric.additional_gids, Gids{4712});
}

TEST(ResolveContainerUser, MalformedImageUsersAreRefused) {
  for (const std::string bad : {":", "www:", ":video", "1000:"}) {
    EXPECT_NE(Failure({}, bad).find("malformed image User \"" + bad + "\": want user[:group]"), std::string::npos)
        << bad;
  }
}

TEST(ResolveContainerUser, NamesTheImageLacksAreInvalidArgumentNamingThem) {
  EXPECT_NE(Failure({}, "nobody").find("user \"nobody\" (image User \"nobody\") is not in the image's /etc/passwd"),
            std::string::npos);
  EXPECT_NE(Failure({}, "www:wheelz")
                .find("group \"wheelz\" (image User \"www:wheelz\") is not in the image's /etc/group"),
            std::string::npos);
  // Lines that were skipped as malformed define nobody.
  for (const char* skipped : {"short", "bad", "badgid", "nisuser", "+nisuser"}) {
    EXPECT_NE(Failure({}, skipped).find("is not in the image's /etc/passwd"), std::string::npos) << skipped;
  }
  EXPECT_NE(Failure({}, "bob:broken").find("is not in the image's /etc/group"), std::string::npos);
  // Beyond uint32: no uid, so a name, and no such name.
  EXPECT_NE(Failure({}, "4294967296").find("user \"4294967296\""), std::string::npos);
}

TEST(ResolveContainerUser, WithoutPasswdOrGroupOnlyNumbersResolve) {
  const ContainerUser u = ResolveContainerUser({}, "1000:1000", "", "");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_EQ(u.additional_gids, Gids{1000});
  EXPECT_THROW(ResolveContainerUser({}, "www", "", ""), Error);
}

TEST(ResolveContainerUser, RunAsUserOverridesTheImageUser) {
  SecurityContext sc;
  sc.mutable_run_as_user()->set_value(1000);
  const ContainerUser u = Resolve(sc, "www:video");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);  // bob's, not the image's video
  EXPECT_EQ(u.additional_gids, (Gids{1000, 10, 29, 44}));
  // Zero is set, too (a wrapper, not a plain field).
  sc.mutable_run_as_user()->set_value(0);
  EXPECT_EQ(Resolve(sc, "www").uid, 0u);
}

TEST(ResolveContainerUser, RunAsUsernameAndRunAsGroup) {
  SecurityContext sc;
  sc.set_run_as_username("www");
  sc.mutable_run_as_group()->set_value(44);
  const ContainerUser u = Resolve(sc, "bob");
  EXPECT_EQ(u.uid, 33u);
  EXPECT_EQ(u.gid, 44u);
  EXPECT_EQ(u.additional_gids, (Gids{44, 33, 29}));
  sc.set_run_as_username("ghost");
  EXPECT_NE(Failure(sc, "").find("user \"ghost\" (run_as_username) is not in the image's /etc/passwd"),
            std::string::npos);
}

TEST(ResolveContainerUser, TheCrisExclusiveAndDependentFieldsAreEnforced) {
  SecurityContext both;
  both.mutable_run_as_user()->set_value(1);
  both.set_run_as_username("www");
  EXPECT_NE(Failure(both, "").find("run_as_user and run_as_username are both set"), std::string::npos);
  SecurityContext group_only;
  group_only.mutable_run_as_group()->set_value(44);
  // A group without a user is refused even when the image names a user.
  EXPECT_NE(Failure(group_only, "www").find("run_as_group is set without run_as_user or run_as_username"),
            std::string::npos);
}

TEST(ResolveContainerUser, IdsOutOfRangeAreRefused) {
  SecurityContext sc;
  sc.mutable_run_as_user()->set_value(-1);
  EXPECT_NE(Failure(sc, "").find("run_as_user -1 is out of range"), std::string::npos);
  sc.mutable_run_as_user()->set_value(int64_t{1} << 32);
  EXPECT_NE(Failure(sc, "").find("run_as_user 4294967296 is out of range"), std::string::npos);
  sc.mutable_run_as_user()->set_value(1000);
  sc.mutable_run_as_group()->set_value(-5);
  EXPECT_NE(Failure(sc, "").find("run_as_group -5 is out of range"), std::string::npos);
  sc.mutable_run_as_group()->set_value(1000);
  sc.add_supplemental_groups(-2);
  EXPECT_NE(Failure(sc, "").find("supplemental group -2 is out of range"), std::string::npos);
}

TEST(ResolveContainerUser, SupplementalGroupsComeLastAndOnce) {
  SecurityContext sc;
  sc.set_run_as_username("www");
  for (int64_t g : {5000, 29, 33, 5000, 6000}) sc.add_supplemental_groups(g);
  EXPECT_EQ(Resolve(sc, "").additional_gids, (Gids{33, 29, 5000, 6000}));
}

TEST(ResolveContainerUser, StrictPolicyIgnoresTheImagesMemberships) {
  SecurityContext sc;
  sc.set_run_as_username("bob");
  sc.set_supplemental_groups_policy(runtime::v1::Strict);
  sc.add_supplemental_groups(44);
  sc.add_supplemental_groups(7);
  const ContainerUser u = Resolve(sc, "");
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_EQ(u.additional_gids, (Gids{1000, 44, 7}));
  sc.set_supplemental_groups_policy(runtime::v1::Merge);
  EXPECT_EQ(Resolve(sc, "").additional_gids, (Gids{1000, 10, 29, 44, 7}));
}

}  // namespace
}  // namespace berth::pod
