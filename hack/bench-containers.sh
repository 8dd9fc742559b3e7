#!/usr/bin/env bash
# Container benchmark: berth against containerd (Debian's 1.6, CRI plugin),
# measured in the same run on the same machine (both set up by
# hack/bench-daemons.sh: same runc, same CNI config, same pause binary).
#
# (a) create+start: per turn, one ready pod (untimed RunPodSandbox), then
#     BENCH_BATCH `sleep 3600` containers in it one after the other, each
#     timed from CreateContainer's call to StartContainer's answer; then the
#     containers are stopped and removed (timed, reported as means) and the pod.
# (b) ExecSync: per turn, one pod with one running `sleep` container
#     (untimed), then BENCH_BATCH ExecSync `true` calls, each timed and checked
#     for exit code 0.
# The runtimes take turns, the order alternating between rounds, so load noise
# falls on both alike; a warm-up turn of each kind per runtime comes first.
# The busybox image (hack/build-test-images.sh) is pushed to the private
# registry and pulled by both runtimes before anything is timed.
# (c) RSS of one idle monitor: one pod with one `sleep` container per runtime,
#     left idle BENCH_IDLE_SECONDS, then RSS and PSS (smaps_rollup) of
#     berth-conmon (the container's; berth also runs one for the pod's pause),
#     of containerd-shim-runc-v2 (one per pod: it serves pause and container),
#     and of Debian's conmon (CRI-O's) running the same busybox `sleep` from an
#     OCI bundle under runc by hand (conmon runs `runc create`, we `runc start`).
#
# Prints p50, p99 (nearest rank) and mean, the ratios berth/containerd (below 1:
# berth faster) and conmon/berth-conmon (above 1: berth-conmon smaller), and
# writes every sample to /var/tmp/berth-bench/containers-DATE.tsv.
#
# usage: hack/bench-containers.sh
#   BENCH_ROUNDS=10        rounds; each runtime gets one turn of each kind per round
#   BENCH_BATCH=5          containers (a) and execs (b) per turn (10 x 5 = 50 samples)
#   BENCH_IDLE_SECONDS=5   idle time before the RSS reading
#   JOBS, BENCH_BUILD_DIR, BENCH_CACHE, BENCH_SUBNET_*: see hack/bench-daemons.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_NAME=containers
ROUNDS=${BENCH_ROUNDS:-10}
BATCH=${BENCH_BATCH:-5}
IDLE=${BENCH_IDLE_SECONDS:-5}
for v in ROUNDS BATCH IDLE; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-containers: BENCH_$v must be a positive number" >&2; exit 1; }
done

source "$BERTH_SRC/hack/bench-daemons.sh"

# --- the busybox image, in the registry and in both runtimes -----------------------------
start_both_with_busybox

bench() {  # name kind prefix: berth-cri-bench's ctr or exec line
  local name=$1 kind=$2 prefix=$3 args
  if [ "$kind" = ctr ]; then args=(ctr "${SOCK[$name]}" 1 "$BATCH"); else args=(exec "${SOCK[$name]}" "$BATCH"); fi
  client_or_die "$name" "${args[@]}" "$WORK/pods" "$CGROUP_ROOT" "$prefix" "$IMAGE"
}

# --- (a), (b): warm-up, then the timed rounds ----------------------------------------------
RESULT=$CACHE/containers-$(date +%Y%m%d-%H%M%S).tsv
{
  echo "# hack/bench-containers.sh $(date -Is): $ROUNDS rounds of $BATCH per kind and runtime;" \
    "$(describe_run)"
  echo "# load before: $(uptime)"
  printf 'round\truntime\tkind\tstop_mean_ms\trm_mean_ms\tms...\n'
} > "$RESULT"
head -n 2 "$RESULT"
for name in berth containerd; do
  for kind in ctr exec; do bench "$name" "$kind" "$name-warm-$kind" > /dev/null; done
done
for round in $(seq "$ROUNDS"); do
  turn_order "$round"
  for kind in ctr exec; do
    for name in "${ORDER[@]}"; do
      line=$(bench "$name" "$kind" "$name-r$round-$kind")
      python3 - "$round" "$name" "$line" >> "$RESULT" <<'PY'
