#!/usr/bin/env bash
# Builds berth's libFuzzer targets (tests/fuzz) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer in build/fuzz, and runs each for
# FUZZ_SECONDS (30) over a fresh copy of its seed corpus, after replaying the
# saved crashes in tests/fuzz/regressions/ (each a bug found and fixed).
# Exits non-zero, naming each reproducer, if any fuzzer finds a crash or a
# regression crashes again. FUZZ_TARGETS="reference config" runs only those; corpora, crashes and logs go to build/fuzz/run (FUZZ_WORK),
# never into the source tree.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

seconds=${FUZZ_SECONDS:-30}
dir="$BERTH_SRC/build/fuzz"
work=${FUZZ_WORK:-$dir/run}
read -r -a targets <<< "${FUZZ_TARGETS:-reference config log_writer container_spec}"
fuzz_src="$BERTH_SRC/tests/fuzz"

# clang with libFuzzer and the sanitizer runtimes, besides berth's own build dependencies.
install_clang() {
  local missing=() p
  for p in clang libclang-rt-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "fuzz.sh: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Every library the fuzzers link gets coverage and sanitizers; the fuzzers add -fsanitize=fuzzer.
configure() {
  local san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  CC=clang CXX=clang++ cmake -S "$BERTH_SRC" -B "$dir" -DBERTH_FUZZ=ON -DBERTH_TESTS=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" > "$work/configure.log" \
    || { cat "$work/configure.log" >&2; return 1; }
}

# seed_corpus NAME OUT: copies NAME's seeds to OUT; protobuf text seeds (*.txtpb) are encoded.
seed_corpus() {
  local name=$1 out=$2 f
  rm -rf "$out"
  mkdir -p "$out"
  for f in "$fuzz_src/corpus/$name"/*; do
    if [[ $f == *.txtpb ]]; then
      protoc --encode=runtime.v1.ContainerConfig -I "$BERTH_SRC" "$BERTH_SRC/cri/api.proto" < "$f" \
        > "$out/$(basename "$f" .txtpb)" 2> >(grep -v 'deprecated field' >&2)
    else
      cp "$f" "$out/"
    fi
  done
}

# replay NAME: runs NAME's saved regressions once each; false if one still crashes.
replay() {
  local name=$1 f ok=0
  for f in "$fuzz_src/regressions/$name"-*; do
    [ -e "$f" ] || continue
    local log="$work/regression-$(basename "$f").log"
    if ! "$dir/tests/fuzz/${name}_fuzz" "$f" > "$log" 2>&1; then
      echo "fuzz.sh: $name: regression $f still crashes: $(grep -a -m1 'fuzz finding' "$log" | sed 's/.*fuzz finding: //') (log: $log)" >&2
      ok=1
    fi
  done
  return $ok
}

# fuzz NAME: one fuzzing session; false, the reproducers named, if it found a crash.
fuzz() {
  local name=$1 corpus="$work/corpus/$1" crashes="$work/crashes/$1/" log="$work/$1.log" status=0
  seed_corpus "$name" "$corpus"
  rm -rf "$crashes"
  mkdir -p "$crashes"
  "$dir/tests/fuzz/${name}_fuzz" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$crashes" "$corpus" > "$log" 2>&1 || status=$?
  local runs
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log" | tail -1)
  printf 'fuzz.sh: %-15s %s\n' "$name" \
    "$(awk '{ printf "%d runs in %ds, %d exec/s", $1, $2, ($2 > 0 ? $1 / $2 : $1) }' <<< "${runs:-0 0}"), corpus $(find "$corpus" -type f | wc -l) inputs"
  [ "$status" -eq 0 ] && return 0
  echo "fuzz.sh: $name found a crash (exit $status); log: $log" >&2
  grep -a -m1 -A3 -E '^==[0-9]+==ERROR|fuzz finding|runtime error' "$log" | cut -c1-400 >&2 || tail -20 "$log" >&2
  local f
  for f in "$crashes"*; do
    [ -e "$f" ] && echo "fuzz.sh: $name reproducer: $f (replay: $dir/tests/fuzz/${name}_fuzz $f)" >&2
  done
  return 1
}

main() {
  install_clang
  "$BERTH_SRC/hack/install-deps.sh"
  mkdir -p "$work"
  configure
  cmake --build "$dir" -j "$JOBS" --target "${targets[@]/%/_fuzz}"
  rm -rf "$work/tmp"
  mkdir -p "$work/tmp"
  export TMPDIR="$work/tmp"  # the log writer's files and the spec's seccomp profiles
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
  local failed=() name
  for name in "${targets[@]}"; do
    replay "$name" || failed+=("$name (regression)")
    fuzz "$name" || failed+=("$name")
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: crashes in: ${failed[*]}" >&2
    return 1
  fi
  echo "fuzz.sh: no crashes (${#targets[@]} targets, ${seconds}s each)"
}

main
