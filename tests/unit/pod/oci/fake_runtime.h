#pragma once
// A stand-in OCI runtime for the unit tests of pod/oci/: a shell script that
// logs each call to <root>/calls and answers from files in its --root:
//   running   present: the container runs (kill succeeds)
//   dies_on   signal names (one per line) on which it exits, writing the
//             exit file named in <root>/exitfile
//   state     the `state` JSON; absent: "container does not exist"
//   list      the `list` JSON
//   delete_fails  its text is delete's error (exit 1), as runsc's
//             "container ... not found" after it removed its record
// What berth does with real runc is checked by the integration tests.

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace berth::pod::oci::testing {

inline constexpr const char* kFakeRuntime = R"SH(#!/bin/sh
root=$2; shift 2
echo "$*" >> "$root/calls"
case "$1" in
  state) if [ -f "$root/state" ]; then cat "$root/state"; else echo "container does not exist" >&2; exit 1; fi ;;
  kill)
    for sig; do :; done
    if [ ! -f "$root/running" ]; then echo "container not running" >&2; exit 1; fi
    if [ -f "$root/dies_on" ] && grep -qx "$sig" "$root/dies_on"; then
      printf '{"exit_code":137,"finished_at_ns":1}' > "$(cat "$root/exitfile")"
      rm -f "$root/running"
    fi ;;
  delete) if [ -f "$root/delete_fails" ]; then cat "$root/delete_fails" >&2; exit 1; fi ;;
  start) if [ -f "$root/start_fails" ]; then echo "exec: no such file" >&2; exit 1; fi ;;
  list) cat "$root/list" 2>/dev/null || echo '[]' ;;
esac
)SH";

struct FakeRuntime {
  FakeRuntime() {
    path = dir.Write("bin/fake-runc", kFakeRuntime);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    root = (dir.path() / "root").string();
    std::filesystem::create_directories(root);
    run_dir = (dir.path() / "run/c1").string();
    std::filesystem::create_directories(run_dir);
    Set("exitfile", run_dir + "/exit");
  }
  void Set(const std::string& name, const std::string& text) const { std::ofstream(root + "/" + name) << text; }
  std::string Calls() const {
    std::ifstream in(root + "/calls");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  berth::testing::TempDir dir;
  std::string path, root, run_dir;
};

}  // namespace berth::pod::oci::testing
