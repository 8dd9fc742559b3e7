// Capability sets: names normalise to CAP_*, the known list is indexed by
// capability number, berthd's own set matches what the kernel says, and the
// CRI's add/drop/ALL/ambient/privileged rules give containerd's results.
#include "pod/capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

using nlohmann::json;
using Caps = std::vector<std::string>;

runtime::v1::Capability Cri(const Caps& add, const Caps& drop, const Caps& ambient = {}) {
  runtime::v1::Capability c;
  for (const auto& s : add) c.add_add_capabilities(s);
  for (const auto& s : drop) c.add_drop_capabilities(s);
  for (const auto& s : ambient) c.add_add_ambient_capabilities(s);
  return c;
}

Caps Set(const json& out, const char* key = "effective") { return out.at(key).get<Caps>(); }

Caps Plus(Caps base, const Caps& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

// A stand-in for berthd's own set: what "ALL" means.
const Caps kAll = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE"};

TEST(KnownCapabilities, IndexedByTheKernelsCapabilityNumbers) {
  const Caps& known = KnownCapabilities();
  ASSERT_EQ(known.size(), 41u);
  EXPECT_EQ(known[CAP_CHOWN], "CAP_CHOWN");
  EXPECT_EQ(known[CAP_NET_BIND_SERVICE], "CAP_NET_BIND_SERVICE");
  EXPECT_EQ(known[CAP_NET_ADMIN], "CAP_NET_ADMIN");
  EXPECT_EQ(known[CAP_SYS_ADMIN], "CAP_SYS_ADMIN");
  EXPECT_EQ(known[CAP_MKNOD], "CAP_MKNOD");
  EXPECT_EQ(known[CAP_SETFCAP], "CAP_SETFCAP");
  EXPECT_EQ(known[CAP_AUDIT_READ], "CAP_AUDIT_READ");
  EXPECT_EQ(known[40], "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(std::set<std::string>(known.begin(), known.end()).size(), known.size());  // no duplicates
}

TEST(DefaultCapabilities, TheCommonRuntimesSetWithoutThePowerfulOnes) {
  const Caps& def = DefaultCapabilities();
  EXPECT_EQ(def.size(), 14u);
  const Caps& known = KnownCapabilities();
  for (const auto& c : def) EXPECT_NE(std::find(known.begin(), known.end(), c), known.end()) << c;
  for (const char* c : {"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_SETUID", "CAP_AUDIT_WRITE"}) {
    EXPECT_NE(std::find(def.begin(), def.end(), c), def.end()) << c;
  }
  for (const char* c : {"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_DAC_READ_SEARCH"}) {
    EXPECT_EQ(std::find(def.begin(), def.end(), c), def.end()) << c;
  }
}

TEST(CapabilityName, AnyCaseWithOrWithoutPrefix) {
  EXPECT_EQ(CapabilityName("net_admin"), "CAP_NET_ADMIN");
  EXPECT_EQ(CapabilityName("NET_ADMIN"), "CAP_NET_ADMIN");
  EXPECT_EQ(CapabilityName("CAP_NET_ADMIN"), "CAP_NET_ADMIN");
  EXPECT_EQ(CapabilityName("cap_Sys_Admin"), "CAP_SYS_ADMIN");
  EXPECT_EQ(CapabilityName("checkpoint_restore"), "CAP_CHECKPOINT_RESTORE");
}

TEST(CapabilityName, UnknownNamesAreInvalidArgumentQuotingThem) {
  for (const std::string bad : {"NET_ADMINX", "", "CAP_", "ALL", "CAP_CAP_KILL", " KILL"}) {
    try {
      CapabilityName(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("unknown capability \"" + bad + "\""), std::string::npos) << e.what();
    }
  }
}

TEST(OwnCapabilities, MatchesTheKernelsEffectiveSet) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  ASSERT_EQ(::syscall(SYS_capget, &hdr, data), 0);
  const uint64_t eff = data[0].effective | (uint64_t{data[1].effective} << 32);
  Caps want;
  for (size_t bit = 0; bit < KnownCapabilities().size(); ++bit) {
    if (eff & (uint64_t{1} << bit)) want.push_back(KnownCapabilities()[bit]);
  }
  EXPECT_EQ(OwnCapabilities(), want);  // in capability-number order
}

TEST(ContainerCapabilities, NothingRequestedIsTheDefaultSetInAllThreeSets) {
  const json out = ContainerCapabilities({}, false, kAll);
  for (const char* key : {"bounding", "effective", "permitted"}) EXPECT_EQ(Set(out, key), DefaultCapabilities()) << key;
  EXPECT_FALSE(out.contains("inheritable"));
  EXPECT_FALSE(out.contains("ambient"));
}

TEST(ContainerCapabilities, AddsGoAfterTheDefaultsOnceAndDropsRemove) {
  const auto cri = Cri({"net_admin", "CAP_SYS_PTRACE", "chown", "NET_ADMIN"}, {"MKNOD", "cap_net_raw"});
  const json out = ContainerCapabilities(cri, false, kAll);
  Caps want = Plus(DefaultCapabilities(), {"CAP_NET_ADMIN", "CAP_SYS_PTRACE"});
  want.erase(std::remove(want.begin(), want.end(), "CAP_MKNOD"), want.end());
  want.erase(std::remove(want.begin(), want.end(), "CAP_NET_RAW"), want.end());
  EXPECT_EQ(Set(out), want);
  EXPECT_EQ(Set(out, "bounding"), want);
}

TEST(ContainerCapabilities, DropWinsOverAddOfTheSameCapability) {
  // Single drops come after single adds.
  const Caps got = Set(ContainerCapabilities(Cri({"NET_ADMIN"}, {"NET_ADMIN"}), false, kAll));
  EXPECT_EQ(got, DefaultCapabilities());
}

TEST(ContainerCapabilities, AllInAnySpellingMeansTheGivenSet) {
  for (const std::string all : {"ALL", "all", "CAP_ALL", "cap_all"}) {
    EXPECT_EQ(Set(ContainerCapabilities(Cri({all}, {}), false, kAll)), kAll) << all;
  }
  // ALL plus a single drop.
  EXPECT_EQ(Set(ContainerCapabilities(Cri({"ALL"}, {"SYS_ADMIN"}), false, kAll)),
            (Caps{"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"}));
}

TEST(ContainerCapabilities, DropAllThenSingleAdds) {
  EXPECT_TRUE(Set(ContainerCapabilities(Cri({}, {"ALL"}), false, kAll)).empty());
  EXPECT_EQ(Set(ContainerCapabilities(Cri({"NET_BIND_SERVICE"}, {"ALL"}), false, kAll)), Caps{"CAP_NET_BIND_SERVICE"});
  // Add ALL is applied before drop ALL: nothing is left but the single adds.
  EXPECT_EQ(Set(ContainerCapabilities(Cri({"ALL", "KILL"}, {"all"}), false, kAll)), Caps{"CAP_KILL"});
}

TEST(ContainerCapabilities, PrivilegedGetsTheGivenSetWhateverAddAndDropSay) {
  EXPECT_EQ(Set(ContainerCapabilities(Cri({"SYS_PTRACE"}, {"ALL", "CHOWN"}), true, kAll)), kAll);
  EXPECT_EQ(Set(ContainerCapabilities({}, true, KnownCapabilities()), "permitted"), KnownCapabilities());
}

TEST(ContainerCapabilities, AmbientCapabilitiesArePermittedAndInheritableToo) {
  // Even when dropped (or all dropped): an ambient capability needs the others.
  const json out =
      ContainerCapabilities(Cri({}, {"ALL"}, {"net_bind_service", "NET_BIND_SERVICE", "KILL"}), false, kAll);
  const Caps ambient = {"CAP_NET_BIND_SERVICE", "CAP_KILL"};
  EXPECT_EQ(Set(out, "ambient"), ambient);
  EXPECT_EQ(Set(out, "inheritable"), ambient);
  EXPECT_EQ(Set(out, "effective"), ambient);
  EXPECT_EQ(Set(out, "bounding"), ambient);
  // Added to the defaults once when already there.
  const json def = ContainerCapabilities(Cri({}, {}, {"KILL", "NET_ADMIN"}), false, kAll);
  EXPECT_EQ(Set(def), Plus(DefaultCapabilities(), {"CAP_NET_ADMIN"}));
}

TEST(ContainerCapabilities, UnknownNamesInAnyListAreInvalidArgument) {
  EXPECT_THROW(ContainerCapabilities(Cri({"FLY"}, {}), false, kAll), Error);
  EXPECT_THROW(ContainerCapabilities(Cri({}, {"FLY"}), false, kAll), Error);
  EXPECT_THROW(ContainerCapabilities(Cri({}, {}, {"FLY"}), false, kAll), Error);
  // Ambient names are checked for privileged containers, too.
  EXPECT_THROW(ContainerCapabilities(Cri({}, {}, {"ALL"}), true, kAll), Error);
}

}  // namespace
}  // namespace berth::pod