import sys
f = sys.argv[3].split()
kv = dict(x.split("=", 1) for x in f[1:])
print("\t".join([sys.argv[1], sys.argv[2], f[0], kv.get("stop_mean_ms", "-"), kv.get("rm_mean_ms", "-")]
                + kv["ms"].split(",")))
PY
      printf '  round %2d  %-10s %-4s %s\n' "$round" "$name" "$kind" "$(cut -d' ' -f3-4 <<< "$line")" >&2
    done
  done
done
echo "# load after: $(uptime)" >> "$RESULT"

# --- (c) memory of idle monitors (idle_monitors_memory: hack/bench-daemons.sh) ------------------
MEM=$WORK/memory.txt
idle_monitors_memory "$MEM" "$IDLE"
sed 's/^/# memory /' "$MEM" >> "$RESULT"

# --- results ----------------------------------------------------------------------------------
python3 - "$RESULT" "$MEM" <<'PY'
import math, statistics, sys
samples, stop, rm = {}, {}, {}
for line in open(sys.argv[1]):
    if not line[0].isdigit():
        continue
    f = line.rstrip("\n").split("\t")
    key = (f[2], f[1])
    samples.setdefault(key, []).extend(float(x) for x in f[5:])
    if f[3] != "-":
        stop.setdefault(key, []).append(float(f[3]))
        rm.setdefault(key, []).append(float(f[4]))

def pct(v, p):  # nearest rank: p99 of 50 samples is the largest
    s = sorted(v)
    return s[max(1, math.ceil(p / 100 * len(s))) - 1]

out = []
for kind, title in (("ctr", "CreateContainer+StartContainer"), ("exec", "ExecSync `true`")):
    out.append(f"{title}, ms  {'p50':>8} {'p99':>8} {'mean':>8}")
    st = {}
    for n in ("berth", "containerd"):
        v = samples[(kind, n)]
        st[n] = (pct(v, 50), pct(v, 99), statistics.mean(v))
        extra = ""
        if (kind, n) in stop:
            extra = f"   (Stop mean {statistics.mean(stop[(kind, n)]):.1f}, Remove mean {statistics.mean(rm[(kind, n)]):.1f})"
        out.append(f"  {n:<18} {st[n][0]:>8.1f} {st[n][1]:>8.1f} {st[n][2]:>8.1f}   n={len(v)}{extra}")
    b, c = st["berth"], st["containerd"]
    out.append(f"  {'berth/containerd':<18} {b[0] / c[0]:>8.3f} {b[1] / c[1]:>8.3f} {b[2] / c[2]:>8.3f}"
               "   (below 1: berth faster; target < 1)")
mem = {}
for line in open(sys.argv[2]):
    label, pid, rss, pss = line.split()[:4]
    mem[label] = (int(rss), int(pss), pid)
out.append(f"Idle monitor memory, KiB  {'RSS':>7} {'PSS':>7}")
for label, what in (("berth-conmon", "the container's"), ("berth-conmon-pause", "the pod's pause"),
                    ("containerd-shim", "pause + container"), ("conmon", "CRI-O's, by hand")):
    r, p, pid = mem[label]
    out.append(f"  {label:<22} {r:>7} {p:>7}   pid {pid} ({what})")
bc, bp, sh, cm = mem["berth-conmon"], mem["berth-conmon-pause"], mem["containerd-shim"], mem["conmon"]
out.append(f"  conmon/berth-conmon    {cm[0] / bc[0]:>7.2f} {cm[1] / bc[1]:>7.2f}   (above 1: berth-conmon smaller; target > 1)")
out.append(f"  berth-conmon/shim      {bc[0] / sh[0]:>7.3f} {bc[1] / sh[1]:>7.3f}   (one container's monitor each)")
out.append(f"  per pod: berth {bc[0] + bp[0]} KiB RSS in 2 monitors vs containerd {sh[0]} KiB in 1 shim"
           f" (ratio {(bc[0] + bp[0]) / sh[0]:.3f})")
print("\n" + "\n".join(out))
with open(sys.argv[1], "a") as f:
    f.write("\n".join("# " + l for l in out) + "\n")
PY
uptime
echo "results: $RESULT"
