#!/usr/bin/env bash
# A real kubelet runs pods on berth: starts a berthd of its own (own root, run
# root, socket, CNI network on bridge berthk8s0, test image in a private
# docker-registry on 127.0.0.1) and a kubelet in standalone mode (static pods
# from a manifest dir, cgroupfs, read-only API on 127.0.0.1, its own root dir,
# cgroups under /berth-kubelet-e2e), then checks through kubelet's read-only
# API (/pods) and the CRI (berth-cri-bench ps):
#   1 a busybox pod Running within 60 s
#   2 its container killed -9 -> restarted, restartCount 1
#   3 a failing exec liveness probe restarts its container
#   4 an httpGet readiness probe on busybox httpd makes the container Ready
#   5 the container's output in /var/log/pods/<ns>_<name>_<uid>/<container>/0.log, CRI format
#   6 berthd killed -9 and restarted under the running kubelet: the same
#     containers keep running, kubelet creates no new ones
#   7 kubelet's summary API (/stats/summary on the read-only port, fed by
#     ListContainerStats and ImageFsInfo) shows the running pod's CPU and memory
#   8 the manifest removed -> pod stopped and removed, nothing of it left
#     (mounts, netns, cgroups, IP, processes, state)
#   9 kubelet's log has no runtime error but for the RPCs berth still answers
#     UNIMPLEMENTED (listed), and the connection errors of step 6, and no
#     "failed to get summary stats" (the eviction manager's complaint)
#
# usage: KUBELET=/path/to/kubelet hack/kubelet-e2e.sh     (root; kubelet >= 1.26)
#   KUBELET_EXTRA_ARGS   more kubelet flags
#   E2E_KEEP=1           keep the work dir (/var/tmp/berth-kubelet-e2e.*) for a look
# Not part of hack/test.sh: CI has no kubelet. The kubelet is built outside
# this repository; nothing here builds one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

say() { echo "kubelet-e2e: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }
pass() { echo "kubelet-e2e: PASS $*"; }

[ "$(id -u)" -eq 0 ] || die "run as root (berthd and kubelet manage namespaces, mounts and cgroups)"
[ -n "${KUBELET:-}" ] || die "set KUBELET=/path/to/kubelet (a kubelet >= 1.26 built outside this repository)"
[ -x "$KUBELET" ] || die "KUBELET=$KUBELET is not an executable file"
KVER=$("$KUBELET" --version 2>&1 | grep -o 'v1\.[0-9]*\.[0-9]*' | head -1) || true
[ -n "$KVER" ] || die "$KUBELET --version did not print a version"
minor=$(echo "$KVER" | cut -d. -f2)
[ "$minor" -ge 26 ] || die "kubelet $KVER is older than 1.26"
BRIDGE=berthk8s0 SUBNET=10.199.0.0/24 CGROUP_ROOT=/berth-kubelet-e2e NODE=berth-e2e
! ip link show "$BRIDGE" > /dev/null 2>&1 || die "link $BRIDGE exists (left by a killed run?): ip link del $BRIDGE"

# --- build, work dir, cleanup -------------------------------------------------------------
"$BERTH_SRC/hack/install-deps.sh" >&2
BUILD=${E2E_BUILD_DIR:-$BERTH_SRC/build/e2e}
cmake -S "$BERTH_SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBERTH_TESTS=ON > /dev/null
cmake --build "$BUILD" -j "$JOBS" --target berthd berth-conmon berth-pause berth-cri-bench >&2
CRI=$BUILD/tests/bench/berth-cri-bench

WORK=$(mktemp -d /var/tmp/berth-kubelet-e2e.XXXXXX)
ROOT=$WORK/root RUN=$WORK/run SOCK=$WORK/berth.sock MANIFESTS=$WORK/manifests
mkdir -p "$MANIFESTS" "$WORK/cni" "$WORK/kubelet" "$WORK/berth.yaml.d"
declare -A PIDS=()

# kubelet's logs of the test pod: its dir under /var/log/pods and the
# /var/log/containers links (a stale link makes kubelet ask the runtime about a
# container it never had).
remove_pod_logs() {
  rm -rf /var/log/pods/default_e2e-"$NODE"_* /var/log/containers/e2e-"$NODE"_default_*
}

cleanup() {
  set +e
  rm -f "$MANIFESTS"/*.yaml
  if [ -n "${PIDS[kubelet]:-}" ] && kill -0 "${PIDS[kubelet]}" 2>/dev/null; then
    for _ in $(seq 30); do [ -z "$("$CRI" ps "$SOCK" 2>/dev/null)" ] && break; sleep 1; done
  fi
  for name in kubelet berthd registry; do
    pid=${PIDS[$name]:-}
    [ -n "$pid" ] || continue
    if [ "$name" = berthd ] && kill -0 "$pid" 2>/dev/null; then "$CRI" rmp "$SOCK" all > /dev/null 2>&1; fi
    kill -TERM "$pid" 2>/dev/null && for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  # kubelet's own mounts under its root dir, then anything else under the work dir.
  grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  ip link del "$BRIDGE" 2>/dev/null
  for c in /sys/fs/cgroup/*/; do
    [ -d "$c${CGROUP_ROOT#/}" ] && find "$c${CGROUP_ROOT#/}" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  remove_pod_logs
  if [ "${E2E_KEEP:-0}" = 1 ]; then say "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
remove_pod_logs  # a killed run's

# --- registry with the test image ------------------------------------------------------------
start_registry "$WORK/registry" || die "no registry"
PIDS[registry]=$REGISTRY_PID
"$BERTH_SRC/hack/build-test-images.sh" "$WORK/images" > /dev/null
"$BERTH_SRC/hack/push-test-images.sh" "$WORK/images" "http://$REGISTRY" e2e/busybox > /dev/null
IMAGE=$REGISTRY/e2e/busybox:amd64

# --- berthd ------------------------------------------------------------------------------------
cat > "$WORK/cni/10-e2e.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "berth-e2e", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$SUBNET"}]], "dataDir": "$WORK/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
cat > "$WORK/berth.yaml" <<EOF
root: $ROOT
run_root: $RUN
listen: unix://$SOCK
runtime:
  conmon: $BUILD/conmon/berth-conmon
