#pragma once
// The message of the berth::Error that `f` throws with code `want`; a test
// failure (and "") when it throws nothing or another code.
#include <gtest/gtest.h>

#include <string>

#include "storage/base/error.h"

namespace berth::testing {

template <class F>
std::string RefusalOf(F&& f, Code want = Code::kInvalidArgument) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), want) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

}  // namespace berth::testing
