#!/usr/bin/env bash
# Builds a large image for tests that must catch a pull mid-way (berthd killed
# during PullImage), as an OCI image layout in OUT_DIR: one OCI manifest tagged
# "big" (org.opencontainers.image.ref.name) with LAYERS gzip layers of MIB MiB
# each, every layer holding 4 files of pseudo-random bytes (gzip cannot shrink
# them, so the registry sends the full size). Seeded, so every build of the same
# shape is byte-identical: tars sorted, mtime 0, owner 0:0, gzip level 1 with
# mtime 0 and no name. The image need not run.
#
# usage: hack/build-big-test-image.sh OUT_DIR [LAYERS [MIB]]   (defaults: 4 layers of 24 MiB)
set -euo pipefail

[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 OUT_DIR [LAYERS [MIB]]" >&2; exit 2; }
out=$1 layers=${2:-4} mib=${3:-24}
[[ $layers =~ ^[1-9][0-9]*$ && $mib =~ ^[1-9][0-9]*$ ]] || { echo "$0: LAYERS and MIB must be positive integers" >&2; exit 2; }
mkdir -p "$out"

case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

exec /usr/bin/python3 - "$out" "$arch" "$layers" "$mib" <<'PY'
import gzip, hashlib, io, json, os, random, sys, tarfile

out, arch, nlayers, mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
rng = random.Random(20261124)
CREATED = "2024-01-01T00:00:00Z"
MiB = 1024 * 1024


class Hashing:
    """A write-only file that hashes what passes through it and counts it."""
    def __init__(self, sink):
        self.sink, self.sha, self.size = sink, hashlib.sha256(), 0

    def write(self, b):
        self.sha.update(b)
        self.size += len(b)
        return self.sink.write(b)


def put_blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def layer(n):
    """Layer n: dir big/<n>/ with 4 random files. Returns (descriptor, diff_id)."""
    tmp = os.path.join(blobs, ".layer.tmp")
    with open(tmp, "wb") as f:
        gz_hash = Hashing(f)
        with gzip.GzipFile(fileobj=gz_hash, mode="wb", mtime=0, filename="", compresslevel=1) as g:
            tar_hash = Hashing(g)
            with tarfile.open(fileobj=tar_hash, mode="w|", format=tarfile.PAX_FORMAT) as t:
                def add(path, data):
                    info = tarfile.TarInfo(path)
                    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
                    if data is None:
                        info.type, info.mode = tarfile.DIRTYPE, 0o755
                        t.addfile(info)
                    else:
                        info.mode, info.size = 0o644, len(data)
                        t.addfile(info, io.BytesIO(data))
                add("big", None)
                add(f"big/{n}", None)
                for i in range(4):
                    add(f"big/{n}/random{i}.bin", rng.randbytes(mib * MiB // 4))
    digest = gz_hash.sha.hexdigest()
    os.replace(tmp, os.path.join(blobs, digest))
    return ({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + digest,
             "size": gz_hash.size}, "sha256:" + tar_hash.sha.hexdigest())


descs, diff_ids = zip(*[layer(n) for n in range(nlayers)])
config = {
    "created": CREATED, "architecture": arch, "os": "linux",
    "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"], "WorkingDir": "/"},
    "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
    "history": [{"created": CREATED, "created_by": "hack/build-big-test-image.sh"} for _ in diff_ids],
}
config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
manifest = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(config_bytes),
               "size": len(config_bytes)},
    "layers": list(descs),
}
body = json.dumps(manifest, sort_keys=True, indent=2).encode()
mdesc = {"mediaType": manifest["mediaType"], "digest": put_blob(body), "size": len(body),
         "annotations": {"org.opencontainers.image.ref.name": "big"}}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [mdesc]},
              f, sort_keys=True, indent=2)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(json.dumps({"manifest": mdesc["digest"], "layers": len(descs), "compressed_bytes": sum(d["size"] for d in descs)}))
PY
