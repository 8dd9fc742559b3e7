#!/usr/bin/env bash
# Image pull benchmark: berth against containerd (Debian's, with its CRI
# plugin), measured in the same run on the same machine.
#
# A ~200 MB, 5-layer image (hack/build-bench-image.sh, cached under
# /var/tmp/berth-bench) is pushed to a docker-registry on 127.0.0.1. Each
# round pulls it once through each runtime's CRI PullImage (download, verify,
# unpack into overlayfs layers), timed by berth-cri-bench around the RPC. Every
# pull starts from an empty root: the daemon is started on a fresh root, pulls,
# removes the image (RemoveImage) and is stopped, and its root is deleted. Only
# one daemon runs at a time; the order alternates between rounds; dirty pages
# are synced before each pull and the registry's blobs are read once up front,
# so both runtimes read them from the page cache.
#
# Prints each round's times, the medians and the ratio berth/containerd (below
# 1: berth is faster), and writes them to /var/tmp/berth-bench/pull-DATE.tsv.
#
# usage: hack/bench-pull.sh
#   BENCH_ROUNDS=5                    rounds (each pulls once per runtime)
#   BENCH_BUILD_DIR=build/bench       where berthd and berth-cri-bench are built (Release)
#   BENCH_CACHE=/var/tmp/berth-bench  image cache and results
#   JOBS=$(nproc)                     build parallelism
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "bench-pull.sh: run as root (runtimes mount overlayfs)" >&2; exit 1; }
ROUNDS=${BENCH_ROUNDS:-5}
BUILD=${BENCH_BUILD_DIR:-$BERTH_SRC/build/bench}
CACHE=${BENCH_CACHE:-/var/tmp/berth-bench}
IMAGE_VERSION=v1  # bump when hack/build-bench-image.sh changes what it builds
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench-pull.sh: BENCH_ROUNDS must be a positive integer" >&2; exit 2; }

log() { echo "bench-pull: $*" >&2; }

# --- (a) dependencies, (b) build -------------------------------------------------
"$BERTH_SRC/hack/install-deps.sh" >&2
# Release like hack/up.sh (warnings are hack/test.sh's concern, not this one's);
# BERTH_TESTS=ON because berth-cri-bench lives under tests/bench.
cmake -S "$BERTH_SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBERTH_WERROR=OFF -DBERTH_TESTS=ON > /dev/null
cmake --build "$BUILD" -j "$JOBS" --target berthd berth-cri-bench >&2  # stdout: results only
BERTHD=$BUILD/server/berthd
CLIENT=$BUILD/tests/bench/berth-cri-bench

# --- (c) the image, built once ---------------------------------------------------
mkdir -p "$CACHE"
LAYOUT=$CACHE/image-$IMAGE_VERSION
if [ ! -f "$LAYOUT/.complete" ]; then
  log "building the benchmark image in $LAYOUT (once; takes a while)"
  rm -rf "$LAYOUT" "$LAYOUT.tmp"
  "$BERTH_SRC/hack/build-bench-image.sh" "$LAYOUT.tmp"
  touch "$LAYOUT.tmp/.complete"
  mv "$LAYOUT.tmp" "$LAYOUT"
fi
MANIFEST=$(jq -r '.manifests[0].digest' "$LAYOUT/index.json")
IMAGE_BYTES=$(jq '[.layers[].size] | add' "$LAYOUT/blobs/${MANIFEST/://}")
LAYERS=$(jq '.layers | length' "$LAYOUT/blobs/${MANIFEST/://}")
CONFIG_DIGEST=$(jq -r '.config.digest' "$LAYOUT/blobs/${MANIFEST/://}")

# --- processes and cleanup ---------------------------------------------------------
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
declare -A PIDS=()  # name -> pid of every process this script started

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