pause:
  binary: $BUILD/pod/berth-pause
cni:
  conf_dir: $WORK/cni
images:
  registries:
    "$REGISTRY": {insecure: true}
EOF
start_berthd() {
  "$BUILD/server/berthd" serve --config "$WORK/berth.yaml" --config-dir "$WORK/berth.yaml.d" >> "$WORK/berthd.log" 2>&1 &
  PIDS[berthd]=$!
  for _ in $(seq 100); do "$CRI" version "$SOCK" > /dev/null 2>&1 && return 0; sleep 0.1; done
  tail -20 "$WORK/berthd.log" >&2
  die "berthd did not come up"
}
start_berthd
"$CRI" pull "$SOCK" "$IMAGE" > /dev/null

# --- kubelet --------------------------------------------------------------------------------------
RO_PORT=$(free_port) PORT=$(free_port) HEALTHZ_PORT=$(free_port)
for c in /sys/fs/cgroup/*/; do
  # kubelet checks the root in every v1 hierarchy it knows (name=systemd too); v2 is not used here.
  case $c in */unified/) continue ;; esac
  mkdir -p "$c${CGROUP_ROOT#/}"
done
cat > "$WORK/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $PORT
readOnlyPort: $RO_PORT
healthzBindAddress: 127.0.0.1
healthzPort: $HEALTHZ_PORT
staticPodPath: $MANIFESTS
fileCheckFrequency: 2s
syncFrequency: 10s
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
cgroupsPerQOS: true
enforceNodeAllocatable: []
failSwapOn: false
makeIPTablesUtilChains: false
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
resolvConf: /etc/resolv.conf
evictionHard: {}
EOF
# shellcheck disable=SC2086
"$KUBELET" --config "$WORK/kubelet.yaml" --root-dir "$WORK/kubelet" --hostname-override "$NODE" \
  --container-runtime-endpoint "unix://$SOCK" --v 2 ${KUBELET_EXTRA_ARGS:-} > "$WORK/kubelet.log" 2>&1 &
PIDS[kubelet]=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$RO_PORT/healthz" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$RO_PORT/healthz" || { tail -30 "$WORK/kubelet.log" >&2; die "kubelet did not come up"; }
say "kubelet $KVER (pid ${PIDS[kubelet]}) on berthd (pid ${PIDS[berthd]}), read-only API 127.0.0.1:$RO_PORT"

POD=e2e-$NODE
pod() { curl -sf "http://127.0.0.1:$RO_PORT/pods" | jq -c ".items[]? | select(.metadata.name == \"$POD\")"; }
ctr_status() { pod | jq -c ".status.containerStatuses[]? | select(.name == \"$1\")"; }
ctr_field() { ctr_status "$1" | jq -r "$2"; }
wait_for() {  # seconds description command...
  local secs=$1 what=$2
  shift 2
  for _ in $(seq "$((secs * 2))"); do "$@" && return 0; sleep 0.5; done
  say "kubelet's view: $(pod)"
  die "$what (not within $secs s)"
}
ps_ctrs() { "$CRI" ps "$SOCK" | awk '$1 == "ctr"'; }

