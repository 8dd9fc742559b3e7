#!/usr/bin/env bash
# RunPodSandbox latency benchmark: berth against containerd (Debian's, with its
# CRI plugin), measured in the same run on the same machine.
#
# Both daemons run side by side (set up by hack/bench-daemons.sh), each on its own root, socket and runc root,
# with the same CNI network config (bridge + portmap, plugins from
# /usr/lib/cni) except for its name, bridge and subnet (berth: bbench-b0,
# 10.197.0.0/16; containerd: bbench-c0, 10.198.0.0/16), so they never share
# an address pool. containerd's pause image is berth's own berth-pause
# (hack/build-pause-image.sh), pushed to a private docker-registry on
# 127.0.0.1 and pulled before anything is timed; berth runs the same binary
# from its built-in pause rootfs. So both runtimes start the same pause process
# under the same runc.
#
# berth-cri-bench runp sends what kubelet (cgroupfs driver) would: unique
# metadata, a log directory made beforehand, cgroup_parent
# /berthbench-<pid>/besteffort/pod<uid>, pod network/IPC, container PID
# namespace. Pods run one at a time; each RunPodSandbox is timed around the
# RPC; after each batch the batch's pods are stopped and removed (timed
# separately, reported as means). Warm-up: BENCH_WARMUP untimed pods per
# runtime. Then the timed pods go in batches of BENCH_BATCH, the runtimes
# taking turns and the order alternating between rounds, so load noise falls
# on both alike.
#
# Prints p50, p99 (nearest rank: of 50 samples, the largest) and the mean for
# each runtime and the ratios berth/containerd (below 1: berth is faster), and
# writes every sample to /var/tmp/berth-bench/runp-DATE.tsv.
#
# usage: hack/bench-runp.sh
#   BENCH_PODS=50                     timed pods per runtime (a multiple of BENCH_BATCH)
#   BENCH_BATCH=5                     pods per turn
#   BENCH_WARMUP=3                    untimed pods per runtime first
#   BENCH_BUILD_DIR=build/bench       where berthd and friends are built (Release)
#   BENCH_CACHE=/var/tmp/berth-bench  work dirs and results
#   BENCH_SUBNET_BERTH=10.197.0.0/16  BENCH_SUBNET_CONTAINERD=10.198.0.0/16
#   JOBS=$(nproc)                     build parallelism
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_NAME=runp
PODS=${BENCH_PODS:-50}
BATCH=${BENCH_BATCH:-5}
WARMUP=${BENCH_WARMUP:-3}
for v in PODS BATCH WARMUP; do [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-runp: BENCH_$v must be a number" >&2; exit 1; }; done
[ "$PODS" -gt 0 ] && [ "$BATCH" -gt 0 ] && [ $((PODS % BATCH)) -eq 0 ] ||
  { echo "bench-runp: BENCH_PODS ($PODS) must be a positive multiple of BENCH_BATCH ($BATCH)" >&2; exit 1; }
source "$BERTH_SRC/hack/bench-daemons.sh"

start_berth
start_containerd
mkdir -p "$WORK/pods"

runp() {  # name count prefix: prints berth-cri-bench's runp line
  client_or_die "$1" runp "${SOCK[$1]}" "$2" "$WORK/pods" "$CGROUP_ROOT" "$3"
}

# --- (f) warm-up, then the timed rounds -----------------------------------------------------------
RESULT=$CACHE/runp-$(date +%Y%m%d-%H%M%S).tsv
{
  echo "# hack/bench-runp.sh $(date -Is): $PODS pods per runtime in batches of $BATCH after $WARMUP warm-up;" \
    "$(describe_run)"
  echo "# load before: $(uptime)"
  printf 'round\truntime\tbatch_stop_mean_ms\tbatch_rm_mean_ms\trun_ms...\n'
} > "$RESULT"
head -n 2 "$RESULT"
if [ "$WARMUP" -gt 0 ]; then
  for name in berth containerd; do runp "$name" "$WARMUP" "$name-warm" > /dev/null; done
fi
ROUNDS=$((PODS / BATCH))
for round in $(seq "$ROUNDS"); do
  turn_order "$round"
  for name in "${ORDER[@]}"; do
    line=$(runp "$name" "$BATCH" "$name-r$round")
    python3 - "$round" "$name" "$line" >> "$RESULT" <<'PY'
import sys
kv = dict(f.split("=", 1) for f in sys.argv[3].split()[1:])
print("\t".join([sys.argv[1], sys.argv[2], kv["stop_mean_ms"], kv["rm_mean_ms"]] + kv["run_ms"].split(",")))
PY
    printf '  round %2d  %-10s %s\n' "$round" "$name" "$(cut -d' ' -f3-4 <<< "$line")" >&2
  done
done
echo "# load after: $(uptime)" >> "$RESULT"

# --- (g) results ----------------------------------------------------------------------------------
python3 - "$RESULT" <<'PY'
import math, statistics, sys
path = sys.argv[1]
run, stop, rm = {}, {}, {}
for line in open(path):
    if not line[0].isdigit():
        continue
    f = line.rstrip("\n").split("\t")
    run.setdefault(f[1], []).extend(float(x) for x in f[4:])
    stop.setdefault(f[1], []).append(float(f[2]))
    rm.setdefault(f[1], []).append(float(f[3]))

def pct(v, p):  # nearest rank
    s = sorted(v)
    return s[max(1, math.ceil(p / 100 * len(s))) - 1]

stats = {n: (pct(v, 50), pct(v, 99), statistics.mean(v), statistics.mean(stop[n]), statistics.mean(rm[n]), len(v))
         for n, v in run.items()}
out = [f"RunPodSandbox, ms    {'p50':>8} {'p99':>8} {'mean':>8}   (Stop mean, Remove mean; n)"]
for n in ("berth", "containerd"):
    p50, p99, mean, st, rmm, cnt = stats[n]
    out.append(f"  {n:<18} {p50:>8.1f} {p99:>8.1f} {mean:>8.1f}   ({st:.1f}, {rmm:.1f}; n={cnt})")
b, c = stats["berth"], stats["containerd"]
out.append(f"  {'berth/containerd':<18} {b[0] / c[0]:>8.3f} {b[1] / c[1]:>8.3f} {b[2] / c[2]:>8.3f}"
           f"   (below 1: berth faster; target < 1)")
print("\n" + "\n".join(out))
with open(path, "a") as f:
    f.write("\n".join("# " + l for l in out) + "\n")
PY
uptime
echo "results: $RESULT"
