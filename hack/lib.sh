# Shared by the hack/ scripts: paths and the build step.
# shellcheck shell=bash
BERTH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${JOBS:-$(nproc)}

# configure_and_build BUILD_DIR [cmake args...]
configure_and_build() {
  local dir=$1
  shift
  cmake -S "$BERTH_SRC" -B "$dir" "$@"
  cmake --build "$dir" -j "$JOBS"
}

# A loopback TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry DIR: Debian's docker-registry on a free 127.0.0.1 port,
# storage and log in DIR. Sets REGISTRY (host:port) and REGISTRY_PID (the
# caller stops it, by that pid); returns 1, the log on stderr, if it does not answer.
start_registry() {
  local dir=$1
  REGISTRY=127.0.0.1:$(free_port)
  mkdir -p "$dir"
  cat > "$dir/config.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: "$REGISTRY"}
EOF
  docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 150); do curl -sf -o /dev/null "http://$REGISTRY/v2/" && return 0; sleep 0.1; done
  echo "docker-registry did not start on $REGISTRY; its log:" >&2
  cat "$dir/registry.log" >&2
  return 1
}