cleanup() {
  local name
  for name in "${!PIDS[@]}"; do stop_proc "$name"; done
  unmount_under "$WORK"
  rm -rf "$WORK"
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

# --- (d) the registry ------------------------------------------------------------------
start_registry "$WORK/registry" || exit 1
PIDS[registry]=$REGISTRY_PID
log "pushing the image ($((IMAGE_BYTES / 1000000)) MB compressed, $LAYERS layers) to $REGISTRY"
"$BERTH_SRC/hack/push-test-images.sh" "$LAYOUT" "http://$REGISTRY" bench/big > /dev/null
IMAGE=$REGISTRY/bench/big:bench
# Both runtimes then read the registry's blobs from the page cache.
find "$WORK/registry/data" -type f -exec cat {} + > /dev/null

# --- (e) the two runtimes, each on a fresh root per pull -------------------------------------
start_berth() {
  local d=$WORK/berth
  mkdir -p "$d/cni" "$d/config.d"
  cat > "$d/berth.yaml" <<EOF
images:
  registries:
    "$REGISTRY": {insecure: true}
EOF
  "$BERTHD" serve --config "$d/berth.yaml" --config-dir "$d/config.d" --root "$d/root" --run-root "$d/run" \
    --listen "$d/berth.sock" --cni-conf-dir "$d/cni" --log-level info >> "$WORK/berth.log" 2>&1 &
  PIDS[berth]=$!
  SOCK[berth]=$d/berth.sock
  wait_cri berth "$d/berth.sock"
}

start_containerd() {
  local d=$WORK/containerd
  mkdir -p "$d/cni"
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
  restrict_oom_score_adj = true
  max_concurrent_downloads = 3
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$d/certs.d"
EOF
  # The local registry speaks plain HTTP (hosts.toml: containerd's per-registry config).
  mkdir -p "$d/certs.d/$REGISTRY"
  cat > "$d/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
  containerd --config "$d/config.toml" >> "$WORK/containerd.log" 2>&1 &
  PIDS[containerd]=$!
  SOCK[containerd]=$d/containerd.sock
  wait_cri containerd "$d/containerd.sock"
}

reset_runtime() {  # name: stop it, unmount what it left, delete its dirs
  stop_proc "$1"
  unmount_under "$WORK/$1"
  rm -rf "${WORK:?}/$1"
}

# --- (f) the rounds ---------------------------------------------------------------------------
declare -A SOCK=() MS=()
bench_one() {  # name round: one timed pull from an empty root; sets MS[name,round]
  local name=$1 round=$2 out ms ref size
  "start_$name"
  sync
  if ! out=$("$CLIENT" pull "${SOCK[$name]}" "$IMAGE"); then
    log "$name: PullImage $IMAGE failed; last lines of its log:"
    tail -n 30 "$WORK/$name.log" >&2
    exit 1
  fi
  read -r ms ref <<< "$out"
  [ "$ref" = "$CONFIG_DIGEST" ] || [ "${ref#*@}" = "$CONFIG_DIGEST" ] ||
    log "$name: PullImage answered image ref '$ref' (the image's config digest is $CONFIG_DIGEST)"
  size=$(du -sm "$WORK/$name/root" | cut -f1)
  "$CLIENT" rmi "${SOCK[$name]}" "$IMAGE" > /dev/null
  reset_runtime "$name"
  MS[$name,$round]=$ms
  printf '  round %d  %-10s %9.1f ms   (root after pull: %d MiB)\n' "$round" "$name" "$ms" "$size"
}

log "$ROUNDS rounds, image $IMAGE"
echo "berth $(git -C "$BERTH_SRC" describe --always --dirty 2> /dev/null || echo unknown) vs" \
  "$(containerd --version | awk '{print $1, $3}'); image $((IMAGE_BYTES / 1000000)) MB compressed," \
  "$LAYERS layers; $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order=(berth containerd); else order=(containerd berth); fi
  for name in "${order[@]}"; do bench_one "$name" "$round"; done
done

# --- (g) results --------------------------------------------------------------------------------
RESULT=$CACHE/pull-$(date +%Y%m%d-%H%M%S).tsv
{
  echo "# hack/bench-pull.sh $(date -Is): image $IMAGE_BYTES bytes compressed, $LAYERS layers;" \
    "berth $(git -C "$BERTH_SRC" describe --always --dirty 2> /dev/null || echo unknown);" \
    "$(containerd --version | awk '{print $1, $3}')"
  printf 'round\tberth_ms\tcontainerd_ms\n'
  for round in $(seq "$ROUNDS"); do printf '%d\t%s\t%s\n' "$round" "${MS[berth,$round]}" "${MS[containerd,$round]}"; done
} > "$RESULT"
python3 - "$RESULT" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l[0].isdigit()]
b = [float(r[1]) for r in rows]
c = [float(r[2]) for r in rows]
print(f"\n{'round':>6}  {'berth ms':>10}  {'containerd ms':>13}  {'ratio':>6}")
for r, x, y in zip(rows, b, c):
    print(f"{r[0]:>6}  {x:>10.1f}  {y:>13.1f}  {x / y:>6.3f}")
mb, mc = statistics.median(b), statistics.median(c)
print(f"{'median':>6}  {mb:>10.1f}  {mc:>13.1f}  {mb / mc:>6.3f}")
print(f"\nberth/containerd (medians) = {mb / mc:.3f}  ({'berth faster' if mb < mc else 'containerd faster'}; target <= 1)")
with open(sys.argv[1], "a") as f:
    f.write(f"median\t{mb:.1f}\t{mc:.1f}\n# ratio berth/containerd {mb / mc:.3f}\n")
PY
echo "results: $RESULT"
