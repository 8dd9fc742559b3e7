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
#     left idle BENCH_IDLE_SECONDS, then VmRSS and PSS (smaps_rollup) of
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

# CRI-O's conmon, run by hand below; cleaned up before the daemons go.
CONMON_DIR=
bench_extra_cleanup() {
  [ -n "$CONMON_DIR" ] || return 0
  runc --root "$CONMON_DIR/runc" delete --force bench-conmon > /dev/null 2>&1
  local pid
  pid=$(cat "$CONMON_DIR/conmon.pid" 2> /dev/null) || return 0
  # conmon exits once its container is gone; kill it only if it is still ours.
  for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.1; done
  grep -q conmon "/proc/$pid/comm" 2> /dev/null && kill -KILL "$pid"
}
source "$BERTH_SRC/hack/bench-daemons.sh"

# --- the busybox image, in the registry and in both runtimes -----------------------------
start_both_with_busybox

bench() {  # name kind prefix: berth-cri-bench's ctr or exec line
  local name=$1 kind=$2 prefix=$3 args
  if [ "$kind" = ctr ]; then args=(ctr "${SOCK[$name]}" 1 "$BATCH"); else args=(exec "${SOCK[$name]}" "$BATCH"); fi
  "$CLIENT" "${args[@]}" "$WORK/pods" "$CGROUP_ROOT" "$prefix" "$IMAGE" || {
    log "$name: $kind failed; last lines of its log:"
    tail -n 30 "$WORK/$name.log" >&2
    exit 1
  }
}

# --- (a), (b): warm-up, then the timed rounds ----------------------------------------------
RESULT=$CACHE/containers-$(date +%Y%m%d-%H%M%S).tsv
{
  echo "# hack/bench-containers.sh $(date -Is): $ROUNDS rounds of $BATCH per kind and runtime;" \
    "berth $(git -C "$BERTH_SRC" describe --always --dirty 2> /dev/null || echo unknown);" \
    "$(containerd --version | awk '{print $1, $3}'); $(runc --version | head -1); $(nproc) cpus"
  echo "# load before: $(uptime)"
  printf 'round\truntime\tkind\tstop_mean_ms\trm_mean_ms\tms...\n'
} > "$RESULT"
head -n 2 "$RESULT"
for name in berth containerd; do
  for kind in ctr exec; do bench "$name" "$kind" "$name-warm-$kind" > /dev/null; done
done
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order=(berth containerd); else order=(containerd berth); fi
  for kind in ctr exec; do
    for name in "${order[@]}"; do
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

# --- (c) RSS of idle monitors ---------------------------------------------------------------
pid_of() {  # pattern: the one process whose NUL-joined command line matches (extended regex)
  local f pid found=
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    if { tr '\0' ' ' < "$f"; } 2> /dev/null | grep -Eq -- "$1"; then
      [ -z "$found" ] || die "more than one process matches '$1' ($found, $pid)"
      found=$pid
    fi
  done
  [ -n "$found" ] || die "no process matches '$1'"
  echo "$found"
}

memory() {  # label pid: "label pid rss_kib pss_kib" from /proc
  local rss pss
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$2/status")
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$2/smaps_rollup")
  echo "$1 $2 $rss $pss"
}

# CRI-O's conmon on an OCI bundle: the busybox layer as rootfs, `runc spec`'s
# defaults but for `sleep 3600`, no terminal and a cgroup under ours.
run_conmon() {
  local d=$WORK/conmon manifest layer
  CONMON_DIR=$d
  mkdir -p "$d/bundle/rootfs" "$d/exits" "$d/sockets" "$d/runc"
  manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "amd64") | .digest' \
    "$WORK/busybox-image/index.json")
  layer=$(jq -r '.layers[0].digest' "$WORK/busybox-image/blobs/${manifest/://}")
  tar -xzf "$WORK/busybox-image/blobs/${layer/://}" -C "$d/bundle/rootfs"
  (cd "$d/bundle" && runc spec)
  jq --arg cg "$CGROUP_ROOT/conmon" '.process.args = ["sleep", "3600"] | .process.terminal = false
    | .linux.cgroupsPath = $cg' "$d/bundle/config.json" > "$d/bundle/config.json.new"
  mv "$d/bundle/config.json.new" "$d/bundle/config.json"
  # conmon forks off the monitor (pid in conmon.pid), which runs `runc create`;
  # without CRI-O's sync pipe the foreground conmon exits at once, so we wait
  # for the container to be created before starting it.
  conmon --api-version 1 -c bench-conmon -u bench-conmon -n bench-conmon -r /usr/sbin/runc \
    --runtime-arg "--root=$d/runc" -b "$d/bundle" -p "$d/container.pid" -P "$d/conmon.pid" \
    -l "k8s-file:$d/ctr.log" --exit-dir "$d/exits" --socket-dir-path "$d/sockets" --log-level warning \
    > "$d/conmon.out" 2>&1 || { cat "$d/conmon.out" >&2; die "conmon failed"; }
  for _ in $(seq 100); do
    [ "$(runc --root "$d/runc" state bench-conmon 2> /dev/null | jq -r .status)" = created ] && break
    sleep 0.1
  done
  runc --root "$d/runc" start bench-conmon
  [ "$(runc --root "$d/runc" state bench-conmon | jq -r .status)" = running ] || die "conmon's container is not running"
}

declare -A POD=() CTR=()
for name in berth containerd; do
  read -r _ POD[$name] CTR[$name] <<< "$("$CLIENT" idle "${SOCK[$name]}" "$WORK/pods" "$CGROUP_ROOT" "$name-idle" "$IMAGE")"
done
run_conmon
log "idling ${IDLE}s before reading memory"
sleep "$IDLE"
MEM=$WORK/memory.txt
{
  memory berth-conmon "$(pid_of "berth-conmon .*--id ${CTR[berth]} ")"
  memory berth-conmon-pause "$(pid_of "berth-conmon .*--id ${POD[berth]} ")"
  memory containerd-shim "$(pid_of "containerd-shim-runc-v2 .*-id ${POD[containerd]} .*-address ${SOCK[containerd]} ")"
  memory conmon "$(cat "$WORK/conmon/conmon.pid")"
} > "$MEM"
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
    label, pid, rss, pss = line.split()
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
