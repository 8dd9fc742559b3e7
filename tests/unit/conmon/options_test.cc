// berth-conmon's command line: --attach-socket (the other flags are
// covered in runtime_test.cc, beside the command lines they feed).
#include "conmon/options.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace berth::conmon {
namespace {

Options Parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"berth-conmon", "--runtime", "/usr/sbin/runc", "--id", "c1", "--bundle", "/b",
                             "--pid-file", "/b/pid", "--exit-file", "/x/exit"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(ConmonOptions, AttachSocket) {
  EXPECT_EQ(Parse({"--attach-socket", "/run/berth/containers/c1/attach.sock"}).attach_socket,
            "/run/berth/containers/c1/attach.sock");
  EXPECT_TRUE(Parse({}).attach_socket.empty()) << "no attach socket unless asked";
  const Options o = Parse({"--stdin", "--attach-socket", "/a.sock", "--tty"});
  EXPECT_EQ(o.attach_socket, "/a.sock");
  EXPECT_TRUE(o.stdin_open);
  EXPECT_TRUE(o.tty);
  EXPECT_THROW(Parse({"--attach-socket"}), std::invalid_argument);  // no value
}

}  // namespace
}  // namespace berth::conmon
