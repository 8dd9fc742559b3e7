#!/usr/bin/env bash
# The README's first command: installs dependencies, builds and installs
# berth under /usr/local, and (re)starts berthd with its default config
# (/etc/berth/berth.yaml and drop-ins if present, else built-in defaults).
# berthd runs in the background, logging to /var/log/berth/berthd.log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "up.sh: run as root (berthd manages namespaces, mounts and cgroups)" >&2; exit 1; }
"$BERTH_SRC/hack/install-deps.sh"
"$BERTH_SRC/hack/install-cni-config.sh"
# A unity build: most files include the CRI's 60k-line generated header, and
# parsing it once per batch of files halves the compile time.
configure_and_build "$BERTH_SRC/build/release" -DCMAKE_BUILD_TYPE=Release -DBERTH_TESTS=OFF -DCMAKE_UNITY_BUILD=ON
cmake --install "$BERTH_SRC/build/release" --prefix /usr/local

PIDFILE=/run/berth/berthd.pid
LOG=/var/log/berth/berthd.log
mkdir -p /run/berth /var/log/berth

# Replace a berthd this script started before (only that pid, only if it is berthd).
if [ -f "$PIDFILE" ]; then
  old=$(cat "$PIDFILE")
  if [ -n "$old" ] && [ "$(cat /proc/"$old"/comm 2>/dev/null)" = berthd ]; then
    echo "up.sh: stopping berthd (pid $old)"
    kill -TERM "$old"
    for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  fi
fi

/usr/local/bin/berthd config > /dev/null  # a bad config fails here, with its message
setsid /usr/local/bin/berthd serve >> "$LOG" 2>&1 < /dev/null &
echo $! > "$PIDFILE"

SOCK=$(/usr/local/bin/berthd config | sed -n 's|^listen: unix://||p')
# Ready when Version answers: a gRPC call over HTTP/2 on the unix socket.
for _ in $(seq 100); do
  if [ -S "$SOCK" ] && curl -sf --http2-prior-knowledge --unix-socket "$SOCK" -o /dev/null \
       -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @<(printf '\0\0\0\0\0') \
       http://localhost/runtime.v1.RuntimeService/Version; then
    echo "up.sh: berthd $(/usr/local/bin/berthd version | cut -d' ' -f2) is serving unix://$SOCK (pid $(cat "$PIDFILE"), log $LOG)"
    exit 0
  fi
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
  sleep 0.1
done
echo "up.sh: berthd did not come up; last lines of $LOG:" >&2
tail -20 "$LOG" >&2
exit 1
