#include "storage/base/scope.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace berth {
namespace {

TEST(RollbackTest, UndoesInReverseOrderUnlessCommitted) {
  std::string undone;
  {
    Rollback rb("test");
    rb.Add("a", [&] { undone += "a"; });
    rb.Add("b", [&] { throw std::runtime_error("b fails"); });  // logged; the rest still runs
    rb.Add("c", [&] { undone += "c"; });
  }
  EXPECT_EQ(undone, "ca");
  undone.clear();
  {
    Rollback rb("test");
    rb.Add("a", [&] { undone += "a"; });
    rb.Commit();
  }
  EXPECT_EQ(undone, "");
}

TEST(ScopeExitTest, RunsOnNormalExitAndOnThrow) {
  int runs = 0;
  { ScopeExit guard([&] { ++runs; }); }
  EXPECT_EQ(runs, 1);
  try {
    ScopeExit guard([&] { ++runs; });
    throw std::runtime_error("x");
  } catch (const std::exception&) {
  }
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace berth
