#!/usr/bin/env python3
"""ociimage.py - write an OCI image archive (the tar `ctr images import` reads) from a folder.

    ociimage.py --ref NAME:TAG --root DIR --out FILE.tar [--entrypoint JSON] [--cmd JSON]
                [--env K=V ...] [--user U]

One uncompressed layer holding DIR (owner root, modes and symbolic links kept, times set to
0 so the same folder gives the same digest), an image config, a manifest and index.json
whose manifest carries the reference in the annotations containerd reads
(io.containerd.image.name, org.opencontainers.image.ref.name). Standard library only; no
registry, no container engine: the e2e node (node.sh) imports these with
`ctr -n k8s.io images import`.
"""
import argparse
import hashlib
import io
import json
import os
import platform
import sys
import tarfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def layer_tar(root):
    """The folder as an uncompressed tar (bytes), entries sorted, owner 0:0, mtime 0."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        paths = []
        for d, dirs, files in os.walk(root):
            dirs.sort()
            for n in sorted(dirs + files):
                paths.append(os.path.join(d, n))
        for p in sorted(paths):
            info = tar.gettarinfo(p, arcname=os.path.relpath(p, root))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isreg():
                with open(p, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def blob(out, data):
    """Adds data as blobs/sha256/<digest>; returns (digest, size)."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest[7:])
    info.size = len(data)
    info.mode = 0o644
    out.addfile(info, io.BytesIO(data))
    return digest, len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", required=True, help="full reference, e.g. kscmp.local/busybox:e2e")
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--entrypoint", default="null")
    ap.add_argument("--cmd", default="null")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--user", default="0:0")
    a = ap.parse_args()
    if not os.path.isdir(a.root):
        print(f"ociimage.py: {a.root}: not a folder", file=sys.stderr)
        return 1
    layer = layer_tar(a.root)
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    env = a.env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    config = {
        "architecture": ARCH,
        "os": "linux",
        "config": {"Env": env, "User": a.user, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created_by": "tests/e2e/node/ociimage.py", "comment": a.ref}],
    }
    ep, cmd = json.loads(a.entrypoint), json.loads(a.cmd)
    if ep:
        config["config"]["Entrypoint"] = ep
    if cmd:
        config["config"]["Cmd"] = cmd
    tmp = a.out + ".tmp"
    with tarfile.open(tmp, mode="w") as out:
        ld, ls = blob(out, layer)
        cd, cs = blob(out, json.dumps(config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}],
        }
        md, ms = blob(out, json.dumps(manifest, sort_keys=True).encode())
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
                "platform": {"architecture": ARCH, "os": "linux"},
                "annotations": {"io.containerd.image.name": a.ref,
                                "org.opencontainers.image.ref.name": a.ref.rsplit(":", 1)[-1]},
            }],
        }
        for name, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                           ("index.json", json.dumps(index, sort_keys=True).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            out.addfile(info, io.BytesIO(data))
    os.replace(tmp, a.out)
    print(f"{a.ref} {md} ({ls} bytes of layer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
