# Shared by the hack/ scripts: paths and the build step.
# shellcheck shell=bash
BERTH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${JOBS:-$(nproc)}

# configure_and_build BUILD_DIR [cmake args...]
configure_and_build() {
  local dir=$1
  shift
  cmake -S "$BERTH_SRC" -B "$dir" "$@"
  cmake --build "$dir" -j "$JOBS"
}
