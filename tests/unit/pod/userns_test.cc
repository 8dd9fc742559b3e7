#include "pod/userns.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

runtime::v1::NamespaceOption UsernsOption(std::vector<std::array<uint32_t, 3>> uids, std::vector<std::array<uint32_t, 3>> gids,
                                 runtime::v1::NamespaceMode mode = runtime::v1::POD) {
  runtime::v1::NamespaceOption nso;
  auto* u = nso.mutable_userns_options();
  u->set_mode(mode);
  for (const auto& [c, h, n] : uids) {
    auto* m = u->add_uids();
    m->set_container_id(c);
    m->set_host_id(h);
    m->set_length(n);
  }
  for (const auto& [c, h, n] : gids) {
    auto* m = u->add_gids();
    m->set_container_id(c);
    m->set_host_id(h);
    m->set_length(n);
  }
  return nso;
}

std::string UsernsRefusal(const runtime::v1::NamespaceOption& nso) {
  try {
    PodUserns(nso, "userns_options");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

TEST(PodUserns, NodeOrNothingIsTheHostsAndPodNeedsGoodMappings) {
  EXPECT_FALSE(PodUserns({}, "f"));
  EXPECT_FALSE(PodUserns(UsernsOption({}, {}, runtime::v1::NODE), "f"));
  const auto m = PodUserns(UsernsOption({{0, 100000, 65536}}, {{0, 100000, 65536}}), "f");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->HostRootUid(), 100000u);
  EXPECT_EQ(m->HostRootGid(), 100000u);
  EXPECT_EQ(IdMapText(m->uids), "0 100000 65536\n");
  EXPECT_EQ(UsernsFromJson(UsernsToJson(*m)), *m);
  EXPECT_EQ(OciIdMappings(m->gids), nlohmann::json::parse(R"([{"containerID":0,"hostID":100000,"size":65536}])"));

  EXPECT_NE(UsernsRefusal(UsernsOption({}, {{0, 1, 1}})).find("userns_options.uids: mode POD needs at least one mapping"),
            std::string::npos);
  EXPECT_NE(UsernsRefusal(UsernsOption({{0, 100000, 0}}, {{0, 1, 1}})).find("length 0"), std::string::npos);
  EXPECT_NE(UsernsRefusal(UsernsOption({{0, 100000, 100}, {50, 200000, 100}}, {{0, 1, 1}})).find("overlap"), std::string::npos);
  EXPECT_NE(UsernsRefusal(UsernsOption({{0, 100000, 100}, {100, 100050, 100}}, {{0, 1, 1}})).find("overlap"), std::string::npos)
      << "host side";
  EXPECT_NE(UsernsRefusal(UsernsOption({{1, 100000, 100}}, {{0, 1, 1}})).find("container id 0"), std::string::npos);
  EXPECT_NE(UsernsRefusal(UsernsOption({{0, 0xffffff00, 0x1000}}, {{0, 1, 1}})).find("32-bit"), std::string::npos);
  EXPECT_NE(UsernsRefusal(UsernsOption({{0, 1, 1}}, {{0, 1, 1}}, runtime::v1::TARGET)).find("POD or NODE"), std::string::npos);
}

TEST(CheckContainerUserns, AContainerTakesItsPodsNamespace) {
  const auto pod = PodUserns(UsernsOption({{0, 100000, 65536}}, {{0, 100000, 65536}}), "f");
  EXPECT_NO_THROW(CheckContainerUserns({}, pod, "f"));
  EXPECT_NO_THROW(CheckContainerUserns({}, std::nullopt, "f"));
  EXPECT_NO_THROW(CheckContainerUserns(UsernsOption({}, {}), pod, "f")) << "POD without mappings: the pod's";
  EXPECT_NO_THROW(CheckContainerUserns(UsernsOption({{0, 100000, 65536}}, {{0, 100000, 65536}}), pod, "f"));
  EXPECT_NO_THROW(CheckContainerUserns(UsernsOption({}, {}, runtime::v1::NODE), std::nullopt, "f"));
  EXPECT_THROW(CheckContainerUserns(UsernsOption({}, {}, runtime::v1::NODE), pod, "f"), Error);
  EXPECT_THROW(CheckContainerUserns(UsernsOption({}, {}), std::nullopt, "f"), Error);
  EXPECT_THROW(CheckContainerUserns(UsernsOption({{0, 300000, 65536}}, {{0, 300000, 65536}}), pod, "f"), Error);
}

}  // namespace
}  // namespace berth::pod
