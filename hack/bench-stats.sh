#!/usr/bin/env bash
# Stats benchmark: ListContainerStats and ListPodSandboxStats with many
# running containers, berth against containerd (Debian's 1.6, CRI plugin) in
# the same run (both set up by hack/bench-daemons.sh: same runc, CNI config,
# pause binary and busybox image from the private registry).
#
# Per runtime: BENCH_PODS pods of BENCH_PER_POD `sleep` containers each (10 x
# 10 = 100, untimed), then BENCH_SAMPLES rounds of one ListContainerStats and
# one ListPodSandboxStats (no filter, as kubelet's summary API calls them),
# each timed, and checked to list every container and pod. The runtimes take
# turns BENCH_ROUNDS times, the order alternating. kubelet calls these every
# 10 s or so, so most calls in a real node are a fresh sample; berth answers
# from a sample it keeps a second (pod/pod_stats.h), which both a cold first
# call and the warm calls after it measure here.
#
# Prints p50 and p99 (nearest rank) per runtime and the ratios berth/containerd
# (below 1: berth faster); every sample goes to /var/tmp/berth-bench/stats-DATE.tsv.
#
# usage: hack/bench-stats.sh
#   BENCH_PODS=10 BENCH_PER_POD=10 BENCH_SAMPLES=20 BENCH_ROUNDS=2
#   JOBS, BENCH_BUILD_DIR, BENCH_CACHE, BENCH_SUBNET_*: see hack/bench-daemons.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_NAME=stats
PODS=${BENCH_PODS:-10}
PER_POD=${BENCH_PER_POD:-10}
SAMPLES=${BENCH_SAMPLES:-20}
ROUNDS=${BENCH_ROUNDS:-2}
for v in PODS PER_POD SAMPLES ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-stats: BENCH_$v must be a positive number" >&2; exit 1; }
done
source "$BERTH_SRC/hack/bench-daemons.sh"

start_both_with_busybox

RESULT=$CACHE/stats-$(date +%Y%m%d-%H%M%S).tsv
{
  echo "# hack/bench-stats.sh $(date -Is): $ROUNDS rounds of $SAMPLES samples, $PODS x $PER_POD containers;" \
    "$(describe_run)"
  printf 'round\truntime\tcall\tms...\n'
} > "$RESULT"
head -n 1 "$RESULT"
for round in $(seq "$ROUNDS"); do
  turn_order "$round"
  for name in "${ORDER[@]}"; do
    line=$(client_or_die "$name" stats "${SOCK[$name]}" "$PODS" "$PER_POD" "$SAMPLES" "$WORK/pods" "$CGROUP_ROOT" \
      "$name-r$round" "$IMAGE")
    python3 - "$round" "$name" "$line" >> "$RESULT" <<'PY'
import sys
kv = dict(x.split("=", 1) for x in sys.argv[3].split()[1:])
for call in ("lcs", "lps"):
    print("\t".join([sys.argv[1], sys.argv[2], call] + kv[call + "_ms"].split(",")))
PY
    printf '  round %2d  %-10s %s\n' "$round" "$name" "$(cut -d' ' -f3-7 <<< "$line")" >&2
  done
done

python3 - "$RESULT" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l[0].isdigit()]
def pct(v, p):
    v = sorted(v); return v[max(0, -(-len(v) * p // 100) - 1)]
names = {"lcs": "ListContainerStats", "lps": "ListPodSandboxStats"}
for call, title in names.items():
    got = {}
    for r in rows:
        if r[2] == call: got.setdefault(r[1], []).extend(float(x) for x in r[3:])
    b, c = got["berth"], got["containerd"]
    print(f"{title:20s} p50 ms berth {pct(b,50):8.3f} containerd {pct(c,50):8.3f} ratio {pct(b,50)/pct(c,50):.3f}"
          f" | p99 ms berth {pct(b,99):8.3f} containerd {pct(c,99):8.3f} ratio {pct(b,99)/pct(c,99):.3f}")
PY
echo "samples: $RESULT"
