#!/usr/bin/env python3
"""Drive just4alauda 0.2.12 (module `alauda`) against Berth's Alauda dialect.

Run with the venv made by setup.sh:
    DIR/venv/bin/python tests/clients/alauda_client.py

Environment:
  BERTH_URL        e.g. http://127.0.0.1:5000  (passed as urlbase=; no trailing slash)
  BERTH_USER       existing active user
  BERTH_PASSWORD   its password
  BERTH_ALAUDA_NS  namespace to create repositories in (default BERTH_USER; an organization
                   needs the user to be allowed to create there)
  BERTH_SKIP_BAD_LOGIN=1  skip the wrong-password check (it counts as one failed login
                   towards Berth's login throttling)

Exercises: Alauda.get_token (POST /v1/generate-api-token), a wrong password (must give
None, i.e. a JSON error body), Alauda(ns, token) (GET /v1/auth/{ns}/profile and
GET /v1/regions/{ns}), create_repo (POST -> 201), duplicate create (must raise),
get_repo (200 / 404 -> None), list_repo (first page of results), Repository.delete (204).
Exit status 0 only if every check passed.
"""
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import URL, USER, PASSWORD, check, equal, step, guard, finish, need, raw  # noqa

need("BERTH_USER", "BERTH_PASSWORD")
NS = os.environ.get("BERTH_ALAUDA_NS") or USER

from alauda import Alauda  # noqa: E402

sfx = secrets.token_hex(3)
print("just4alauda -> %s as %s, namespace %s" % (URL, USER, NS))

step("token login")
ok, token = guard("Alauda.get_token", Alauda.get_token, USER, PASSWORD, urlbase=URL)
check(ok and isinstance(token, str) and len(token) >= 8, "get_token returns a token string", token)
if os.environ.get("BERTH_SKIP_BAD_LOGIN") != "1":
    ok, bad = guard("Alauda.get_token with a wrong password (error body must be JSON)",
                    Alauda.get_token, USER, PASSWORD + "-wrong", urlbase=URL)
    if ok:
        equal(bad, None, "get_token with a wrong password")
if not token:
    finish()

step("connect: profile + regions")
ok, a = guard("Alauda(namespace, token, urlbase=...)", Alauda, NS, token, urlbase=URL)
if not ok:
    finish()
check(isinstance(a.regions, list), "regions is a list", a.regions)

step("repositories")
name = "alauda-%s" % sfx
ok, r = guard("create_repo(%r)" % name, a.create_repo, name, "made by harness", False)
if ok:
    equal(r.name, name, "created repo name (repo_name)")
    equal(r.json_data.get("description"), "made by harness", "created description")
    equal(r.json_data.get("is_public"), False, "created is_public")

try:
    a.create_repo(name, "again", False)
    check(False, "duplicate create_repo raises (status must not be 201)")
except Exception as e:
    check("400" in str(e) or "409" in str(e), "duplicate create_repo raises with a 4xx", str(e)[:200])

ok, g = guard("get_repo(%r)" % name, a.get_repo, name)
if ok:
    check(g is not None, "get_repo finds the new repository")
    if g is not None:
        equal(g.name, name, "get_repo name")
        equal(g.description, "made by harness", "get_repo description")
        equal(g.is_public, False, "get_repo is_public")
        equal(g.namespace, NS, "get_repo namespace")

ok, missing = guard("get_repo(missing)", a.get_repo, "no-such-repo-" + sfx)
if ok:
    equal(missing, None, "get_repo of a missing repository (404 -> None)")

ok, lst = guard("list_repo()", a.list_repo)
if ok:
    names = [x.name for x in lst]
    st, _, page = raw("GET", "/v1/repositories/%s" % NS, auth="Token " + token)
    count = page.get("count") if isinstance(page, dict) else None
    if count is not None and count <= len(names):
        check(name in names, "list_repo contains the new repository", names)
    else:
        print("       (list_repo reads only the first page: %s of %s)" % (len(names), count))
    check(len(names) == len(set(names)), "list_repo has no duplicates", names)
    check(count is not None and len(names) <= count, "list count >= len(results)", (count, len(names)))

if r is not None:
    ok, d = guard("Repository.delete()", r.delete)
    if ok:
        equal(d, True, "delete() result (status 204)")
    ok, gone = guard("get_repo after delete", a.get_repo, name)
    if ok:
        equal(gone, None, "get_repo after delete")
    ok, lst = guard("list_repo() after delete", a.list_repo)
    if ok:
        check(name not in [x.name for x in lst], "deleted repository is not listed")

finish()
