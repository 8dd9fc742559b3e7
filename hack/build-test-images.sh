#!/usr/bin/env bash
# Builds berth's test images as an OCI image layout in OUT_DIR, without docker:
#   busybox (amd64): Debian's dynamically linked /bin/busybox, the libraries ldd
#     says it needs, a hard link per applet in /bin, /etc/passwd and /etc/group;
#   arm64 placeholder: a one-file image, so the index has a second platform;
# and these manifests, named by org.opencontainers.image.ref.name in index.json
# (the tag hack/push-test-images.sh pushes them under):
#   latest  OCI index: linux/amd64 busybox + linux/arm64 placeholder
#   amd64   the OCI image manifest of busybox
#   docker  the same image as a Docker v2 schema 2 manifest
#   arm64   the placeholder's OCI manifest
# Layers are deterministic tars (sorted, mtime 0, owner 0:0) compressed with gzip
# (mtime 0, no name), so the same host packages give the same digests.
#
# usage: hack/build-test-images.sh OUT_DIR
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "$0: $busybox missing (apt-get install busybox)" >&2; exit 1; }
mkdir -p "$out"

# The files of the busybox layer: the binary and every library it loads.
libs=$(ldd "$busybox" | awk '/=>/ { print $3 } !/=>/ && $1 ~ /^\// { print $1 }')
applets=$("$busybox" --list)

exec /usr/bin/python3 - "$out" "$busybox" "$libs" "$applets" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile

out, busybox, libs, applets = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
CREATED = "2024-01-01T00:00:00Z"


def put_blob(data):
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(blobs, d)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return "sha256:" + d


def tar_layer(entries):
    """entries: {path: (kind, mode, payload)} kind: dir, file (bytes), hardlink (target path)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        # Sorted, hard links after every file (a link's target must come first).
        for path in sorted(entries, key=lambda p: (entries[p][0] == "hardlink", p)):
            kind, mode, payload = entries[path]
            info = tarfile.TarInfo(path)
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = mode, 0, 0, 0, "root", "root"
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
                t.addfile(info)
            else:
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, filename="", compresslevel=6) as g:
        g.write(tar)
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    data = gz.getvalue()
    return put_blob(data), len(data), diff_id


def dirs_for(entries):
    for path in list(entries):
        parent = os.path.dirname(path)
        while parent and parent not in entries:
            entries[parent] = ("dir", 0o755, None)
            parent = os.path.dirname(parent)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def image(arch, layer_entries, cmd, layer_mt, manifest_mt, config_mt):
    dirs_for(layer_entries)
    digest, size, diff_id = tar_layer(layer_entries)
    config = {
        "created": CREATED, "architecture": arch, "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": cmd,
                   "WorkingDir": "/", "Labels": {"org.berth.test": "busybox"}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": CREATED, "created_by": "hack/build-test-images.sh"}],
    }
    if arch == "arm64":
        config["variant"] = "v8"
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    manifest = {
        "schemaVersion": 2, "mediaType": manifest_mt,
        "config": {"mediaType": config_mt, "digest": put_blob(config_bytes), "size": len(config_bytes)},
        "layers": [{"mediaType": layer_mt, "digest": digest, "size": size}],
    }
    body = json.dumps(manifest, sort_keys=True, indent=2).encode()
    return {"mediaType": manifest_mt, "digest": put_blob(body), "size": len(body)}


OCI_M, OCI_I = "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"
OCI_C, OCI_L = "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"
DKR_M = "application/vnd.docker.distribution.manifest.v2+json"
DKR_C, DKR_L = "application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip"

# busybox: /bin/busybox, its libraries at the paths ld.so looks for them, applet hard links.
bb = {"bin/busybox": ("file", 0o755, read(busybox))}
for lib in libs:
    bb[lib.lstrip("/")] = ("file", 0o755, read(lib))  # read() follows symlinks: real files in the image
for a in applets:
    if a != "busybox":
        bb["bin/" + a] = ("hardlink", 0o755, "bin/busybox")
bb["etc/passwd"] = ("file", 0o644, b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
bb["etc/group"] = ("file", 0o644, b"root:x:0:\nnogroup:x:65534:\n")
for d, mode in (("root", 0o700), ("tmp", 0o1777), ("proc", 0o755), ("sys", 0o755), ("dev", 0o755)):
    bb[d] = ("dir", mode, None)

amd64 = image("amd64", dict(bb), ["sh"], OCI_L, OCI_M, OCI_C)
docker = image("amd64", dict(bb), ["sh"], DKR_L, DKR_M, DKR_C)
arm64 = image("arm64", {"PLACEHOLDER": ("file", 0o644, b"arm64 placeholder: not runnable\n")}, ["/PLACEHOLDER"],
              OCI_L, OCI_M, OCI_C)

index = {"schemaVersion": 2, "mediaType": OCI_I, "manifests": [
    dict(amd64, platform={"os": "linux", "architecture": "amd64"}),
    dict(arm64, platform={"os": "linux", "architecture": "arm64", "variant": "v8"}),
]}
index_bytes = json.dumps(index, sort_keys=True, indent=2).encode()
index_desc = {"mediaType": OCI_I, "digest": put_blob(index_bytes), "size": len(index_bytes)}

ref = "org.opencontainers.image.ref.name"
layout = {"schemaVersion": 2, "mediaType": OCI_I, "manifests": [
    dict(index_desc, annotations={ref: "latest"}), dict(amd64, annotations={ref: "amd64"}),
    dict(docker, annotations={ref: "docker"}), dict(arm64, annotations={ref: "arm64"})]}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(layout, f, sort_keys=True, indent=2)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(json.dumps({e["annotations"][ref]: e["digest"] for e in layout["manifests"]}, sort_keys=True))
PY
