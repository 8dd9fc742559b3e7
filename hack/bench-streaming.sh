#!/usr/bin/env bash
# Streaming benchmark: berth's streaming server against containerd's (Debian's
# 1.6, CRI plugin, stream server on 127.0.0.1), measured in the same run on
# the same machine (both set up by hack/bench-daemons.sh: same runc, same CNI
# config, same pause binary, the busybox test image from a private registry).
# Both are spoken to as kubectl and crictl speak them: the URL from the CRI
# call, an HTTP upgrade to SPDY/3.1, Kubernetes' stream protocols
# (berth-cri-bench stream-exec / port-forward, tests/bench/stream_bench.h).
#
# (a) exec round trip: per turn, one pod with a running `sleep` container
#     (untimed), then BENCH_BATCH execs of `true`, each timed from the Exec
#     call to the Success status on the error stream.
# (b) port-forward throughput: per turn, one pod whose container serves
#     BENCH_MIB MiB of zeros per connection on port 9000 (busybox nc), then
#     BENCH_CONNECTIONS connections through one PortForward session, one after
#     the other, each read to its end; MB/s per connection.
# The runtimes take turns, the order alternating between rounds, after one
# warm-up turn of each kind per runtime.
#
# Prints p50, p99 and mean of (a) and p50 and mean MB/s of (b) per runtime and
# the ratios berth/containerd (a: below 1, berth faster; b: above 1, berth
# faster), and writes every sample to /var/tmp/berth-bench/streaming-DATE.tsv.
#
# usage: hack/bench-streaming.sh
#   BENCH_ROUNDS=6         rounds; each runtime gets one turn of each kind per round
#   BENCH_BATCH=10         execs per turn (6 x 10 = 60 samples per runtime)
#   BENCH_CONNECTIONS=3    port-forward connections per turn
#   BENCH_MIB=64           MiB per port-forward connection
#   JOBS, BENCH_BUILD_DIR, BENCH_CACHE, BENCH_SUBNET_*: see hack/bench-daemons.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_NAME=streaming
ROUNDS=${BENCH_ROUNDS:-6}
BATCH=${BENCH_BATCH:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-3}
MIB=${BENCH_MIB:-64}
for v in ROUNDS BATCH CONNECTIONS MIB; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-streaming: BENCH_$v must be a positive number" >&2; exit 1; }
done
source "$BERTH_SRC/hack/bench-daemons.sh"
start_both_with_busybox

bench() {  # name kind prefix: berth-cri-bench's stream_exec or port_forward line
  local name=$1 kind=$2 prefix=$3 args
  if [ "$kind" = exec ]; then
    args=(stream-exec "${SOCK[$name]}" "$BATCH")
  else
    args=(port-forward "${SOCK[$name]}" "$CONNECTIONS" "$MIB")
  fi
  client_or_die "$name" "${args[@]}" "$WORK/pods" "$CGROUP_ROOT" "$prefix" "$IMAGE"
}

RESULT=$CACHE/streaming-$(date +%Y%m%d-%H%M%S).tsv
{
  echo "# hack/bench-streaming.sh $(date -Is): $ROUNDS rounds of $BATCH execs and $CONNECTIONS x $MIB MiB" \
    "port-forward connections per runtime; $(describe_run)"
  echo "# load before: $(uptime)"
  printf 'round\truntime\tkind\tvalues (exec: ms; forward: MB/s)...\n'
} > "$RESULT"
head -n 2 "$RESULT"
for name in berth containerd; do
  for kind in exec forward; do bench "$name" "$kind" "$name-warm-$kind" > /dev/null; done
done
for round in $(seq "$ROUNDS"); do
  turn_order "$round"
  for kind in exec forward; do
    for name in "${ORDER[@]}"; do
      line=$(bench "$name" "$kind" "$name-r$round-$kind")
      python3 - "$round" "$name" "$kind" "$line" >> "$RESULT" <<'PY'
import sys
kv = dict(x.split("=", 1) for x in sys.argv[4].split()[1:])
values = kv["ms"] if sys.argv[3] == "exec" else kv["mbps"]
print("\t".join([sys.argv[1], sys.argv[2], sys.argv[3]] + values.split(",")))
PY
      printf '  round %2d  %-10s %-7s %s\n' "$round" "$name" "$kind" "$(cut -d' ' -f3-4 <<< "$line")" >&2
    done
  done
done
echo "# load after: $(uptime)" >> "$RESULT"

python3 - "$RESULT" <<'PY'
import math, statistics, sys
samples = {}
for line in open(sys.argv[1]):
    if not line[0].isdigit():
        continue
    f = line.rstrip("\n").split("\t")
    samples.setdefault((f[2], f[1]), []).extend(float(x) for x in f[3:])

def pct(v, p):  # nearest rank
    s = sorted(v)
    return s[max(1, math.ceil(p / 100 * len(s))) - 1]

st = {n: (pct(samples[("exec", n)], 50), pct(samples[("exec", n)], 99), statistics.mean(samples[("exec", n)]))
      for n in ("berth", "containerd")}
print(f"exec `true` through the streaming server, ms  {'p50':>8} {'p99':>8} {'mean':>8}")
for n in ("berth", "containerd"):
    print(f"  {n:<18} {st[n][0]:>8.2f} {st[n][1]:>8.2f} {st[n][2]:>8.2f}   n={len(samples[('exec', n)])}")
b, c = st["berth"], st["containerd"]
print(f"  {'berth/containerd':<18} {b[0] / c[0]:>8.3f} {b[1] / c[1]:>8.3f} {b[2] / c[2]:>8.3f}   (below 1: berth faster)")
fw = {n: (pct(samples[("forward", n)], 50), statistics.mean(samples[("forward", n)])) for n in ("berth", "containerd")}
print(f"port-forward throughput, MB/s            {'p50':>8} {'mean':>8}")
for n in ("berth", "containerd"):
    print(f"  {n:<18}                       {fw[n][0]:>8.1f} {fw[n][1]:>8.1f}   n={len(samples[('forward', n)])}")
b, c = fw["berth"], fw["containerd"]
print(f"  {'berth/containerd':<18}                       {b[0] / c[0]:>8.3f} {b[1] / c[1]:>8.3f}   (above 1: berth faster)")
PY
echo "samples: $RESULT"
