"""Seed/cleanup a repository with tags through Berth's Index dialect, the way a v1
`docker push` does it (raw HTTP; not a client under test). Used by registry_client_py.py;
registry_client_npm.js does the same in JS.

  PUT /v1/repositories/{ns}/{repo}/  [{"id": IMG}]  Basic + X-Docker-Token: true -> 200, X-Docker-Token
  PUT /v1/repositories/{ns}/{repo}/tags/{tag}  "IMG"  Authorization: Token <write token> -> 200
  PUT /v1/repositories/{ns}/{repo}/images  [{"id","checksum"}]  Token -> 204
  DELETE /v1/repositories/{ns}/{repo}/  Basic + X-Docker-Token: true -> 202   (cleanup)
"""
import json
import secrets

from _harness import raw, check


def seed(ns, repo, tags):
    img = secrets.token_hex(32)
    full = "%s/%s" % (ns, repo)
    st, h, _ = raw("PUT", "/v1/repositories/%s/" % full, [{"id": img}], {"X-Docker-Token": "true"})
    tok = h.get("X-Docker-Token") if h else None
    if not check(st == 200 and tok, "seed: PUT /v1/repositories/%s/ -> 200 with X-Docker-Token" % full, (st, tok)):
        return None
    for t in tags:
        st, _, _ = raw("PUT", "/v1/repositories/%s/tags/%s" % (full, t), json.dumps(img).encode(),
                       auth="Token " + tok)
        check(st == 200, "seed: PUT tags/%s -> 200" % t, st)
    st, _, _ = raw("PUT", "/v1/repositories/%s/images" % full,
                   [{"id": img, "checksum": "sha256:" + secrets.token_hex(32)}], auth="Token " + tok)
    check(st == 204, "seed: PUT images (push finished) -> 204", st)
    return img


def cleanup(ns, repo):
    st, _, _ = raw("DELETE", "/v1/repositories/%s/%s/" % (ns, repo), headers={"X-Docker-Token": "true"})
    if st not in (200, 202, 204):
        print("       (cleanup: DELETE /v1/repositories/%s/%s/ -> %s; left behind)" % (ns, repo, st))
