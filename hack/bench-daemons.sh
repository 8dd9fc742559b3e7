# Shared by the runtime benchmarks (hack/bench.sh and hack/bench-{runp,containers,stats,streaming,pull}.sh):
# berthd and containerd (Debian's, with its CRI plugin) side by side, each on
# its own root, socket and runc root, with the same CNI network config (bridge
# + portmap, plugins from /usr/lib/cni) except for its name, bridge and subnet
# (berth: bbench-b0, 10.197.0.0/16; containerd: bbench-c0, 10.198.0.0/16); a
# private docker-registry on 127.0.0.1 holding berth-pause as containerd's
# sandbox image (berth runs the same binary from its built-in pause rootfs);
# and a cleanup trap that removes pods, daemons (by PID), leftover runc
# containers and shims, mounts, bridges, cgroups and the work dir, even on failure.
#
# Sourcing it (after lib.sh, with BENCH_NAME set) checks root, takes the lock,
# checks the network is free, builds, makes WORK, sets the EXIT trap and
# starts the registry (REGISTRY, PAUSE_IMAGE); then call start_berth and
# start_containerd (both may pull from REGISTRY over plain http). A script with more
# to clean up defines bench_extra_cleanup (run first, under set +e).
# Also shared: client_or_die, turn_order, describe_run, pid_of, smaps,
# run_conmon (CRI-O's conmon by hand, stopped by the trap), idle_monitors_memory
# and cached_bench_image (the large image hack/bench-pull.sh and hack/bench.sh pull).
#   BENCH_BUILD_DIR=build/bench       where berthd and friends are built (Release)
#   BENCH_NO_BUILD=1                  use what BENCH_BUILD_DIR holds: no install-deps, no cmake
#   BENCH_CACHE=/var/tmp/berth-bench  work dirs and results
#   BENCH_SUBNET_BERTH=10.197.0.0/16  BENCH_SUBNET_CONTAINERD=10.198.0.0/16
# shellcheck shell=bash

[ "$(id -u)" -eq 0 ] || { echo "bench-$BENCH_NAME.sh: run as root (runtimes make netns, mounts, cgroups)" >&2; exit 1; }
BUILD=${BENCH_BUILD_DIR:-$BERTH_SRC/build/bench}
CACHE=${BENCH_CACHE:-/var/tmp/berth-bench}
declare -A SUBNET=([berth]=${BENCH_SUBNET_BERTH:-10.197.0.0/16} [containerd]=${BENCH_SUBNET_CONTAINERD:-10.198.0.0/16})
declare -A BRIDGE=([berth]=bbench-b0 [containerd]=bbench-c0)
CGROUP_ROOT=/berthbench-$$

log() { echo "bench-$BENCH_NAME: $*" >&2; }
die() { log "$*"; exit 1; }

# --- (a) one run at a time; a free network --------------------------------------------
mkdir -p "$CACHE"
# One lock for every benchmark: they use the same bridge names and subnets.
exec 9> "$CACHE/daemons.lock"
flock -n 9 || die "another hack/bench-*.sh holds $CACHE/daemons.lock"
for name in berth containerd; do
  ! ip link show "${BRIDGE[$name]}" > /dev/null 2>&1 ||
    die "link ${BRIDGE[$name]} exists (left by a killed run?); delete it first: ip link del ${BRIDGE[$name]}"
done
ip -4 -j route show table all | python3 -c '
import ipaddress, json, sys
ours = [ipaddress.ip_network(n) for n in sys.argv[1:]]
for r in json.load(sys.stdin):
    dst = r.get("dst", "")
    if dst in ("", "default") or not dst[0].isdigit():
        continue
    net = ipaddress.ip_network(dst if "/" in dst else dst + "/32", strict=False)
    for o in ours:
        if net.overlaps(o):
            sys.exit("bench: subnet %s overlaps route %s on %s; set BENCH_SUBNET_*" % (o, dst, r.get("dev")))
' "${SUBNET[berth]}" "${SUBNET[containerd]}"

# --- (b) dependencies, build -------------------------------------------------------------
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  "$BERTH_SRC/hack/install-deps.sh" >&2
  cmake -S "$BERTH_SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBERTH_WERROR=OFF -DBERTH_TESTS=ON > /dev/null
  cmake --build "$BUILD" -j "$JOBS" --target berthd berth-conmon berth-pause berth-cri-bench >&2
