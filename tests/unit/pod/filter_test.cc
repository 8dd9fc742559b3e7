// The list filters' shared rules: an id selects exactly or as a unique
// prefix (an ambiguous prefix selects nothing, as kubelet and crictl expect),
// and a label selector matches when every pair is among the labels.
#include "pod/filter.h"

#include <gtest/gtest.h>

#include <google/protobuf/map.h>

#include <memory>

namespace berth::pod {
namespace {

struct Rec {
  std::string id;
  int n = 0;
};

std::vector<std::string> Ids(const std::vector<Rec>& v) {
  std::vector<std::string> out;
  for (const auto& r : v) out.push_back(r.id);
  return out;
}

const std::vector<Rec> kAll = {{"abc123", 1}, {"abc", 2}, {"abd456", 3}, {"ff00", 4}};

TEST(SelectById, EmptyIdSelectsEverythingInOrder) {
  EXPECT_EQ(Ids(SelectById(kAll, "")), (std::vector<std::string>{"abc123", "abc", "abd456", "ff00"}));
  EXPECT_TRUE(SelectById(std::vector<Rec>{}, "").empty());
}

TEST(SelectById, AnExactIdWinsOverPrefixesOfOthers) {
  // "abc" is a prefix of "abc123" too, but it is some record's whole id.
  const auto got = SelectById(kAll, "abc");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "abc");
  EXPECT_EQ(got[0].n, 2);  // the record itself, not just its id
  EXPECT_EQ(Ids(SelectById(kAll, "abc123")), std::vector<std::string>{"abc123"});
}

TEST(SelectById, SharedRecordsSelectByTheirIds) {
  std::vector<std::shared_ptr<const Rec>> shared;
  for (const auto& r : kAll) shared.push_back(std::make_shared<const Rec>(r));
  const auto got = SelectById(shared, "abd");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], shared[2]);  // the same record, not a copy
  EXPECT_TRUE(SelectById(shared, "ab").empty());  // ambiguous
  EXPECT_EQ(SelectById(shared, "").size(), 4u);
}

TEST(SelectById, AUniquePrefixSelectsItsRecord) {
  EXPECT_EQ(Ids(SelectById(kAll, "abd")), std::vector<std::string>{"abd456"});
  EXPECT_EQ(Ids(SelectById(kAll, "f")), std::vector<std::string>{"ff00"});
  EXPECT_EQ(Ids(SelectById(kAll, "abc1")), std::vector<std::string>{"abc123"});
}

TEST(SelectById, AmbiguousUnknownOrLongerIdsSelectNothing) {
  EXPECT_TRUE(SelectById(kAll, "ab").empty());       // three match
  EXPECT_TRUE(SelectById(kAll, "zz").empty());
  EXPECT_TRUE(SelectById(kAll, "abc1234").empty());  // longer than the id
  EXPECT_TRUE(SelectById(kAll, "bc").empty());       // a substring is no prefix
  EXPECT_TRUE(SelectById(std::vector<Rec>{}, "a").empty());
}

TEST(LabelsMatch, EveryPairOfTheSelectorMustBeAmongTheLabels) {
  const std::map<std::string, std::string> labels = {{"app", "web"}, {"tier", "front"}, {"empty", ""}};
  using Sel = std::map<std::string, std::string>;
  EXPECT_TRUE(LabelsMatch(labels, Sel{}));  // an empty selector selects all
  EXPECT_TRUE(LabelsMatch(labels, Sel{{"app", "web"}}));
  EXPECT_TRUE(LabelsMatch(labels, Sel{{"app", "web"}, {"tier", "front"}}));
  EXPECT_TRUE(LabelsMatch(labels, Sel{{"empty", ""}}));
  EXPECT_FALSE(LabelsMatch(labels, Sel{{"app", "db"}}));
  EXPECT_FALSE(LabelsMatch(labels, Sel{{"app", "web"}, {"tier", "back"}}));
  EXPECT_FALSE(LabelsMatch(labels, Sel{{"missing", ""}}));  // absent is not empty
  EXPECT_FALSE(LabelsMatch({}, Sel{{"app", "web"}}));
}

TEST(LabelsMatch, TakesTheCrisProtobufMapAsSelector) {
  google::protobuf::Map<std::string, std::string> sel;
  sel["app"] = "web";
  EXPECT_TRUE(LabelsMatch({{"app", "web"}, {"x", "y"}}, sel));
  sel["x"] = "z";
  EXPECT_FALSE(LabelsMatch({{"app", "web"}, {"x", "y"}}, sel));
}

}  // namespace
}  // namespace berth::pod
