#!/usr/bin/env python3
"""Drive oras-py (PyPI `oras`, the ORAS project's Python client) against a registry: a chunked
push and a pull of an artifact with an `artifactType`, and an artifact attached to an image
through `subject`, found again through the referrers API.

Run with the venv made by setup.sh:
    DIR/oras-venv/bin/python tests/clients/oras_client.py

Environment:
  BERTH_URL        e.g. http://127.0.0.1:5000 (plain HTTP)
  BERTH_USER       user to push as (omit for a registry without authentication)
  BERTH_PASSWORD   its password (or an API key)
  ORAS_REPO        repository to push to, ns/name
  ORAS_AUTH        `token` (oras-py's default backend: answers the 401's Bearer challenge with a
                   token from the realm, asked for with Basic) or `basic` (answers it by sending
                   Basic credentials on the request itself)
  ORAS_SUBJECT     optional `digest size mediaType` of an image manifest in ORAS_REPO: an
                   artifact is attached to it and the referrers API must list it
  ORAS_CHUNK       chunk size in bytes (default 65536)

In token mode a pushing client first opens (and cancels) an upload session, so that oras-py's
one token is a push token (see `pusher`). oras-py has no command line and no referrers call; the referrers list is read with plain HTTP
(requests, the same session credentials), as the spec describes it. It has no `artifactType`
parameter either: the manifest it builds gets the field in `upload_manifest`, just before it
goes out (an OCI 1.1 artifact: empty config, `artifactType` set).
Exit status 0 only if every check passed; the closing line is `N passed, M failed`.
"""
import hashlib
import os
import sys
import tempfile
import types
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import URL, USER, PASSWORD, check, equal, step, guard, finish, need  # noqa

need("ORAS_REPO")
REPO = os.environ["ORAS_REPO"]
AUTH = os.environ.get("ORAS_AUTH", "token")
CHUNK = int(os.environ.get("ORAS_CHUNK", "65536"))
SUBJECT = os.environ.get("ORAS_SUBJECT", "")
HOST = urlsplit(URL).netloc
ARTIFACT_TYPE = "application/vnd.berth.test.bundle"
ATTACHED_TYPE = "application/vnd.berth.test.signature"
PART_TYPE = "application/vnd.berth.test.part"
EMPTY = "application/vnd.oci.empty.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"

import requests  # noqa: E402
import oras.client  # noqa: E402
import oras.decorator  # noqa: E402
import oras.oci  # noqa: E402
import oras.provider  # noqa: E402

# oras-py retries a failed request five times, sleeping 2 + 3**n seconds in between (about two
# minutes): a refusal must fail the check at once, so its retries do not sleep.
oras.decorator.time = types.SimpleNamespace(sleep=lambda _s: None)


class Client(oras.client.OrasClient):
    """oras-py's client, recording every request it sends and stamping `artifactType`."""

    def __init__(self, artifact_type, **kw):
        super().__init__(**kw)
        self.artifact_type = artifact_type
        self.sent = []

    def upload_manifest(self, manifest, container):
        manifest["artifactType"] = self.artifact_type
        return super().upload_manifest(manifest, container)

    def do_request(self, url, method="GET", *a, **kw):
        self.sent.append((method, url))
        return super().do_request(url, method, *a, **kw)


def client(artifact_type=ARTIFACT_TYPE):
    c = Client(artifact_type, hostname=HOST, insecure=True, auth_backend=AUTH)
    if USER:
        c.auth.set_basic_auth(USER, PASSWORD)
    return c


def pusher(artifact_type=ARTIFACT_TYPE):
    """A client about to push. oras-py's token backend asks for a token on the first 401 it
    meets, with that challenge's scope, and then reuses that one token: a new token is asked
    only after a 403. A push starts with `HEAD` of each blob, whose challenge asks for `pull`,
    so the `POST` that follows is refused (401, the token lacks `push`) on any registry that
    scopes its tokens, as distribution's token spec says (docker and oras-go ask for
    `pull,push` before a push instead). So the first request a pushing client makes here is the
    one that needs `push`: it opens an upload session (oras-py's own challenge handling fetches
    a `pull,push` token) and cancels it."""
    c = client(artifact_type)
    if AUTH == "token" and USER:
        r = c.do_request("http://%s/v2/%s/blobs/uploads/" % (HOST, REPO), "POST",
                         headers={"Content-Length": "0"})
        check(r.status_code == 202 and c.auth.token, "a push token from the challenge of POST uploads",
              (r.status_code, r.text[:200]))
        location = r.headers.get("Location", "")
        if location:
            if location.startswith("/"):
                location = "http://%s%s" % (HOST, location)
            d = c.do_request(location, "DELETE")
            equal(d.status_code, 204, "cancel that upload session")
    return c


def sha256(path):
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


print("oras-py %s -> %s as %s (%s auth), repository %s" % (
    getattr(oras, "__version__", "?"), URL, USER or "anonymous", AUTH, REPO))

work = tempfile.mkdtemp(prefix="berth-oras-")
os.chdir(work)  # oras-py accepts only files below the working directory
big = os.urandom(5 * CHUNK + 123)
with open("big.bin", "wb") as f:
    f.write(big)