cat > "$MANIFESTS/e2e.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: e2e, namespace: default}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: app
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo hello-from-e2e; exec sleep 100000']
  - name: live
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    # Unhealthy on its first run only: the emptyDir outlives the restart.
    command: [sh, -c, 'if [ -e /state/ran ]; then touch /tmp/healthy; else touch /state/ran; fi; exec sleep 100000']
    volumeMounts: [{name: state, mountPath: /state}]
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 2, periodSeconds: 2, failureThreshold: 1}
  - name: web
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'mkdir -p /www && echo ready > /www/index.html && exec httpd -f -p 8080 -h /www']
    readinessProbe: {httpGet: {path: /, port: 8080}, initialDelaySeconds: 1, periodSeconds: 2}
EOF

# 1
running() { [ "$(pod | jq -r '.status.phase')" = Running ] && [ "$(ctr_field app '.state.running != null')" = true ]; }
wait_for 60 "1: pod $POD Running" running
pass "1: pod $POD Running ($(pod | jq -r '.status.podIP'))"

# 2
app_id=$(ctr_field app '.containerID' | sed 's|.*://||')
app_pid=$(ps_ctrs | awk -v id="$app_id" '$2 == id {print $7}')
[ -n "$app_pid" ] && [ "$app_pid" -gt 0 ] || die "2: no pid for container app ($app_id) in the CRI"
kill -9 "$app_pid"
restarted() { [ "$(ctr_field app '.restartCount')" = 1 ] && [ "$(ctr_field app '.state.running != null')" = true ]; }
wait_for 60 "2: container app restarted after kill -9 of pid $app_pid" restarted
[ "$(ps_ctrs | awk -v id="$app_id" '$2 == id {print $3}')" = CONTAINER_EXITED ] || die "2: the killed container is not EXITED in the CRI"
pass "2: app killed -9 (pid $app_pid) -> restarted, restartCount 1; $(ps_ctrs | awk '$5 == "app"' | wc -l) attempts in the CRI"

# 3
live_restarted() {
  local n
  n=$(ctr_field live '.restartCount')
  [ "${n:-0}" -ge 1 ] && [ "$(ctr_field live '.state.running != null')" = true ]
}
wait_for 60 "3: container live restarted by its failing liveness probe" live_restarted
grep -Eq 'failed liveness probe|probeType="Liveness"' "$WORK/kubelet.log" ||
  die "3: kubelet's log does not say the liveness probe failed"
[ "$(ps_ctrs | awk '$5 == "live" && $6 == 0 {print $3}')" = CONTAINER_EXITED ] ||
  die "3: the first attempt of live is not EXITED in the CRI"
pass "3: failing exec liveness probe restarted container live (restartCount $(ctr_field live '.restartCount'))"

# 4
web_ready() { [ "$(ctr_field web '.ready')" = true ]; }
wait_for 60 "4: container web Ready through its httpGet readiness probe" web_ready
pass "4: httpGet readiness probe made web Ready"

# 5
UID_=$(pod | jq -r '.metadata.uid')
LOG=/var/log/pods/default_${POD}_$UID_/app/0.log
[ -f "$LOG" ] || die "5: no log file $LOG"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z stdout F hello-from-e2e$' "$LOG" ||
  die "5: $LOG has no CRI line for the output: $(head -3 "$LOG")"
pass "5: $LOG: $(head -1 "$LOG")"

# 6
sleep 3  # let the last restart settle
before=$(ps_ctrs | sort)
running_pids=$(echo "$before" | awk '$3 == "CONTAINER_RUNNING" {print $7}')
kill -9 "${PIDS[berthd]}"
wait "${PIDS[berthd]}" 2>/dev/null || true
sleep 5  # kubelet meets a dead runtime for a while
start_berthd
sleep 25  # a few PLEG relists and syncs
after=$(ps_ctrs | sort)
[ "$before" = "$after" ] || die "6: containers changed across the berthd restart:
before:
$before
after:
$after"
for p in $running_pids; do kill -0 "$p" 2>/dev/null || die "6: container pid $p died across the berthd restart"; done
running
pass "6: berthd killed -9 and restarted: the same $(echo "$after" | wc -l) containers, $(echo "$running_pids" | wc -w) still running with the same pids, none new"