fi
BERTHD=$BUILD/server/berthd
CONMON=$BUILD/conmon/berth-conmon
PAUSE=$BUILD/pod/berth-pause
CLIENT=$BUILD/tests/bench/berth-cri-bench
for f in "$BERTHD" "$CONMON" "$PAUSE" "$CLIENT"; do [ -x "$f" ] || die "$f is not built"; done

# --- processes and cleanup ---------------------------------------------------------------
WORK=$(mktemp -d "$CACHE/$BENCH_NAME.XXXXXX")
declare -A PIDS=() SOCK=()
declare -A RUNC_ROOT=([berth]=$WORK/berth/run/runtimes/runc [containerd]=$WORK/containerd/runc)

stop_proc() {  # name: SIGTERM, then SIGKILL after 20 s; only the pid we started
  local name=$1 pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2> /dev/null; then
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2> /dev/null && { log "$name (pid $pid) ignored SIGTERM; killing it"; kill -KILL "$pid" 2> /dev/null || true; }
  fi
  wait "$pid" 2> /dev/null || true
  unset "PIDS[$name]"
}

unmount_under() {  # dir: unmounts everything mounted below it, deepest first
  local dir=$1 m
  findmnt -rn -o TARGET | awk -v p="$dir/" 'index($0, p) == 1' | sort -r | while read -r m; do
    umount "$m" 2> /dev/null || umount -l "$m" || log "cannot unmount $m"
  done
}

# Containers a daemon left in its own runc root (only if pod removal failed):
# killed and deleted through runc, which only knows the ones our daemons made.
delete_containers() {  # runc_root
  local root=$1 id
  [ -d "$root" ] || return 0
  for id in $(runc --root "$root" list -q 2> /dev/null); do
    log "deleting leftover container $id (runc root $root)"
    runc --root "$root" delete --force "$id" || true
  done
}

# containerd shims serving our containerd's socket (they exit when their pod is removed).
kill_shims() {
  local f pid
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    if { tr '\0' ' ' < "$f"; } 2> /dev/null | grep -q -- "containerd-shim.* -address ${SOCK[containerd]:-/nonexistent} "; then
      log "killing leftover shim $pid"
      kill -KILL "$pid" 2> /dev/null || true
    fi
  done
}

CONMON_DIR=$WORK/conmon  # run_conmon's
stop_conmon() {  # deletes run_conmon's container; its conmon then exits (killed only if it is still ours)
  [ -d "$CONMON_DIR/runc" ] || return 0
  runc --root "$CONMON_DIR/runc" delete --force bench-conmon > /dev/null 2>&1
  local pid
  pid=$(cat "$CONMON_DIR/conmon.pid" 2> /dev/null) || { rm -rf "$CONMON_DIR"; return 0; }
  for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2> /dev/null && grep -q conmon "/proc/$pid/comm" 2> /dev/null && kill -KILL "$pid"
  rm -rf "$CONMON_DIR"
}

