#include "pod/oci/runtime_errors.h"

#include <gtest/gtest.h>

namespace berth::pod::oci {
namespace {

TEST(ClassifyRuntimeError, AMissingCommandIsTheRequests) {
  for (const std::string text : {
           R"(runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH)",
           R"(exec: "/no/such": stat /no/such: no such file or directory)",
           R"(unable to start container process: exec: "/etc": permission denied)",
           "executable file `nope` not found in $PATH: No such file or directory"}) {
    const RuntimeFault f = ClassifyRuntimeError(text);
    EXPECT_EQ(f.code, Code::kFailedPrecondition) << text;
    EXPECT_NE(f.what.find("not in its image"), std::string::npos);
  }
}

TEST(ClassifyRuntimeError, ARefusedSysctlIsInvalid) {
  const std::string text =
      "runc create failed: unable to start container process: error during container init: open "
      "/proc/sys/net/ipv4/no_such: no such file or directory";
  EXPECT_EQ(ClassifyRuntimeError(text).code, Code::kInvalidArgument);
  const Error e = RuntimeError("create container x", text);
  EXPECT_EQ(e.code(), Code::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("config.linux.sysctls"), std::string::npos);
}

TEST(ClassifyRuntimeError, EverythingElseIsBerths) {
  for (const std::string text : {"", "cgroup: mkdir /sys/fs/cgroup/x: read-only file system", "container exists"}) {
    EXPECT_EQ(ClassifyRuntimeError(text).code, Code::kInternal) << text;
  }
  EXPECT_EQ(std::string(RuntimeError("ctx", "boom").what()), "ctx: boom");
}

}  // namespace
}  // namespace berth::pod::oci
