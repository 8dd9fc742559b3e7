#!/usr/bin/env bash
# The README's second command: installs dependencies, builds berth with
# warnings as errors and runs every test (unit and integration) with CTest.
# BERTH_SANITIZE=1 builds and runs the same tests under AddressSanitizer and
# UndefinedBehaviorSanitizer (in build/asan), as a unity build: most of our
# files include the CRI's 60k-line generated header, and parsing it once per
# batch of files instead of once per file makes that build much shorter (the
# plain build stays one file per unit, so a missing #include still fails it).
# Extra arguments go to ctest.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "test.sh: run as root (integration tests use namespaces, mounts and cgroups)" >&2; exit 1; }
"$BERTH_SRC/hack/install-deps.sh"

if [ "${BERTH_SANITIZE:-0}" = 1 ]; then
  dir="$BERTH_SRC/build/asan"
  configure_and_build "$dir" -DCMAKE_BUILD_TYPE=Debug -DBERTH_WERROR=ON -DBERTH_SANITIZE=ON -DCMAKE_UNITY_BUILD=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  dir="$BERTH_SRC/build/test"
  # -O2 as RelWithDebInfo, without its -g: debug info is a quarter of the
  # compile time, and the sanitizer pass is where failures get traced.
  configure_and_build "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DBERTH_WERROR=ON
fi
cd "$dir"
ctest --output-on-failure --timeout 300 -j "$JOBS" "$@"
