#include "pod/mac.h"

#include <gtest/gtest.h>

#include <functional>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

using P = runtime::v1::SecurityProfile;

P MacProfile(P::ProfileType t, const std::string& ref = "") {
  P p;
  p.set_profile_type(t);
  p.set_localhost_ref(ref);
  return p;
}

// The code of the berth::Error `f` throws; kInternal with a failure if none.
Code MacCodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "accepted";
  return Code::kInternal;
}

TEST(AppArmorProfile, WithoutAppArmorDefaultsRunAndExplicitProfilesFail) {
  const MacNode none;
  EXPECT_EQ(AppArmorProfile(false, P(), "", false, none, "berth-default", "f"), "");
  EXPECT_EQ(AppArmorProfile(false, P(), "runtime/default", false, none, "berth-default", "f"), "");
  EXPECT_EQ(AppArmorProfile(true, MacProfile(P::RuntimeDefault), "", false, none, "berth-default", "f"), "");
  EXPECT_EQ(AppArmorProfile(false, P(), "unconfined", false, none, "berth-default", "f"), "");
  EXPECT_EQ(MacCodeOf([&] { AppArmorProfile(false, P(), "localhost/my-profile", false, none, "d", "f"); }),
            Code::kFailedPrecondition);
  EXPECT_EQ(MacCodeOf([&] { AppArmorProfile(true, MacProfile(P::Localhost, "my"), "", false, none, "d", "f"); }),
            Code::kFailedPrecondition);
  EXPECT_EQ(MacCodeOf([&] { AppArmorProfile(false, P(), "my-profile", false, none, "d", "f"); }),
            Code::kInvalidArgument);
}

TEST(AppArmorProfile, OnAnAppArmorNodeProfilesMustBeLoaded) {
  MacNode node;
  node.apparmor = true;
  node.apparmor_loaded = {"berth-default", "custom"};
  EXPECT_EQ(AppArmorProfile(false, P(), "", false, node, "berth-default", "f"), "berth-default");
  EXPECT_EQ(AppArmorProfile(false, P(), "localhost/custom", false, node, "berth-default", "f"), "custom");
  EXPECT_EQ(AppArmorProfile(true, MacProfile(P::Localhost, "custom"), "", false, node, "berth-default", "f"), "custom");
  EXPECT_EQ(AppArmorProfile(false, P(), "localhost/custom", true, node, "berth-default", "f"), "")
      << "privileged runs unconfined";
  EXPECT_EQ(MacCodeOf([&] { AppArmorProfile(false, P(), "localhost/missing", false, node, "berth-default", "f"); }),
            Code::kInvalidArgument);
  node.apparmor_loaded = {};
  EXPECT_EQ(AppArmorProfile(false, P(), "", false, node, "berth-default", "f"), "") << "unset: unconfined, logged";
  EXPECT_EQ(MacCodeOf([&] { AppArmorProfile(false, P(), "runtime/default", false, node, "berth-default", "f"); }),
            Code::kFailedPrecondition);
}

TEST(SelinuxLabel, OptionsNeedSelinux) {
  runtime::v1::SELinuxOption opt;
  EXPECT_EQ(SelinuxLabel(opt, MacNode{}, "f"), "");
  opt.set_level("s0:c1,c2");
  EXPECT_EQ(MacCodeOf([&] { SelinuxLabel(opt, MacNode{}, "f"); }), Code::kFailedPrecondition);
  MacNode node;
  node.selinux = true;
  EXPECT_EQ(MacCodeOf([&] { SelinuxLabel(opt, node, "f"); }), Code::kInvalidArgument) << "partial";
  opt.set_user("system_u");
  opt.set_role("system_r");
  opt.set_type("container_t");
  EXPECT_EQ(SelinuxLabel(opt, node, "f"), "system_u:system_r:container_t:s0:c1,c2");
  opt.set_type("container_t\nx");
  EXPECT_EQ(MacCodeOf([&] { SelinuxLabel(opt, node, "f"); }), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::pod