cleanup() {
  local status=$? name d keep
  trap - EXIT INT TERM
  set +e  # clean up as much as possible, whatever fails
  declare -F bench_extra_cleanup > /dev/null && bench_extra_cleanup
  stop_conmon
  if [ "$status" -ne 0 ] || [ -n "${BENCH_KEEP_LOGS:-}" ]; then  # keep the daemons' logs of a failed run
    keep=$CACHE/$BENCH_NAME-$([ "$status" -ne 0 ] && echo failed-)$(date +%Y%m%d-%H%M%S)
    mkdir -p "$keep" && cp "$WORK"/*.log "$keep"/ 2> /dev/null && log "daemon logs kept in $keep"
    [ -n "${RESULT:-}" ] && rm -f "$RESULT"  # no half-written results
  fi
  for name in berth containerd; do
    [ -n "${PIDS[$name]:-}" ] && kill -0 "${PIDS[$name]}" 2> /dev/null &&
      { "$CLIENT" rmp "${SOCK[$name]}" > /dev/null || log "$name: removing bench pods failed"; }
  done
  for name in "${!PIDS[@]}"; do stop_proc "$name"; done
  for name in berth containerd; do delete_containers "${RUNC_ROOT[$name]}"; done
  kill_shims
  unmount_under "$WORK"
  for name in berth containerd; do
    ip link show "${BRIDGE[$name]}" > /dev/null 2>&1 && ip link del "${BRIDGE[$name]}"
  done
  # Pod cgroups: runc made <CGROUP_ROOT>/besteffort/pod<uid> in every hierarchy.
  for d in /sys/fs/cgroup/*"$CGROUP_ROOT"; do
    [ -d "$d" ] && [ ! -L "${d%"$CGROUP_ROOT"}" ] && find "$d" -depth -type d -exec rmdir {} + 2> /dev/null
  done
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_cri() {  # name socket: until its CRI Version answers
  local name=$1 sock=$2
  for _ in $(seq 300); do
    [ -S "$sock" ] && "$CLIENT" version "$sock" > /dev/null 2>&1 && return 0
    kill -0 "${PIDS[$name]}" 2> /dev/null || break
    sleep 0.1
  done
  log "$name did not come up; its log:"
  tail -n 30 "$WORK/$name.log" >&2
  exit 1
}

# --- (c) the pause image for containerd, in a private registry ------------------------------
start_registry "$WORK/registry" || exit 1
PIDS[registry]=$REGISTRY_PID
"$BERTH_SRC/hack/build-pause-image.sh" "$WORK/pause-image" "$PAUSE"
"$BERTH_SRC/hack/push-test-images.sh" "$WORK/pause-image" "http://$REGISTRY" berth-bench/pause > /dev/null
PAUSE_IMAGE=$REGISTRY/berth-bench/pause:bench

# --- (d) the network: one conflist per runtime, identical but for name, bridge, subnet ---------
write_cni() {  # name
  local name=$1 d=$WORK/$1/cni
  mkdir -p "$d" "$WORK/$name/ipam"
  cat > "$d/10-bench.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "bench-$name",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${BRIDGE[$name]}",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$WORK/$name/ipam",
        "ranges": [[{"subnet": "${SUBNET[$name]}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

# --- (e) the two runtimes ------------------------------------------------------------------------
start_berth() {
  local d=$WORK/berth
  write_cni berth
  mkdir -p "$d/config.d"
  printf 'images:\n  registries:\n    "%s": {insecure: true}\n' "$REGISTRY" > "$d/berth.yaml"
  "$BERTHD" serve --config "$d/berth.yaml" --config-dir "$d/config.d" --root "$d/root" --run-root "$d/run" \
    --listen "$d/berth.sock" --cni-conf-dir "$d/cni" --cni-bin-dir /usr/lib/cni --conmon "$CONMON" \
    --pause-binary "$PAUSE" --cgroup-manager cgroupfs --default-runtime runc --log-level "${BENCH_LOG_LEVEL:-info}" \
    >> "$WORK/berth.log" 2>&1 &
  PIDS[berth]=$!
  SOCK[berth]=$d/berth.sock
  wait_cri berth "$d/berth.sock"
}

start_containerd() {
  local d=$WORK/containerd
  write_cni containerd
  cat > "$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.native", "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[cgroup]
  path = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # No CAP_SYS_RESOURCE here: the CRI plugin asks -998 for sandboxes; clamp
  # to containerd's own instead of failing.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "${RUNC_ROOT[containerd]}"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$d/certs.d"
EOF
  mkdir -p "$d/certs.d/$REGISTRY"
  printf 'server = "http://%s"\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' \
    "$REGISTRY" "$REGISTRY" > "$d/certs.d/$REGISTRY/hosts.toml"
  containerd --config "$d/config.toml" >> "$WORK/containerd.log" 2>&1 &
  PIDS[containerd]=$!
  SOCK[containerd]=$d/containerd.sock
  wait_cri containerd "$d/containerd.sock"
  # The sandbox image is pulled here, not inside a timed RunPodSandbox.
  "$CLIENT" pull "$d/containerd.sock" "$PAUSE_IMAGE" > /dev/null || { tail -n 20 "$WORK/containerd.log" >&2; exit 1; }
}

# The busybox test image built, pushed to the private registry as
# $REGISTRY/berth-bench/busybox:latest (set as IMAGE), both runtimes started
# and the image pulled into each; $WORK/pods for the pods' log dirs.
start_both_with_busybox() {
  "$BERTH_SRC/hack/build-test-images.sh" "$WORK/busybox-image" > /dev/null
  "$BERTH_SRC/hack/push-test-images.sh" "$WORK/busybox-image" "http://$REGISTRY" berth-bench/busybox > /dev/null
  IMAGE=$REGISTRY/berth-bench/busybox:latest
  start_berth
  start_containerd
  local name
  for name in berth containerd; do
    "$CLIENT" pull "${SOCK[$name]}" "$IMAGE" > /dev/null || { tail -n 20 "$WORK/$name.log" >&2; exit 1; }
  done
  mkdir -p "$WORK/pods"
}

# --- (f) helpers for the scripts that source this ------------------------------------------------
client_or_die() {  # name args...: runs berth-cri-bench args against daemon name; on failure its log's tail, exit 1
  local name=$1
  shift
  "$CLIENT" "$@" && return 0
  log "$name: berth-cri-bench $1 failed; last lines of its log:"
  tail -n 30 "$WORK/$name.log" >&2
  exit 1
}

# shellcheck disable=SC2034  # ORDER is for the caller
turn_order() {  # round: sets ORDER to the runtimes in that round's order, alternating so noise hits both alike
  if [ $(($1 % 2)) -eq 1 ]; then ORDER=(berth containerd); else ORDER=(containerd berth); fi
}

describe_run() {  # one line naming what runs: berth's commit, containerd, runc, cpus
  echo "berth $(git -C "$BERTH_SRC" describe --always --dirty 2> /dev/null || echo unknown);" \
    "$(containerd --version | awk '{print $1, $3}'); $(runc --version | head -1); $(nproc) cpus"
}

pid_of() {  # pattern: the one process whose space-joined command line matches (extended regex)
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

# smaps label pid: "label pid rss pss private_dirty uss" in KiB (/proc/PID/smaps_rollup);
# uss = Private_Clean + Private_Dirty, what the process alone maps (PSS also
# counts a share of pages other processes map too: it drops when another
# process maps the same libraries).
smaps() {
  awk -v label="$1" -v pid="$2" '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_Dirty:/ { d = $2 }
    /^Private_Clean:/ { c = $2 } END { if (r == "") exit 1; print label, pid, r, p, d, c + d }' "/proc/$2/smaps_rollup"
}

# Processes other than pid $1 that map libgrpc: they share its pages, and so lower the PSS read of pid $1.
grpc_sharers() {
  grep -l 'libgrpc\.so' /proc/[0-9]*/maps 2>/dev/null | cut -d/ -f3 | grep -vx "$1" |
    while read -r p; do tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-60; echo; done | grep -v '^$' || true
}

