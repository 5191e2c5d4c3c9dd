"""Push a small Docker schema 2 image through the registry API (`/v2/`), the way `docker push`
does it (raw HTTP with Basic; not a client under test). Used by registry_client_py.py;
registry_client_npm.js does the same in JS.

  POST /v2/{name}/blobs/uploads/                      -> 202, Location
  PUT  {Location}?digest=sha256:...  (the blob)        -> 201          (config, then the layer)
  PUT  /v2/{name}/manifests/{tag}  (schema 2 JSON)     -> 201, Docker-Content-Digest
"""
import hashlib
import json
import os
from urllib.parse import urlencode

from _harness import URL, raw, check

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(name, data):
    digest = _digest(data)
    st, h, _ = raw("POST", "/v2/%s/blobs/uploads/" % name, b"",
                   headers={"Content-Type": "application/octet-stream"})
    location = h.get("Location") if h else None
    if not check(st == 202 and location, "seed v2: POST /v2/%s/blobs/uploads/ -> 202 with Location" % name,
                 (st, location)):
        return digest
    if location.startswith(URL):
        location = location[len(URL):]
    sep = "&" if "?" in location else "?"
    st, _, _ = raw("PUT", location + sep + urlencode({"digest": digest}), data,
                   headers={"Content-Type": "application/octet-stream"})
    check(st == 201, "seed v2: PUT blob %s -> 201" % digest[:19], st)
    return digest


def push_image(ns, repo, tags):
    """Push config + one layer + a schema 2 manifest under each of `tags`; returns
    (manifest digest, config digest)."""
    name = "%s/%s" % (ns, repo)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["/bin/true"]},
                         "rootfs": {"type": "layers", "diff_ids": [_digest(os.urandom(8))]}}).encode()
    layer = os.urandom(1024)
    config_digest = push_blob(name, config)
    layer_digest = push_blob(name, layer)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": config_digest},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer), "digest": layer_digest}],
    }).encode()
    digest = _digest(manifest)
    for tag in tags:
        st, h, _ = raw("PUT", "/v2/%s/manifests/%s" % (name, tag), manifest,
                       headers={"Content-Type": DOCKER_MANIFEST})
        check(st == 201 and h.get("Docker-Content-Digest") == digest,
              "seed v2: PUT /v2/%s/manifests/%s -> 201 with Docker-Content-Digest" % (name, tag),
              (st, h.get("Docker-Content-Digest") if h else None))
    return digest, config_digest
