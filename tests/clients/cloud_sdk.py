#!/usr/bin/env python3
"""Drive python-dockercloud 1.0.12 (module `dockercloud`) against Berth's Cloud dialect.

Run with the venv made by setup.sh (the client must be installed and patched):
    DIR/venv/bin/python tests/clients/cloud_sdk.py

Environment:
  BERTH_URL        e.g. http://127.0.0.1:5000            (-> DOCKERCLOUD_REST_HOST)
  BERTH_USER       existing active user                  (-> DOCKERCLOUD_USER)
  BERTH_PASSWORD   its password
  BERTH_APIKEY     optional API key of BERTH_USER; sent as Basic user:apikey
                   (-> DOCKERCLOUD_APIKEY). Default: BERTH_PASSWORD (Basic user:password).
  BERTH_ORG        optional organization BERTH_USER belongs to; the namespaced run uses
                   it. Without it the namespaced run uses /api/repo/v1/BERTH_USER/...
  BERTH_CLOUD_MAX_CREATE  cap on extra repositories created to force a 2nd page (default 120)

Exercises: Repository.create(...).save() (POST, 201), Repository.fetch(name) with a name
containing slashes and a port, .save() after changing username/password (PATCH to
resource_uri), Repository.list() across more than one page (limit/offset while meta.next),
.delete() (DELETE -> 204), fetch after delete (404). Once in the caller's own namespace
(/api/repo/v1/repository/) and once with dockercloud.namespace set.
Exit status 0 only if every check passed.
"""
import os
import secrets
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import URL, USER, PASSWORD, check, equal, step, guard, finish, need, raw, basic  # noqa

need("BERTH_USER", "BERTH_PASSWORD")
APIKEY = os.environ.get("BERTH_APIKEY") or PASSWORD
ORG = os.environ.get("BERTH_ORG", "")
MAX_CREATE = int(os.environ.get("BERTH_CLOUD_MAX_CREATE", "120"))

# The SDK reads its configuration from the environment at import time.
os.environ["HOME"] = tempfile.mkdtemp(prefix="berth-cloud-home-")   # no ~/.docker/config.json
for k in ("DOCKERCLOUD_AUTH", "DOCKERCLOUD_PASS", "DOCKERCLOUD_NAMESPACE"):
    os.environ.pop(k, None)
os.environ["DOCKERCLOUD_REST_HOST"] = URL
os.environ["DOCKERCLOUD_USER"] = USER
os.environ["DOCKERCLOUD_APIKEY"] = APIKEY

import dockercloud  # noqa: E402
import dockercloud.api.base as dc_base  # noqa: E402
from dockercloud.api.http import send_request  # noqa: E402

# Record every request the SDK's model layer makes (method, path, params).
CALLS = []
_orig = dc_base.send_request


def _recording(method, path, *a, **kw):
    CALLS.append((method, path, dict(kw.get("params") or {}), kw.get("data")))
    return _orig(method, path, *a, **kw)


dc_base.send_request = _recording

sfx = secrets.token_hex(3)
auth_hdr = basic(USER, APIKEY)


def host_of(name):
    first = name.split("/")[0]
    return first if ("." in first or ":" in first or first == "localhost") else "registry-1.docker.io"


def raw_list_all(prefix):
    names, path = [], prefix + "repository/"
    st, _, body = raw("GET", path, auth=auth_hdr)
    if st != 200:
        return None, None
    meta = body["meta"]
    names += [o["name"] for o in body["objects"]]
    offset, limit = meta["offset"], meta["limit"]
    while meta.get("next"):
        offset += limit
        st, _, body = raw("GET", "%s?limit=%d&offset=%d" % (path, limit, offset), auth=auth_hdr)
        if st != 200:
            return None, None
        meta = body["meta"]
        names += [o["name"] for o in body["objects"]]
    return names, meta