# CRI-O's conmon (Debian's) on an OCI bundle, as the reference monitor: the
# busybox layer as rootfs, `runc spec`'s defaults but for `sleep 3600`, no
# terminal and a cgroup under ours. Needs start_both_with_busybox's layout.
# Sets CONMON_PID; stop_conmon (also run by the trap) deletes it.
run_conmon() {
  local d=$CONMON_DIR manifest layer
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
  # shellcheck disable=SC2034  # CONMON_PID is for the caller
  CONMON_PID=$(cat "$d/conmon.pid")
}

# One idle pod with one `sleep` container in each runtime, and CRI-O's conmon
# on the same busybox `sleep`, left idle `settle` seconds; then writes
# "label pid rss pss private_dirty" (smaps) for berth-conmon (the container's),
# berth-conmon-pause (the pod's), containerd-shim (the pod's: pause and
# container) and conmon into file. The pods stay for rmp, conmon for stop_conmon.
idle_monitors_memory() {  # file settle
  local name line pod ctr ctr_mon pause_mon shim
  declare -A pod_of=() ctr_of=()
  for name in berth containerd; do
    line=$(client_or_die "$name" idle "${SOCK[$name]}" "$WORK/pods" "$CGROUP_ROOT" "$name-idle" "$IMAGE")
    read -r _ pod ctr <<< "$line"
    pod_of[$name]=$pod ctr_of[$name]=$ctr
  done
  run_conmon
  log "idling ${2}s before reading the monitors' memory"
  sleep "$2"
  ctr_mon=$(pid_of "berth-conmon .*--id ${ctr_of[berth]} ")
  pause_mon=$(pid_of "berth-conmon .*--id ${pod_of[berth]} ")
  shim=$(pid_of "containerd-shim-runc-v2 .*-id ${pod_of[containerd]} .*-address ${SOCK[containerd]} ")
  {
    smaps berth-conmon "$ctr_mon"
    smaps berth-conmon-pause "$pause_mon"
    smaps containerd-shim "$shim"
    smaps conmon "$CONMON_PID"
  } > "$1"
}

# The large image (hack/build-bench-image.sh), built once into the cache;
# prints its OCI layout's path.
cached_bench_image() {
  local version=v1 layout  # bump version when hack/build-bench-image.sh changes what it builds
  layout=$CACHE/image-$version
  if [ ! -f "$layout/.complete" ]; then
    log "building the benchmark image in $layout (once; takes a while)"
    rm -rf "$layout" "$layout.tmp"
    "$BERTH_SRC/hack/build-bench-image.sh" "$layout.tmp" >&2
    touch "$layout.tmp/.complete"
    mv "$layout.tmp" "$layout"
  fi
  echo "$layout"
}