with open("small.txt", "w") as f:
    f.write("a small file\n")
with open("config.json", "w") as f:
    f.write("{}")

step("chunked push of an artifact")
c = pusher()
target = "%s/%s:v1" % (HOST, REPO)
ok, r = guard("push(%s, do_chunked=True, chunk_size=%d)" % (target, CHUNK), c.push,
              target=target, files=["big.bin:" + PART_TYPE, "small.txt"],
              manifest_config="config.json:" + EMPTY,
              manifest_annotations={"org.opencontainers.image.description": "berth test bundle"},
              do_chunked=True, chunk_size=CHUNK)
if ok:
    equal(r.status_code, 201, "manifest PUT status")
    manifest_digest = r.headers.get("Docker-Content-Digest")
    check(manifest_digest and manifest_digest.startswith("sha256:"),
          "manifest PUT answers Docker-Content-Digest", dict(r.headers))
patches = [u for (m, u) in c.sent if m == "PATCH"]
# The big file goes in 6 chunks, the small one in 1 (the config, two bytes, too if new).
check(len(patches) >= 7, "the blobs went up in PATCHed chunks (%d PATCHes)" % len(patches),
      c.sent)
if AUTH == "token" and USER:
    check(bool(c.auth.token), "the push ran on oras-py's bearer token", c.auth.token)

step("push the same artifact under a second tag, list the tags")
c2 = pusher()
guard("push(... :v2)", c2.push, target="%s/%s:v2" % (HOST, REPO),
      files=["big.bin:" + PART_TYPE, "small.txt"], manifest_config="config.json:" + EMPTY,
      manifest_annotations={"org.opencontainers.image.description": "berth test bundle"})
heads = [u for (m, u) in c2.sent if m == "HEAD"]
posts = [u for (m, u) in c2.sent if m == "POST"][1 if AUTH == "token" and USER else 0:]
check(len(heads) >= 2 and not posts,
      "the second push found the blobs already there (HEAD, no upload)", c2.sent)
ok, tags = guard("get_tags()", client().get_tags, "%s/%s" % (HOST, REPO))
if ok:
    check({"v1", "v2"} <= set(tags), "get_tags() lists v1 and v2", tags)

step("pull the artifact back")
p = client()
out = os.path.join(work, "pulled")
ok, files = guard("pull(%s)" % target, p.pull, target=target, outdir=out)
if ok:
    equal(sorted(os.path.basename(f) for f in files), ["big.bin", "small.txt"], "pulled files")
    with open(os.path.join(out, "big.bin"), "rb") as f:
        check(f.read() == big, "big.bin comes back byte for byte")
    with open(os.path.join(out, "small.txt")) as f:
        equal(f.read(), "a small file\n", "small.txt")
ok, manifest = guard("get_manifest(%s)" % target, p.get_manifest, target)
if ok:
    equal(manifest.get("artifactType"), ARTIFACT_TYPE, "manifest artifactType")
    equal(manifest.get("config", {}).get("mediaType"), EMPTY, "config mediaType")
    equal([l["digest"] for l in manifest.get("layers", [])],
          [sha256("big.bin"), sha256("small.txt")], "layer digests")

if SUBJECT:
    step("attach an artifact to the image and find it among its referrers")
    digest, size, media_type = SUBJECT.split()
    a = pusher(ATTACHED_TYPE)
    with open("signature.txt", "w") as f:
        f.write("signed by berth tests\n")
    ok, r = guard("push(subject=%s)" % digest, a.push,
                  target="%s/%s:attached" % (HOST, REPO), files=["signature.txt"],
                  manifest_config="config.json:" + EMPTY,
                  manifest_annotations={"org.example.signed-by": "berth"},
                  subject=oras.oci.Subject(mediaType=media_type, digest=digest, size=int(size)))
    attached = None
    if ok:
        equal(r.status_code, 201, "manifest PUT status")
        attached = r.headers.get("Docker-Content-Digest")
        equal(r.headers.get("OCI-Subject"), digest, "OCI-Subject of the PUT")
    # Plain HTTP with the session oras-py authenticated (its token, or Basic).
    session = requests.Session()
    if USER:
        session.auth = (USER, PASSWORD)
    for query, want in (("", [attached]), ("?artifactType=" + ATTACHED_TYPE, [attached]),
                        ("?artifactType=application/vnd.none", [])):
        res = session.get("%s/v2/%s/referrers/%s%s" % (URL, REPO, digest, query))
        equal(res.status_code, 200, "GET referrers%s status" % query)
        equal(res.headers.get("Content-Type"), INDEX, "referrers Content-Type")
        body = res.json() if res.status_code == 200 else {}
        got = [m.get("digest") for m in body.get("manifests", [])]
        equal(got, want, "referrers%s digests" % query)
        if query:
            equal(res.headers.get("OCI-Filters-Applied"), "artifactType", "OCI-Filters-Applied")
        for m in body.get("manifests", []):
            equal(m.get("artifactType"), ATTACHED_TYPE, "referrer artifactType")
            equal(m.get("annotations"), {"org.example.signed-by": "berth"},
                  "referrer annotations")

finish()
