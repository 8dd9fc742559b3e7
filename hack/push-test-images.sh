#!/usr/bin/env bash
# Pushes an OCI image layout (as hack/build-test-images.sh writes it) to a
# registry over the distribution API with curl: every blob by a monolithic
# upload (POST, then PUT ?digest=), the manifests an index names by digest,
# then each index.json entry under its org.opencontainers.image.ref.name tag.
#
# usage: hack/push-test-images.sh LAYOUT_DIR REGISTRY_URL REPOSITORY [curl options...]
#   e.g. hack/push-test-images.sh /tmp/img http://127.0.0.1:5000 test/busybox
#        hack/push-test-images.sh /tmp/img https://127.0.0.1:5443 busybox --cacert ca.pem -u user:pw
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 LAYOUT_DIR REGISTRY_URL REPOSITORY [curl options...]" >&2; exit 2; }
layout=$1 registry=${2%/} repo=$3
shift 3
curl_opts=(--silent --show-error --fail "$@")

push_blob() {  # digest
  local digest=$1 file="$layout/blobs/${1/://}" location
  if curl "${curl_opts[@]}" --head -o /dev/null "$registry/v2/$repo/blobs/$digest" 2>/dev/null; then
    return 0
  fi
  location=$(curl "${curl_opts[@]}" -X POST -o /dev/null -D - "$registry/v2/$repo/blobs/uploads/" |
    awk 'tolower($1) == "location:" { sub(/\r$/, "", $2); print $2 }')
  [ -n "$location" ] || { echo "$0: no upload location for $digest" >&2; exit 1; }
  case $location in /*) location=$registry$location ;; esac
  case $location in *\?*) location="$location&digest=$digest" ;; *) location="$location?digest=$digest" ;; esac
  curl "${curl_opts[@]}" -X PUT -o /dev/null -H "Content-Type: application/octet-stream" \
    --data-binary "@$file" "$location"
}

push_manifest() {  # digest media_type reference
  curl "${curl_opts[@]}" -X PUT -o /dev/null -H "Content-Type: $2" \
    --data-binary "@$layout/blobs/${1/://}" "$registry/v2/$repo/manifests/$3"
}

for blob in "$layout"/blobs/sha256/*; do
  push_blob "sha256:$(basename "$blob")"
done
# Children of an index must exist before the index is pushed.
jq -r '.manifests[] | select(.mediaType | test("index|list")) | .digest' "$layout/index.json" | while read -r idx; do
  jq -r '.manifests[] | "\(.digest) \(.mediaType)"' "$layout/blobs/${idx/://}" | while read -r digest mt; do
    push_manifest "$digest" "$mt" "$digest"
  done
done
jq -r '.manifests[] | "\(.digest) \(.mediaType) \(.annotations["org.opencontainers.image.ref.name"])"' \
  "$layout/index.json" | while read -r digest mt tag; do
  push_manifest "$digest" "$mt" "$tag"
done
echo "pushed $(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(", ")' \
  "$layout/index.json") to $registry/$repo"