# 7
summary_ok() {
  curl -sf "http://127.0.0.1:$RO_PORT/stats/summary" | jq -e --arg n "$POD" \
    '.pods[]? | select(.podRef.name == $n) | (.cpu.usageCoreNanoSeconds > 0) and (.memory.workingSetBytes > 0)' \
    > /dev/null
}
wait_for 60 "7: kubelet's /stats/summary shows pod $POD's CPU and memory" summary_ok
summary=$(curl -sf "http://127.0.0.1:$RO_PORT/stats/summary" | jq -c --arg n "$POD" \
  '.pods[] | select(.podRef.name == $n) | {cpu: .cpu.usageCoreNanoSeconds, memory: .memory.workingSetBytes, containers: [.containers[].name]}')
pass "7: kubelet's /stats/summary shows the pod: $summary"

# 8
state=$("$CRI" ps "$SOCK")
pod_ids=$(echo "$state" | awk '$1 == "pod" {print $2}')
ctr_ids=$(echo "$state" | awk '$1 == "ctr" {print $2}')
ip=$(pod | jq -r '.status.podIP')
# Every process berth started for the pod: pause, containers, their monitors.
pod_pids=$(for id in $pod_ids; do jq -r '.pause_pid, .monitor_pid' "$ROOT/sandboxes/$id/sandbox.json"; done)
ctr_pids=$(for id in $ctr_ids; do jq -r '.pid, .monitor_pid' "$ROOT/containers/$id/container.json"; done)
rm "$MANIFESTS/e2e.yaml"
gone() { [ -z "$(pod)" ] && [ -z "$("$CRI" ps "$SOCK")" ]; }
wait_for 60 "8: pod stopped and removed after its manifest went" gone
left=""
for id in $pod_ids $ctr_ids; do
  grep -q "$id" /proc/self/mountinfo && left="$left mount-of-$id"
  [ -n "$(find /sys/fs/cgroup -name "$id" 2>/dev/null)" ] && left="$left cgroup-$id"
  [ -e "$RUN/netns/$id" ] && left="$left netns-$id"
done
for d in "$ROOT/sandboxes" "$ROOT/containers" "$RUN/sandboxes" "$RUN/containers"; do
  [ -z "$(ls -A "$d" 2>/dev/null)" ] || left="$left $d:$(ls "$d" | tr '\n' ' ')"
done
[ ! -e "$WORK/ipam/berth-e2e/$ip" ] || left="$left ip-$ip"
for p in $pod_pids $ctr_pids; do [ "$p" -gt 0 ] && kill -0 "$p" 2>/dev/null && left="$left pid-$p"; done
[ -z "$(runc --root "$RUN/runtimes/runc" list -q 2>/dev/null)" ] || left="$left runc:$(runc --root "$RUN/runtimes/runc" list -q | tr '\n' ' ')"
[ -z "$left" ] || die "8: left after removal:$left"
pass "8: manifest removed -> pod gone; no mount, netns, cgroup, IP ($ip), process or state of it left"

# 9
# Connection errors are step 6's (berthd was down; klog flushes late, so they
# are told by their text, not their place in the log); any other runtime error fails.
errors=$(grep -E '^E[0-9]{4} .*rpc error' "$WORK/kubelet.log" || true)
unimplemented=$(echo "$errors" | grep 'code = Unimplemented' | grep -oE 'berth does not implement [A-Za-z]+' |
  sed 's/berth does not implement //' | sort | uniq -c || true)
down=$(echo "$errors" | grep 'code = Unavailable' | grep -c 'connection refused\|no such file or directory' || true)
other=$(echo "$errors" | grep -v 'code = Unimplemented' |
  grep -v 'code = Unavailable.*\(connection refused\|no such file or directory\)' | grep -v '^$' || true)
# The eviction manager's complaint, but for the ones while berthd was down in step 6.
no_summary=$(grep 'failed to get summary stats' "$WORK/kubelet.log" |
  grep -v 'code = Unavailable.*\(connection refused\|no such file or directory\)' || true)
[ -z "$no_summary" ] || die "9: kubelet could not get summary stats: $(echo "$no_summary" | head -1)"
[ -z "$other" ] || die "9: kubelet logged runtime errors:
$(echo "$other" | head -20)"
echo "kubelet-e2e: RPCs still UNIMPLEMENTED that kubelet called (error lines per RPC):"
echo "${unimplemented:-   none}" | sed 's/^/kubelet-e2e:   /'
pass "9: no other runtime error in kubelet's log ($down connection errors while berthd was down in step 6)"
echo "kubelet-e2e: all 9 checks passed (kubelet $KVER, berthd $("$CRI" version "$SOCK"))"
