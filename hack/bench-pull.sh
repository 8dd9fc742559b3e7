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
# so both runtimes read them from the page cache. The daemons are set up as
# for the other benchmarks (hack/bench-daemons.sh); containerd has pulled its
# small pause image before the timed pull. hack/bench.sh's pull section pulls
# the same image into long-running daemons instead.
#
# Prints each round's times, the medians and the ratio berth/containerd (below
# 1: berth is faster), and writes them to /var/tmp/berth-bench/pull-DATE.tsv.
#
# usage: hack/bench-pull.sh
#   BENCH_ROUNDS=5                    rounds (each pulls once per runtime)
#   JOBS, BENCH_BUILD_DIR, BENCH_NO_BUILD, BENCH_CACHE (image cache and results), BENCH_SUBNET_*:
#                                     see hack/bench-daemons.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_NAME=pull
ROUNDS=${BENCH_ROUNDS:-5}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench-pull.sh: BENCH_ROUNDS must be a positive integer" >&2; exit 2; }
# Root, the lock, the build, the registry, start_berth/start_containerd, the trap.
source "$BERTH_SRC/hack/bench-daemons.sh"

# --- the image, built once, in the registry ---------------------------------------------
LAYOUT=$(cached_bench_image)
MANIFEST=$(jq -r '.manifests[0].digest' "$LAYOUT/index.json")
IMAGE_BYTES=$(jq '[.layers[].size] | add' "$LAYOUT/blobs/${MANIFEST/://}")
LAYERS=$(jq '.layers | length' "$LAYOUT/blobs/${MANIFEST/://}")
CONFIG_DIGEST=$(jq -r '.config.digest' "$LAYOUT/blobs/${MANIFEST/://}")
log "pushing the image ($((IMAGE_BYTES / 1000000)) MB compressed, $LAYERS layers) to $REGISTRY"
"$BERTH_SRC/hack/push-test-images.sh" "$LAYOUT" "http://$REGISTRY" bench/big > /dev/null
IMAGE=$REGISTRY/bench/big:bench
# Both runtimes then read the registry's blobs from the page cache.
find "$WORK/registry/data" -type f -exec cat {} + > /dev/null

# --- each pull on a fresh root, one daemon at a time ---------------------------------------
reset_runtime() {  # name: stop it, unmount what it left, delete its dirs
  stop_proc "$1"
  unmount_under "$WORK/$1"
  rm -rf "${WORK:?}/$1"
}

# --- (f) the rounds ---------------------------------------------------------------------------
declare -A MS=()
bench_one() {  # name round: one timed pull from an empty root; sets MS[name,round]
  local name=$1 round=$2 out ms ref size
  "start_$name"
  sync
  out=$(client_or_die "$name" pull "${SOCK[$name]}" "$IMAGE")
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
echo "$(describe_run); image $((IMAGE_BYTES / 1000000)) MB compressed, $LAYERS layers;" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  turn_order "$round"
  for name in "${ORDER[@]}"; do bench_one "$name" "$round"; done
done

# --- (g) results --------------------------------------------------------------------------------
RESULT=$CACHE/pull-$(date +%Y%m%d-%H%M%S).tsv
{
  echo "# hack/bench-pull.sh $(date -Is): image $IMAGE_BYTES bytes compressed, $LAYERS layers;" \
    "$(describe_run)"
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
