#!/usr/bin/env bash
# Installs every Debian package berth needs to build, test and run.
# Idempotent: packages already present are skipped; apt-get update runs only
# when something is missing (or the package lists were never fetched).
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake pkg-config git
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  libnl-3-dev libnl-route-3-dev libseccomp-dev libyaml-cpp-dev libssl-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libcurl4-openssl-dev libarchive-dev nlohmann-json3-dev zlib1g-dev libzstd-dev
  libboost-dev
)
RUNTIME_PKGS=(
  runc crun runsc containernetworking-plugins iptables iproute2 util-linux procps
)
TEST_PKGS=(
  docker-registry busybox openssl curl jq python3 python3-prometheus-client
  containerd  # the peer hack/bench-pull.sh measures against (started by the script, never as a service)
  conmon  # CRI-O's C monitor: hack/bench-containers.sh's RSS reference for berth-conmon (run by hand)
)

missing=()
for p in "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}" "${TEST_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# docker-registry starts a system instance on :5000 where an init system exists;
# tests run their own on a random loopback port, so that one is not needed.
