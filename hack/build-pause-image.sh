#!/usr/bin/env bash
# Builds a pause image from berth's own static berth-pause, as an OCI image
# layout in OUT_DIR (one linux/amd64 manifest tagged "bench" in index.json),
# for runtimes that need a pause image (containerd's sandbox_image) on a
# machine without internet: push it with hack/push-test-images.sh. Like
# registry.k8s.io/pause: /pause, ENTRYPOINT ["/pause"], USER 65535:65535.
# The layer is a deterministic tar (mtime 0, owner 0:0, gzip without name or
# time), so one binary gives one digest.
#
# PATH_IN_IMAGE (default "pause") puts the binary elsewhere (its Entrypoint
# follows), so a test can tell the image's pause from the built-in one; TAG
# (default "bench") names the manifest.
#
# usage: hack/build-pause-image.sh OUT_DIR PAUSE_BINARY [PATH_IN_IMAGE [TAG]]
set -euo pipefail

[ $# -ge 2 ] && [ $# -le 4 ] || { echo "usage: $0 OUT_DIR PAUSE_BINARY [PATH_IN_IMAGE [TAG]]" >&2; exit 2; }
out=$1 pause=$2 path=${3:-pause} tag=${4:-bench}
[ -x "$pause" ] || { echo "$0: $pause is not an executable" >&2; exit 1; }
mkdir -p "$out"

exec /usr/bin/python3 - "$out" "$pause" "${path#/}" "$tag" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile

out, pause, path, tag = sys.argv[1:5]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)


def put_blob(data):
    d = hashlib.sha256(data).hexdigest()
    tmp = os.path.join(blobs, d + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, os.path.join(blobs, d))
    return "sha256:" + d


raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    parts = path.split("/")
    for i in range(1, len(parts)):  # parent directories first
        d = tarfile.TarInfo("/".join(parts[:i]))
        d.type, d.mode, d.mtime, d.uid, d.gid, d.uname, d.gname = tarfile.DIRTYPE, 0o755, 0, 0, 0, "root", "root"
        t.addfile(d)
    data = open(pause, "rb").read()
    info = tarfile.TarInfo(path)
    info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = 0o755, 0, 0, 0, "root", "root"
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
tar = raw.getvalue()
gz = io.BytesIO()
with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0) as g:
    g.write(tar)
layer = gz.getvalue()

config = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"Entrypoint": ["/" + path], "User": "65535:65535", "WorkingDir": "/"},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "hack/build-pause-image.sh: berth-pause as /" + path}],
}, sort_keys=True, separators=(",", ":")).encode()
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put_blob(layer), "size": len(layer)}],
}, sort_keys=True, separators=(",", ":")).encode()
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put_blob(manifest), "size": len(manifest),
    "platform": {"architecture": "amd64", "os": "linux"},
    "annotations": {"org.opencontainers.image.ref.name": tag}}]}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(index, f, indent=1)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY
