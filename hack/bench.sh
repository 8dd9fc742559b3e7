#!/usr/bin/env bash
# The benchmark: berth against containerd (Debian's, with its CRI plugin), the
# same workloads through the CRI, in one run on one machine, one table.
#
# berthd and containerd run side by side, started once (hack/bench-daemons.sh:
# same runc, same CNI config but for name/bridge/subnet, berth's pause binary
# as containerd's sandbox image, a private registry on 127.0.0.1, the busybox
# test image pulled into both first). berth-cri-bench (tests/bench) is the CRI
# client and times each RPC. Latency sections take turns: each round every
# runtime runs one batch, the order alternating between rounds so load noise
# hits both alike, after an untimed warm-up batch each.
#
# Sections (BENCH_ONLY picks some, comma-separated; the order is fixed):
#   memory      daemon RSS, PSS and USS (/proc/PID/smaps_rollup), idle (no pods, after
#               BENCH_SETTLE s) and with BENCH_MEMORY_PODS running pods (pause only);
#               per-pod growth = (PSS@N - PSS idle) / N
#   pods        pod lifecycle: RunPodSandbox, StopPodSandbox, RemovePodSandbox per pod,
#               and their sum (runp: a batch runs, then is stopped and removed)
#   containers  CreateContainer, StartContainer, create+start, StopContainer (timeout 0),
#               RemoveContainer of `sleep` containers in one ready pod per batch
#   podstart    RunPodSandbox+CreateContainer+StartContainer of one container:
#               sequential (and the daemon's CPU time, utime+stime, per pod over it),
#               then BENCH_PARALLEL clients at once on BENCH_PARALLEL_PODS pods (also wall time)
#   exec        ExecSync `true` into a running container
#   list        ListContainers and ListPodSandbox, then ListContainerStats and
#               ListPodSandboxStats (fewer: containerd takes seconds a call), with
#               BENCH_LIST_CONTAINERS `sleep` containers (BENCH_LIST_PER_POD a pod) present
#   monitor     one idle pod with one container: berth-conmon's Private_Dirty and PSS
#               against containerd-shim-runc-v2's, and against Debian's conmon (CRI-O's,
#               run by hand on the same busybox `sleep`); per pod (berth: 2 monitors)
#   pull        PullImage of the ~200 MB, 5-layer image of hack/bench-pull.sh (built once,
#               cached), RemoveImage between samples, dirty pages synced before each
#   streaming   exec `true` through the streaming server (SPDY, as kubectl), port-forward MB/s
#
# Prints progress on stderr, then one table on stdout: figure | berth |
# containerd | ratio (berth/containerd: below 1 is berth faster or smaller,
# except MB/s), p50/p99 by nearest rank. The same goes as JSON to
# $BENCH_CACHE/bench-DATE.json ({"machine": {...}, "settings": {...},
# "sections": {name: seconds}, "failed": [...], "figures": [{"name", "unit",
# "n" (samples), "berth", "containerd", "ratio", "better"}]}; the monitor-vs-conmon rows carry
# "peer": "conmon", whose value stands in the containerd column), every
# sample to bench-DATE.tsv beside it. A failed section is reported (which
# RPC, the daemon's log tail), its pods removed, and the run goes on; the
# exit status is then 1 and the daemons' logs are kept.
#
# usage: hack/bench.sh   (as root; the defaults took 249 s on 2 cores, build and image cached)
#   BENCH_ONLY=memory,pods,containers,podstart,exec,list,monitor,pull,streaming   sections to run
#   BENCH_BATCH=5              samples per turn in pods/containers/podstart/exec
#   BENCH_PODS=50              pod lifecycles per runtime       (multiples of BENCH_BATCH)
#   BENCH_CONTAINERS=50        container lifecycles per runtime
#   BENCH_PODSTART=50          sequential pod starts per runtime
#   BENCH_EXECS=50             ExecSync calls per runtime
#   BENCH_WARMUP=3             untimed samples per runtime before each latency section
#   BENCH_PARALLEL=10          concurrent clients in the parallel pod start
#   BENCH_PARALLEL_PODS=50     pods per parallel batch
#   BENCH_PARALLEL_ROUNDS=2    parallel batches per runtime
#   BENCH_LIST_CONTAINERS=500  containers present for the list calls
#   BENCH_LIST_PER_POD=10      of them per pod
#   BENCH_LIST_CALLS=20        ListContainers/ListPodSandbox calls per runtime (in 4 turns)
#   BENCH_LIST_STATS_CALLS=8   ListContainerStats/ListPodSandboxStats calls per runtime (in 4 turns)
#   BENCH_MEMORY_PODS=100      running pods for the loaded memory reading
#   BENCH_SETTLE=5             seconds idle before each memory reading
#   BENCH_PULLS=3              pulls per runtime
#   BENCH_FILL_PARALLEL=4      clients making the untimed pods of list/memory
#   BENCH_STREAM_EXECS=30 BENCH_FORWARD_CONNECTIONS=6 BENCH_FORWARD_MIB=64   streaming section
#   BENCH_NO_BUILD=1, BENCH_KEEP_LOGS=1, JOBS, BENCH_BUILD_DIR, BENCH_CACHE, BENCH_SUBNET_*:
#                              see hack/bench-daemons.sh
set -euo pipefail
shopt -s inherit_errexit  # a failed $(...) fails its assignment, so its section
source "$(dirname "$0")/lib.sh"
BENCH_NAME=all
SECTIONS=(memory pods containers podstart exec list monitor pull streaming)
ONLY=${BENCH_ONLY:-$(IFS=,; echo "${SECTIONS[*]}")}
BATCH=${BENCH_BATCH:-5}
PODS=${BENCH_PODS:-50}
CONTAINERS=${BENCH_CONTAINERS:-50}
PODSTART=${BENCH_PODSTART:-50}
EXECS=${BENCH_EXECS:-50}
WARMUP=${BENCH_WARMUP:-3}
PARALLEL=${BENCH_PARALLEL:-10}
PARALLEL_PODS=${BENCH_PARALLEL_PODS:-50}
PARALLEL_ROUNDS=${BENCH_PARALLEL_ROUNDS:-2}
LIST_CONTAINERS=${BENCH_LIST_CONTAINERS:-500}
LIST_PER_POD=${BENCH_LIST_PER_POD:-10}
LIST_CALLS=${BENCH_LIST_CALLS:-20}
LIST_STATS_CALLS=${BENCH_LIST_STATS_CALLS:-8}
MEMORY_PODS=${BENCH_MEMORY_PODS:-100}
SETTLE=${BENCH_SETTLE:-5}
PULLS=${BENCH_PULLS:-3}
FILL_PARALLEL=${BENCH_FILL_PARALLEL:-4}
STREAM_EXECS=${BENCH_STREAM_EXECS:-30}
FORWARD_CONNECTIONS=${BENCH_FORWARD_CONNECTIONS:-6}
FORWARD_MIB=${BENCH_FORWARD_MIB:-64}
KNOBS=(BATCH PODS CONTAINERS PODSTART EXECS WARMUP PARALLEL PARALLEL_PODS PARALLEL_ROUNDS LIST_CONTAINERS LIST_PER_POD
  LIST_CALLS LIST_STATS_CALLS MEMORY_PODS SETTLE PULLS FILL_PARALLEL STREAM_EXECS FORWARD_CONNECTIONS FORWARD_MIB)