def run(label, ns):
    """ns: None = caller's own namespace (no namespace in the URL)."""
    eff = ns or USER
    dockercloud.namespace = ns
    prefix = "/api/repo/v1/%s/" % ns if ns else "/api/repo/v1/"
    step("%s: namespace %s (URL prefix %s)" % (label, eff, prefix))

    n1 = "registry.example.com/%s/sdk-%s-a" % (USER, sfx)
    n2 = "registry.example.com:5000/team/sdk-%s-b" % sfx
    created = []

    for name in (n1, n2):
        repo = dockercloud.Repository.create(name=name, username="u-" + sfx, password="p-" + sfx)
        ok, saved = guard("Repository.create(%r).save()" % name, repo.save)
        if not ok:
            continue
        created.append(name)
        equal(saved, True, "save() result for " + name)
        method, path, _, _ = CALLS[-1]
        equal((method, path), ("POST", prefix.lstrip("/") + "repository"), "create request (client strips slashes)")
        equal(repo.name, name, "created.name")
        equal(repo.in_use, False, "created.in_use")
        equal(repo.resource_uri, "/api/repo/v1/%s/repository/%s/" % (eff, name), "created.resource_uri")
        equal(getattr(repo, "registry", None), "/api/repo/v1/%s/registry/%s/" % (eff, host_of(name)),
              "created.registry")

    if n1 not in created:
        check(False, "cannot continue %s without a created repository" % label)
        return

    ok, f = guard("Repository.fetch(%r)" % n2, dockercloud.Repository.fetch, n2)
    if ok and n2 in created:
        equal(f.name, n2, "fetched.name (name with port and slashes)")
        equal(f.resource_uri, "/api/repo/v1/%s/repository/%s/" % (eff, n2), "fetched.resource_uri")
        check(not hasattr(f, "password") and not hasattr(f, "username"),
              "fetched object carries no credentials", sorted(f.get_all_attributes()))

    ok, f = guard("Repository.fetch(%r)" % n1, dockercloud.Repository.fetch, n1)
    if ok:
        f.username = "u2-" + sfx
        f.password = "p2-" + sfx
        ok, res = guard("save() after changing username/password", f.save)
        if ok:
            equal(res, True, "update save() result")
            method, path, _, data = CALLS[-1]
            equal((method, path), ("PATCH", "/api/repo/v1/%s/repository/%s/" % (eff, n1)),
                  "update goes to resource_uri")
            equal(f.name, n1, "name after PATCH response")

    # ---- paging: make sure there is more than one page, then list.
    st, _, first = raw("GET", prefix + "repository/", auth=auth_hdr)
    if not check(st == 200 and isinstance(first, dict) and "meta" in first, "raw GET list is 200 with meta", (st, first)):
        return
    limit, total = first["meta"]["limit"], first["meta"]["total_count"]
    extra = max(0, limit + 1 - total)
    if extra > MAX_CREATE:
        check(False, "page size %d too large to force paging (BERTH_CLOUD_MAX_CREATE=%d)" % (limit, MAX_CREATE))
        extra = 0
    for i in range(extra):
        name = "registry.example.com/%s/page-%s-%03d" % (USER, sfx, i)
        ok, _ = guard("create paging filler " + name,
                      dockercloud.Repository.create(name=name, username="u", password="p").save)
        if ok:
            created.append(name)
    before = len(CALLS)
    ok, items = guard("Repository.list()", dockercloud.Repository.list)
    if ok:
        gets = [c for c in CALLS[before:] if c[0] == "GET"]
        check(len(gets) >= 2, "list() fetched more than one page (%d GETs, limit %d)" % (len(gets), limit),
              [c[2] for c in gets])
        check(all(set(c[2]) == {"offset", "limit"} for c in gets[1:]), "later pages sent offset+limit",
              [c[2] for c in gets])
        names = [r.name for r in items]
        equal(len(names), len(set(names)), "no duplicates across pages: count")
        check(set(created) <= set(names), "every created repository is listed",
              sorted(set(created) - set(names)))
        all_raw, meta = raw_list_all(prefix)
        equal(sorted(names), sorted(all_raw or []), "list() equals raw paging of the same endpoint")
        check(all(r.in_use is False for r in items if r.name in created), "in_use false on listed objects")

    # ---- delete everything we made.
    for name in created:
        ok, r = guard("fetch before delete " + name, dockercloud.Repository.fetch, name)
        if not ok:
            continue
        ok, res = guard("delete() " + name, r.delete)
        if ok:
            check(res is True and r._resource_uri is None, "delete() %s returned True" % name)
    try:
        dockercloud.Repository.fetch(n1)
        check(False, "fetch after delete raises ApiError(404)")
    except dockercloud.ApiError as e:
        check("Status 404" in str(e), "fetch after delete raises ApiError(404)", str(e))
    ok, items = guard("Repository.list() after delete", dockercloud.Repository.list)
    if ok:
        left = set(created) & {r.name for r in items}
        check(not left, "deleted repositories are gone from list()", sorted(left))


print("python-dockercloud %s -> %s as %s" % (dockercloud.__version__, URL, USER))
guard("own namespace run", run, "own", None)
guard("namespaced run", run, "namespaced", ORG or USER)
finish()
