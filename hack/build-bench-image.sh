#!/usr/bin/env bash
# Builds the image hack/bench-pull.sh pulls, as an OCI image layout in OUT_DIR:
# one OCI manifest tagged "bench" (org.opencontainers.image.ref.name), about
# 200 MB uncompressed over 5 gzip layers, shaped like a real image:
#   1 base      /etc/passwd, /etc/group and the usual top-level dirs (tiny)
#   2 many      2000 small files of 1-32 KiB, half random, half base64 text (~33 MB)
#   3 random    6 files of 10 MiB of random bytes (gzip cannot shrink them)
#   4 text      5 files of 10 MiB of base64 text (gzip shrinks them to ~76%)
#   5 big       3 files of 20 MiB of random bytes
# Content is AES-128-CTR of zeros under a fixed key (openssl), so every build
# is byte-identical: tars are sorted with mtime 0 and owner 0:0, gzip level 6
# (Go's and docker's default) with mtime 0 and no name. The image need not run.
#
# usage: hack/build-bench-image.sh OUT_DIR
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
mkdir -p "$out"

# One deterministic pseudo-random stream; the python below slices it.
stream_bytes=$((200 * 1024 * 1024))
# openssl dies of SIGPIPE when head has enough: the size check below is what counts.
{ openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100 \
    < /dev/zero 2> /dev/null || true; } | head -c "$stream_bytes" > "$out/.stream"
[ "$(stat -c %s "$out/.stream")" -eq "$stream_bytes" ] || { echo "$0: openssl produced too little" >&2; exit 1; }

case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

/usr/bin/python3 - "$out" "$arch" <<'PY'
import base64, gzip, hashlib, io, json, os, sys, tarfile

out, arch = sys.argv[1], sys.argv[2]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
stream = open(os.path.join(out, ".stream"), "rb")
CREATED = "2024-01-01T00:00:00Z"
MiB = 1024 * 1024


def rand(n):
    data = stream.read(n)
    if len(data) != n:
        sys.exit("build-bench-image: random stream exhausted")
    return data


def text(n):
    return base64.encodebytes(rand(n * 3 // 4 + 3))[:n]


class Hashing:
    """A write-only file that hashes what passes through it and counts it."""
    def __init__(self, sink):
        self.sink, self.sha, self.size = sink, hashlib.sha256(), 0

    def write(self, b):
        self.sha.update(b)
        self.size += len(b)
        return self.sink.write(b) if self.sink else len(b)


def layer(entries):
    """entries: sorted list of (path, mode, bytes or None for a dir). Returns descriptor, diff_id."""
    tmp = os.path.join(blobs, ".layer.tmp")
    with open(tmp, "wb") as f:
        gz_hash = Hashing(f)
        with gzip.GzipFile(fileobj=gz_hash, mode="wb", mtime=0, filename="", compresslevel=6) as g:
            tar_hash = Hashing(g)
            with tarfile.open(fileobj=tar_hash, mode="w|", format=tarfile.PAX_FORMAT) as t:
                for path, mode, data in entries:
                    info = tarfile.TarInfo(path)
                    info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = mode, 0, 0, 0, "root", "root"
                    if data is None:
                        info.type = tarfile.DIRTYPE
                        t.addfile(info)
                    else:
                        info.size = len(data)
                        t.addfile(info, io.BytesIO(data))
    digest = gz_hash.sha.hexdigest()
    os.replace(tmp, os.path.join(blobs, digest))
    desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + digest,
            "size": gz_hash.size}
    return desc, "sha256:" + tar_hash.sha.hexdigest(), tar_hash.size


def with_dirs(files):
    """Adds the parent dirs of (path, mode, data) entries and sorts them."""
    entries = {p: (m, d) for p, m, d in files}
    for p in list(entries):
        parent = os.path.dirname(p)
        while parent and parent not in entries:
            entries[parent] = (0o755, None)
            parent = os.path.dirname(parent)
    return [(p, m, d) for p, (m, d) in sorted(entries.items())]


def put_blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d


layers = []
base = [(d, 0o755, None) for d in ("bin", "dev", "etc", "proc", "sys", "usr", "var")]
base += [("root", 0o700, None), ("tmp", 0o1777, None),
         ("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n"), ("etc/group", 0o644, b"root:x:0:\n")]
layers.append(with_dirs(base))
many = []
for i in range(2000):
    size = 1024 + (i * 7919) % (31 * 1024)  # 1-32 KiB, spread evenly
    many.append((f"usr/share/bench/many/{i // 100:02d}/f{i:04d}", 0o644, rand(size) if i % 2 else text(size)))
layers.append(with_dirs(many))
layers.append(with_dirs([(f"usr/lib/bench/random{i}.bin", 0o644, rand(10 * MiB)) for i in range(6)]))
layers.append(with_dirs([(f"usr/share/bench/text{i}.txt", 0o644, text(10 * MiB)) for i in range(5)]))
layers.append(with_dirs([(f"opt/bench/big{i}.bin", 0o755, rand(20 * MiB)) for i in range(3)]))

descs, diff_ids, unpacked = [], [], 0
for entries in layers:
    desc, diff_id, tar_size = layer(entries)
    descs.append(desc)
    diff_ids.append(diff_id)
    unpacked += tar_size

config = {
    "created": CREATED, "architecture": arch, "os": "linux",
    "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"], "WorkingDir": "/"},
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
    "history": [{"created": CREATED, "created_by": "hack/build-bench-image.sh"} for _ in diff_ids],
}
config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
manifest = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(config_bytes),
               "size": len(config_bytes)},
    "layers": descs,
}
body = json.dumps(manifest, sort_keys=True, indent=2).encode()
mdesc = {"mediaType": manifest["mediaType"], "digest": put_blob(body), "size": len(body),
         "annotations": {"org.opencontainers.image.ref.name": "bench"}}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [mdesc]},
              f, sort_keys=True, indent=2)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(json.dumps({"manifest": mdesc["digest"], "layers": len(descs),
                  "compressed_bytes": sum(d["size"] for d in descs), "unpacked_tar_bytes": unpacked}))
PY
rm -f "$out/.stream"