usage_error() { echo "bench.sh: $*" >&2; exit 2; }
for v in "${KNOBS[@]}"; do [[ ${!v} =~ ^[0-9]+$ ]] || usage_error "BENCH_$v must be a whole number"; done
for v in BATCH PARALLEL PARALLEL_PODS LIST_PER_POD FILL_PARALLEL; do [ "${!v}" -gt 0 ] || usage_error "BENCH_$v must be > 0"; done
for v in PODS CONTAINERS PODSTART EXECS; do
  [ $((${!v} % BATCH)) -eq 0 ] || usage_error "BENCH_$v (${!v}) must be a multiple of BENCH_BATCH ($BATCH)"
done
if [ "$LIST_CONTAINERS" -eq 0 ] || [ $((LIST_CONTAINERS % LIST_PER_POD)) -ne 0 ]; then
  usage_error "BENCH_LIST_CONTAINERS ($LIST_CONTAINERS) must be a positive multiple of BENCH_LIST_PER_POD"
fi
for v in LIST_CALLS LIST_STATS_CALLS; do [ $((${!v} % 4)) -eq 0 ] || usage_error "BENCH_$v must be a multiple of 4"; done
[ $((LIST_CALLS + LIST_STATS_CALLS)) -gt 0 ] || usage_error "BENCH_LIST_CALLS and BENCH_LIST_STATS_CALLS are both 0"
declare -A WANT=()
for s in ${ONLY//,/ }; do
  [[ " ${SECTIONS[*]} " == *" $s "* ]] || usage_error "unknown section '$s' in BENCH_ONLY (known: ${SECTIONS[*]})"
  WANT[$s]=1
done

START_S=$(date +%s)
source "$BERTH_SRC/hack/bench-daemons.sh"
start_both_with_busybox

STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$CACHE/bench-$STAMP.tsv
JSON=$CACHE/bench-$STAMP.json
{
  echo "# hack/bench.sh $(date -Is): $(describe_run)"
  echo "# load before: $(uptime)"
  printf 'metric\truntime\tround\tvalues...\n'
} > "$RAW"

# --- recording --------------------------------------------------------------------------------
field() {  # line key: the value of key=... in a berth-cri-bench line
  local f
  for f in $1; do [[ $f == "$2="* ]] && { echo "${f#*=}"; return 0; }; done
  log "no $2= in: $1"
  return 1
}

record() {  # metric runtime round values(comma-separated)
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4//,/$'\t'}" >> "$RAW"
}

record_fields() {  # runtime round line key=metric...: records each key's list under its metric
  local name=$1 round=$2 line=$3 pair values
  shift 3
  for pair in "$@"; do
    values=$(field "$line" "${pair%%=*}")
    record "${pair#*=}" "$name" "$round" "$values"
  done
}

progress() {  # section round runtime line: the line's p50/p99 on stderr
  printf '  %-10s round %2s  %-10s %s\n' "$1" "$2" "$3" "$(grep -o 'p50_ms=[^ ]* p99_ms=[^ ]*' <<< "$4" || true)" >&2
}

# rounds section count batch fn: warm-up (fn name warm WARMUP), then count/batch rounds of fn name round batch
rounds() {
  local section=$1 count=$2 batch=$3 fn=$4 round name
  [ "$count" -gt 0 ] || { log "$section: no samples asked for"; return 0; }
  if [ "$WARMUP" -gt 0 ]; then
    for name in berth containerd; do "$fn" "$name" warm "$WARMUP" > /dev/null; done
  fi
  for round in $(seq $((count / batch))); do
    turn_order "$round"
    for name in "${ORDER[@]}"; do "$fn" "$name" "$round" "$batch"; done
  done
}

# --- the sections -------------------------------------------------------------------------------
pods_turn() {  # name round count
  local line
  line=$(client_or_die "$1" runp "${SOCK[$1]}" "$3" "$WORK/pods" "$CGROUP_ROOT" "$1-p$2")
  [ "$2" = warm ] && return 0
  record_fields "$1" "$2" "$line" run_ms=pod_run stop_ms=pod_stop rm_ms=pod_rm
  progress pods "$2" "$1" "$(sed 's/run_p50/p50/; s/run_p99/p99/' <<< "$line")"
}
section_pods() { rounds pods "$PODS" "$BATCH" pods_turn; }

containers_turn() {
  local line
  line=$(client_or_die "$1" ctr "${SOCK[$1]}" 1 "$3" "$WORK/pods" "$CGROUP_ROOT" "$1-c$2" "$IMAGE")
  [ "$2" = warm ] && return 0
  record_fields "$1" "$2" "$line" create_ms=ctr_create start_ms=ctr_start ms=ctr_create_start stop_ms=ctr_stop \
    rm_ms=ctr_rm
  progress containers "$2" "$1" "$line"
}
section_containers() { rounds containers "$CONTAINERS" "$BATCH" containers_turn; }

podstart_turn() {
  local line
  line=$(client_or_die "$1" podstart "${SOCK[$1]}" "$3" 1 "$WORK/pods" "$CGROUP_ROOT" "$1-s$2" "$IMAGE" "${PIDS[$1]}")
  [ "$2" = warm ] && return 0
  record_fields "$1" "$2" "$line" ms=podstart_seq cpu_ms=podstart_cpu n=podstart_cpu_pods
  progress podstart "$2" "$1" "$line"
}

parallel_turn() {
  local line
  line=$(client_or_die "$1" podstart "${SOCK[$1]}" "$3" "$PARALLEL" "$WORK/pods" "$CGROUP_ROOT" "$1-P$2" "$IMAGE")
  [ "$2" = warm ] && return 0
  record_fields "$1" "$2" "$line" ms=podstart_par wall_ms=podstart_par_wall
  progress parallel "$2" "$1" "$line wall_ms=$(field "$line" wall_ms)"
}
section_podstart() {
  rounds podstart "$PODSTART" "$BATCH" podstart_turn
  WARMUP=0 rounds parallel $((PARALLEL_PODS * PARALLEL_ROUNDS)) "$PARALLEL_PODS" parallel_turn
}

exec_turn() {
  local line
  line=$(client_or_die "$1" exec "${SOCK[$1]}" "$3" "$WORK/pods" "$CGROUP_ROOT" "$1-e$2" "$IMAGE")
  [ "$2" = warm ] && return 0
  record_fields "$1" "$2" "$line" ms=exec
  progress exec "$2" "$1" "$line"
}
section_exec() { rounds exec "$EXECS" "$BATCH" exec_turn; }

both() {  # fn args...: fn berth args & fn containerd args, at once; fails if either did
  local pid_b pid_c status=0
  "$1" berth "${@:2}" & pid_b=$!
  "$1" containerd "${@:2}" & pid_c=$!
  wait "$pid_b" || status=1
  wait "$pid_c" || status=1
  return "$status"
}

fill() {  # name pods per_pod prefix: untimed pods left running (rmp removes them)
  local line
  line=$(client_or_die "$1" fill "${SOCK[$1]}" "$2" "$3" "$FILL_PARALLEL" "$WORK/pods" "$CGROUP_ROOT" "$4" "$IMAGE")
  log "$1: $line"
}

remove_all() {  # name: every pod berth-cri-bench made (untimed)
  client_or_die "$1" rmp "${SOCK[$1]}" > /dev/null
}

list_turn() {
  local line
  line=$(client_or_die "$1" list "${SOCK[$1]}" $((LIST_CALLS / 4)) $((LIST_STATS_CALLS / 4)) "$LIST_CONTAINERS" \
    $((LIST_CONTAINERS / LIST_PER_POD)))
  record_fields "$1" "$2" "$line" lc_ms=list_containers lp_ms=list_pods lcs_ms=list_container_stats \
    lps_ms=list_pod_stats
  printf '  %-10s round %2s  %-10s %s\n' list "$2" "$1" "$(cut -d' ' -f2-4 <<< "$line")" >&2
}
section_list() {
  both fill $((LIST_CONTAINERS / LIST_PER_POD)) "$LIST_PER_POD" list
  WARMUP=0 rounds list 4 1 list_turn
  both remove_all
}

read_memory() {  # metric-prefix: both daemons' RSS and PSS
  local name line label pid rss pss dirty uss sharers
  for name in berth containerd; do
    line=$(smaps "$name" "${PIDS[$name]}")
    read -r label pid rss pss dirty uss <<< "$line"
    record "${1}_rss" "$name" 1 "$rss"
    record "${1}_pss" "$name" 1 "$pss"
    record "${1}_uss" "$name" 1 "$uss"
    log "$name daemon ($1): RSS $rss KiB, PSS $pss KiB, USS $uss KiB"
  done
  # Another gRPC process (a second berthd, a CRI client) halves berthd's PSS of the shared libraries.
  sharers=$(grpc_sharers "${PIDS[berth]}")
  [ -z "$sharers" ] || log "other processes map libgrpc, lowering berthd's PSS: $(tr '\n' ';' <<< "$sharers")"
}
section_memory() {
  log "settling ${SETTLE}s before the idle memory reading"
  sleep "$SETTLE"
  read_memory daemon_idle
  [ "$MEMORY_PODS" -gt 0 ] || return 0
  both fill "$MEMORY_PODS" 0 mem
  log "settling ${SETTLE}s before the memory reading with $MEMORY_PODS pods"
  sleep "$SETTLE"
  read_memory daemon_pods
  both remove_all
}

section_monitor() {
  local mem=$WORK/monitors.txt label pid rss pss dirty
  idle_monitors_memory "$mem" "$SETTLE"
  while read -r label pid rss pss dirty _; do
    record "mon_rss" "$label" 1 "$rss"
    record "mon_pss" "$label" 1 "$pss"
    record "mon_dirty" "$label" 1 "$dirty"
    log "monitor $label (pid $pid): RSS $rss KiB, PSS $pss KiB, Private_Dirty $dirty KiB"
  done < "$mem"
  stop_conmon
  both remove_all
}

pull_turn() {  # name round: one timed pull, then RemoveImage
  local out ms ref
  sync
  out=$(client_or_die "$1" pull "${SOCK[$1]}" "$BIG_IMAGE")
  read -r ms ref <<< "$out"
  client_or_die "$1" rmi "${SOCK[$1]}" "$BIG_IMAGE" > /dev/null
  record pull "$1" "$2" "$ms"
  # What the root keeps after RemoveImage shows whether the next pull starts clean.
  printf '  %-10s round %2s  %-10s %s ms (%s; root after RemoveImage: %s MiB)\n' pull "$2" "$1" "$ms" "$ref" \
    "$(du -sm "$WORK/$1/root" | cut -f1)" >&2
}
section_pull() {
  local layout
  layout=$(cached_bench_image)
  "$BERTH_SRC/hack/push-test-images.sh" "$layout" "http://$REGISTRY" bench/big > /dev/null
  BIG_IMAGE=$REGISTRY/bench/big:bench
  find "$WORK/registry/data" -type f -exec cat {} + > /dev/null  # both read the blobs from the page cache
  WARMUP=0 rounds pull "$PULLS" 1 pull_turn
}

stream_exec_turn() {
  local line
  line=$(client_or_die "$1" stream-exec "${SOCK[$1]}" "$3" "$WORK/pods" "$CGROUP_ROOT" "$1-x$2" "$IMAGE")
  [ "$2" = warm ] && return 0
  record_fields "$1" "$2" "$line" ms=stream_exec
  progress stream "$2" "$1" "$line"
}
forward_turn() {
  local line
  line=$(client_or_die "$1" port-forward "${SOCK[$1]}" "$3" "$FORWARD_MIB" "$WORK/pods" "$CGROUP_ROOT" "$1-f$2" "$IMAGE")
  [ "$2" = warm ] && return 0
  record_fields "$1" "$2" "$line" mbps=forward_mbps
  printf '  %-10s round %2s  %-10s %s\n' forward "$2" "$1" "$(cut -d' ' -f4 <<< "$line")" >&2
}
section_streaming() {
  WARMUP=1 rounds stream "$STREAM_EXECS" $((STREAM_EXECS > 10 ? STREAM_EXECS / 3 : STREAM_EXECS)) stream_exec_turn
  WARMUP=0 rounds forward "$FORWARD_CONNECTIONS" $((FORWARD_CONNECTIONS > 2 ? FORWARD_CONNECTIONS / 2 : FORWARD_CONNECTIONS)) \
    forward_turn
}

# --- the run ------------------------------------------------------------------------------------
FAILED=()
declare -A SECONDS_OF=()
for s in "${SECTIONS[@]}"; do
  [ -n "${WANT[$s]:-}" ] || continue
  log "--- $s"
  t0=$(date +%s.%N)
  set +e
  (set -e; "section_$s")  # a subshell: a failed RPC ends the section, not the run
  status=$?
  set -e
  SECONDS_OF[$s]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  log "$s: ${SECONDS_OF[$s]} s"
  [ "$status" -eq 0 ] && continue
  FAILED+=("$s")
  log "$s FAILED; removing its pods and going on"
  stop_conmon
  for name in berth containerd; do
    kill -0 "${PIDS[$name]}" 2> /dev/null || { log "$name (pid ${PIDS[$name]}) is gone; see its log"; FAILED+=("$name-died"); break 2; }
    "$CLIENT" rmp "${SOCK[$name]}" > /dev/null || log "$name: removing pods failed"
  done
done
echo "# load after: $(uptime)" >> "$RAW"

# --- the table and the JSON -----------------------------------------------------------------------
sections_json=$(for s in "${SECTIONS[@]}"; do [ -z "${SECONDS_OF[$s]:-}" ] || printf '%s\n%s\n' "$s" "${SECONDS_OF[$s]}"; done |
  jq -Rn '[inputs] as $l | [range(0; $l | length; 2) | {key: $l[.], value: ($l[. + 1] | tonumber)}] | from_entries')
settings_json=$(for v in ONLY "${KNOBS[@]}"; do printf '%s\n%s\n' "$v" "${!v}"; done |
  jq -Rn '[inputs] as $l | [range(0; $l | length; 2) | {key: $l[.], value: $l[. + 1]}] | from_entries')
machine_json=$(jq -n --arg cpus "$(nproc)" --arg model "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
  --arg mem "$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)" --arg kernel "$(uname -r)" \
  --arg os "$(. /etc/os-release && echo "$PRETTY_NAME")" --arg runc "$(runc --version | head -1)" \
  --arg containerd "$(containerd --version)" --arg conmon "$(conmon --version | head -1)" \
  --arg berth "$(git -C "$BERTH_SRC" describe --always --dirty 2> /dev/null || echo unknown)" \
  --arg date "$(date -Is)" --arg wall "$(($(date +%s) - START_S))" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{cpus: ($cpus | tonumber), cpu_model: $model, mem_kib: ($mem | tonumber), kernel: $kernel, os: $os, runc: $runc,
    containerd: $containerd, conmon: $conmon, berth: $berth, date: $date, wall_s: ($wall | tonumber), load_after: $load}')
python3 - "$RAW" "$JSON" "$machine_json" "$settings_json" "$sections_json" "${FAILED[*]:-}" <<'PY'
import json, math, sys

raw, out = sys.argv[1], sys.argv[2]
samples = {}  # (metric, runtime) -> [values]; rounds keep the pairing of lists that go together
by_round = {}
for line in open(raw):
    if line.startswith("#") or line.startswith("metric\t"):
        continue
    f = line.rstrip("\n").split("\t")
    vals = [float(x) for x in f[3:] if x != ""]
    samples.setdefault((f[0], f[1]), []).extend(vals)
    by_round.setdefault((f[0], f[1]), []).append(vals)

def pct(v, p):  # nearest rank: p99 of 50 samples is the largest
    s = sorted(v)
    return s[max(1, math.ceil(p / 100 * len(s))) - 1]

def summed(metrics, rt):  # per-sample sums of lists recorded together (same pod)
    parts = [by_round.get((m, rt)) for m in metrics]
    if any(p is None for p in parts):
        return None
    return [sum(x) for rounds in zip(*parts) for x in zip(*rounds)]

figures = []
settings = json.loads(sys.argv[4])
RUNTIMES = ("berth", "containerd")

def add(name, unit, b, c, n=None, better="lower", peer=None):
    if b is None and c is None:
        return
    fig = {"name": name, "unit": unit, "n": n, "berth": b, "containerd": c,
           "ratio": (b / c if b is not None and c not in (None, 0) else None), "better": better}
    if peer:
        fig["peer"] = peer
    figures.append(fig)

def lat(label, metric=None, parts=None):  # p50 and p99 rows
    got = [summed(parts, rt) if parts else samples.get((metric, rt)) for rt in RUNTIMES]
    if all(g is None for g in got):
        return
    n = max(len(g) for g in got if g)
    for p in (50, 99):
        add(f"{label} p{p}", "ms", *[pct(g, p) if g else None for g in got], n=n)

def one(metric, rt):
    v = samples.get((metric, rt))
    return v[0] if v else None

lat("RunPodSandbox", "pod_run")
lat("StopPodSandbox", "pod_stop")
lat("RemovePodSandbox", "pod_rm")
lat("pod run+stop+remove", parts=["pod_run", "pod_stop", "pod_rm"])
lat("CreateContainer", "ctr_create")
lat("StartContainer", "ctr_start")
lat("CreateContainer+StartContainer", "ctr_create_start")
lat("StopContainer (timeout 0)", "ctr_stop")
lat("RemoveContainer", "ctr_rm")
lat("pod start, 1 container, sequential", "podstart_seq")
lat(f"pod start, 1 container, {settings['PARALLEL']} clients at once", "podstart_par")
wall = [samples.get(("podstart_par_wall", rt)) for rt in RUNTIMES]
if any(wall):
    add(f"{settings['PARALLEL_PODS']}-pod parallel batch wall time, mean", "ms",
        *[sum(w) / len(w) if w else None for w in wall], n=len(wall[0] or wall[1]))
cpu = [(sum(samples[("podstart_cpu", rt)]) / sum(samples[("podstart_cpu_pods", rt)]))
       if ("podstart_cpu", rt) in samples else None for rt in RUNTIMES]
add("daemon CPU (utime+stime) per sequential pod start", "ms", *cpu,
    n=int(sum(samples.get(("podstart_cpu_pods", "berth"), [0]))) or None)
lat("ExecSync `true`", "exec")
lat(f"ListContainers, {settings['LIST_CONTAINERS']} containers", "list_containers")
lat(f"ListPodSandbox, {settings['LIST_CONTAINERS']} containers", "list_pods")
lat(f"ListContainerStats, {settings['LIST_CONTAINERS']} containers", "list_container_stats")
lat(f"ListPodSandboxStats, {settings['LIST_CONTAINERS']} containers", "list_pod_stats")
lat("PullImage, large image", "pull")
npods = int(settings["MEMORY_PODS"])
for m, label in (("rss", "RSS"), ("pss", "PSS"), ("uss", "USS (private)")):
    add(f"daemon {label} idle", "KiB", one(f"daemon_idle_{m}", "berth"), one(f"daemon_idle_{m}", "containerd"))
    add(f"daemon {label} with {npods} running pods (pause only)", "KiB", one(f"daemon_pods_{m}", "berth"),
        one(f"daemon_pods_{m}", "containerd"))
growth = [(one("daemon_pods_pss", rt) - one("daemon_idle_pss", rt)) / npods
          if one("daemon_pods_pss", rt) is not None and npods else None for rt in RUNTIMES]
add("daemon PSS growth per running pod", "KiB", *growth)
for m, label in (("dirty", "Private_Dirty"), ("pss", "PSS"), ("rss", "RSS")):
    b, shim, cm = one(f"mon_{m}", "berth-conmon"), one(f"mon_{m}", "containerd-shim"), one(f"mon_{m}", "conmon")
    add(f"monitor {label}, one container (vs containerd-shim-runc-v2)", "KiB", b, shim)
    add(f"monitor {label}, one container (peer: Debian conmon)", "KiB", b, cm, peer="conmon")
    pause = one(f"mon_{m}", "berth-conmon-pause")
    add(f"monitors {label} per pod with 1 container (berth: 2 conmons)", "KiB",
        b + pause if b is not None and pause is not None else None, shim)
lat("exec via streaming server", "stream_exec")
fw = [samples.get(("forward_mbps", rt)) for rt in RUNTIMES]
if any(fw):
    add(f"port-forward throughput p50, {settings['FORWARD_MIB']} MiB a connection", "MB/s",
        *[pct(w, 50) if w else None for w in fw], n=len(fw[0] or fw[1]), better="higher")

def title(f):
    return f["name"] + (f" (n={f['n']})" if f["n"] else "") + f" ({f['unit']})"
def fmt(v):
    return "-" if v is None else f"{v:.1f}"
name_w = max([len(title(f)) for f in figures] + [30])
lines = [f"{'figure':<{name_w}} | {'berth':>10} | {'containerd':>10} | {'ratio':>6}",
         f"{'-' * name_w}-|-{'-' * 10}-|-{'-' * 10}-|-{'-' * 6}"]
for f in figures:
    ratio = "-" if f["ratio"] is None else f"{f['ratio']:.3f}"
    lines.append(f"{title(f):<{name_w}} | {fmt(f['berth']):>10} | {fmt(f['containerd']):>10} | {ratio:>6}")
print("\n".join(lines))
failed = sys.argv[6].split()
if failed:
    print(f"FAILED sections: {' '.join(failed)}")
doc = {"machine": json.loads(sys.argv[3]), "settings": settings, "sections": json.loads(sys.argv[5]),
       "failed": failed, "raw": raw, "figures": figures}
json.dump(doc, open(out, "w"), indent=1)
with open(raw, "a") as f:
    f.write("".join("# " + l + "\n" for l in lines))
PY
echo "ratio = berth/containerd: below 1, berth is faster or smaller (MB/s: above 1, berth faster)"
echo "json: $JSON"
echo "samples: $RAW"
echo "wall time: $(($(date +%s) - START_S)) s"
[ ${#FAILED[@]} -eq 0 ]
