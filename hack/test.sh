#!/usr/bin/env bash
# The README's second command: installs dependencies, builds berth with
# warnings as errors and runs every test (unit and integration) with CTest.
# BERTH_SANITIZE=1 builds and runs the same tests under AddressSanitizer and
# UndefinedBehaviorSanitizer (in build/asan). Both passes are unity builds:
# most of our files include the CRI's 60k-line generated header, and parsing
# it once per batch of files instead of once per file makes a build take a
# third of the time (CI runs two builds and the fuzzers' within its budget).
# Extra arguments go to ctest. The plain pass ends with hack/fuzz.sh's
# libFuzzer targets for FUZZ_SECONDS (15) each.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "test.sh: run as root (integration tests use namespaces, mounts and cgroups)" >&2; exit 1; }
"$BERTH_SRC/hack/install-deps.sh"

if [ "${BERTH_SANITIZE:-0}" = 1 ]; then
  dir="$BERTH_SRC/build/asan"
  configure_and_build "$dir" -DCMAKE_BUILD_TYPE=Debug -DBERTH_WERROR=ON -DBERTH_SANITIZE=ON -DCMAKE_UNITY_BUILD=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # The reliability harness at smaller sizes: under the sanitizers each
  # cycle costs several times as much, and the plain run has the CI sizes.
  export BERTH_FAULT_CYCLES="${BERTH_FAULT_CYCLES:-5}" BERTH_LOAD_PODS="${BERTH_LOAD_PODS:-6}" \
    BERTH_RANDOM_CALLS="${BERTH_RANDOM_CALLS:-200}"
else
  dir="$BERTH_SRC/build/test"
  # -O2 as RelWithDebInfo, without its -g: debug info is a quarter of the
  # compile time, and the sanitizer pass is where failures get traced.
  configure_and_build "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DBERTH_WERROR=ON -DCMAKE_UNITY_BUILD=ON
fi
cd "$dir"
ctest --output-on-failure --timeout 300 -j "$JOBS" "$@"
# The libFuzzer targets, briefly (their own clang build in build/fuzz), in the
# plain pass only; a focused run (ctest arguments given) or BERTH_FUZZ=0 skips them.
if [ "${BERTH_SANITIZE:-0}" != 1 ] && [ $# -eq 0 ] && [ "${BERTH_FUZZ:-1}" != 0 ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-15}" "$BERTH_SRC/hack/fuzz.sh"
fi
