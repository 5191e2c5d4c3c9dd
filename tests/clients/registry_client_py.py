#!/usr/bin/env python3
"""Drive PyPI docker-registry-client 0.5.2 (module `docker_registry_client`) against Berth.

Run with the venv made by setup.sh:
    DIR/venv/bin/python tests/clients/registry_client_py.py

Environment:
  BERTH_URL        e.g. http://127.0.0.1:5000 (passed as host=, scheme included)
  BERTH_USER       existing active user (the client sends Basic user:password on every request)
  BERTH_PASSWORD   its password
  BERTH_NS         namespace to push the seed repository into (default BERTH_USER)

Seeds two repositories: NS/drc-<random> with tags `latest` and `v1` through the Index push
flow (see _seed_index.py; public, with Index image ids), and NS/drc2-<random> with the same tags
holding a Docker schema 2 image pushed through `/v2/` (see _seed_v2.py; private). Then:
  DockerRegistryClient(URL, username, password)   -> GET /v2/ with Basic is 200 -> api_version 2
  .repositories() / .namespaces()                  -> GET /v2/_catalog ; the v2 repository is in it
  .repository("ns/repo").tags()                    -> GET /v2/ns/repo/tags/list
  .repository("ns/repo").manifest("latest")        -> GET /v2/ns/repo/manifests/latest (+ digest)
  the same through the token flow (auth_service_url=URL: GET /v2/token?service=&scope=, Bearer)
  DockerRegistryClient(URL) anonymously            -> GET /v2/ is 401 -> HTTPError (the client's
                                                      probe needs 404 or 2xx; anonymous callers
                                                      must force api_version=1)
  DockerRegistryClient(URL, ..., api_version=1)    -> v1 as before:
  .repositories() / .namespaces()                  -> GET /v1/search (no q) ; names need '/'
  .repository("ns/repo").tags()                    -> GET /v1/repositories/ns/repo/tags
  the same anonymously (public repository)
Finally deletes both seed repositories (Index DELETE with X-Docker-Token: true).
Exit status 0 only if every check passed.
"""
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import URL, USER, PASSWORD, check, equal, step, guard, finish, need, raw  # noqa
from _seed_index import seed, cleanup  # noqa
from _seed_v2 import push_image  # noqa

need("BERTH_USER", "BERTH_PASSWORD")
NS = os.environ.get("BERTH_NS") or USER

from docker_registry_client import DockerRegistryClient  # noqa: E402

repo = "drc-%s" % secrets.token_hex(3)
full = "%s/%s" % (NS, repo)
repo2 = "drc2-%s" % secrets.token_hex(3)
full2 = "%s/%s" % (NS, repo2)
print("docker-registry-client (PyPI) -> %s as %s, seed %s (v1) and %s (v2)" % (URL, USER, full, full2))

step("seed")
img = seed(NS, repo, ["latest", "v1"])
digest2, config2 = push_image(NS, repo2, ["latest", "v1"])


def v2_checks(c, how):
    equal(c.api_version, 2, "api_version after probing GET /v2/ (%s)" % how)
    ok, repos = guard("repositories() (%s)" % how, c.repositories)
    if ok:
        check(full2 in repos, "GET /v2/_catalog lists %s (%s)" % (full2, how), sorted(repos))
        equal(repos[full2].name if full2 in repos else None, full2, "repository object name")
        ok, nss = guard("namespaces() (%s)" % how, c.namespaces)
        if ok:
            check(NS in nss, "namespaces() contains %s (%s)" % (NS, how), nss)
    r = c.repository(full2)
    ok, tags = guard("repository(%r).tags() (%s)" % (full2, how), r.tags)
    if ok:
        equal(sorted(tags), ["latest", "v1"], "tags() (%s)" % how)
    ok, md = guard("repository(%r).manifest('latest') (%s)" % (full2, how), r.manifest, "latest")
    if ok:
        content, digest = md
        equal(digest, digest2, "manifest digest (Docker-Content-Digest) (%s)" % how)
        equal(content.get("config", {}).get("digest"), config2, "manifest config digest (%s)" % how)
    try:
        c.repository("%s/no-such-%s" % (NS, repo2)).tags()
        check(False, "tags() of a missing repository raises HTTPError (%s)" % how)
    except Exception as e:
        # With Basic, Berth answers an authenticated caller 404 (NAME_UNKNOWN); a token that
        # grants nothing may be answered with the challenge again (401).
        code = getattr(getattr(e, "response", None), "status_code", None)
        check(code == 404 or (how == "token" and code == 401),
              "tags() of a missing repository raises HTTPError 404 (%s)" % how, code)


step("v2 probe picks v2 (Basic on every request)")
ok, c = guard("DockerRegistryClient(URL, username, password)", DockerRegistryClient,
              URL, username=USER, password=PASSWORD)
if ok:
    v2_checks(c, "Basic")

step("v2 through the token flow (auth_service_url)")
ok, c = guard("DockerRegistryClient(URL, username, password, auth_service_url=URL)",
              DockerRegistryClient, URL, username=USER, password=PASSWORD, auth_service_url=URL)
if ok:
    v2_checks(c, "token")

step("anonymous auto-detection meets the 401 of GET /v2/")
try:
    DockerRegistryClient(URL)
    check(False, "DockerRegistryClient(URL) without credentials raises HTTPError 401")
except Exception as e:
    code = getattr(getattr(e, "response", None), "status_code", None)
    equal(code, 401, "DockerRegistryClient(URL) without credentials raises HTTPError with status")

step("api_version=1 keeps the v1 API")
ok, c = guard("DockerRegistryClient(URL, username, password, api_version=1)", DockerRegistryClient,
              URL, username=USER, password=PASSWORD, api_version=1)
if not ok:
    cleanup(NS, repo)
    cleanup(NS, repo2)
    finish()
equal(c.api_version, 1, "api_version when forced")

step("enumerate with /v1/search")
ok, repos = guard("repositories()", c.repositories)
if ok:
    check(all("/" in n for n in repos), "every search result name contains '/'", list(repos))
    st, _, body = raw("GET", "/v1/search")
    page = [r["name"] for r in body.get("results", [])] if isinstance(body, dict) else None
    equal(sorted(repos), sorted(page or []), "repositories() == first page of GET /v1/search")
    if isinstance(body, dict) and body.get("num_results", 0) <= len(page or []):
        check(full in repos, "seeded repository is enumerated", sorted(repos))
    else:
        print("       (client reads only the first search page; %s not necessarily on it)" % full)
    ok, nss = guard("namespaces()", c.namespaces)
    if ok and full in repos:
        check(NS in nss, "namespaces() contains %s" % NS, nss)
        equal(repos[full].name, full, "repository object name")

step("tags")
r = c.repository(full)
ok, tags = guard("repository(%r).tags()" % full, r.tags)
if ok:
    equal(sorted(tags), ["latest", "v1"], "tags()")

anon = DockerRegistryClient(URL, api_version=1)
ok, tags = guard("anonymous repository(%r).tags()" % full, anon.repository(full).tags)
if ok:
    equal(sorted(tags), ["latest", "v1"], "anonymous tags() of a public repository")

try:
    c.repository("%s/no-such-%s" % (NS, repo)).tags()
    check(False, "tags() of a missing repository raises HTTPError 404")
except Exception as e:
    code = getattr(getattr(e, "response", None), "status_code", None)
    equal(code, 404, "tags() of a missing repository raises HTTPError with status")

step("cleanup")
cleanup(NS, repo)
cleanup(NS, repo2)
finish()
