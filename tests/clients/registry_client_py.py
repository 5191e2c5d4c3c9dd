#!/usr/bin/env python3
"""Drive PyPI docker-registry-client 0.5.2 (module `docker_registry_client`) against Berth.

Run with the venv made by setup.sh:
    DIR/venv/bin/python tests/clients/registry_client_py.py

Environment:
  BERTH_URL        e.g. http://127.0.0.1:5000 (passed as host=, scheme included)
  BERTH_USER       existing active user (the client sends Basic user:password on every request)
  BERTH_PASSWORD   its password
  BERTH_NS         namespace to push the seed repository into (default BERTH_USER)

First seeds a public repository NS/drc-<random> with tags `latest` and `v1` through the
Index push flow (see _seed_index.py), then:
  DockerRegistryClient(URL, username, password)  -> GET /v2/ must be 404 -> api_version 1
  .repositories() / .namespaces()                 -> GET /v1/search (no q) ; names need '/'
  .repository("ns/repo").tags()                   -> GET /v1/repositories/ns/repo/tags
  the same anonymously (public repository)
Finally deletes the seed repository (Index DELETE with X-Docker-Token: true).
Exit status 0 only if every check passed.
"""
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import URL, USER, PASSWORD, check, equal, step, guard, finish, need, raw  # noqa
from _seed_index import seed, cleanup  # noqa

need("BERTH_USER", "BERTH_PASSWORD")
NS = os.environ.get("BERTH_NS") or USER

from docker_registry_client import DockerRegistryClient  # noqa: E402

repo = "drc-%s" % secrets.token_hex(3)
full = "%s/%s" % (NS, repo)
print("docker-registry-client (PyPI) -> %s as %s, seed %s" % (URL, USER, full))

step("seed")
img = seed(NS, repo, ["latest", "v1"])

step("v2 probe falls back to v1")
ok, c = guard("DockerRegistryClient(URL, username, password)", DockerRegistryClient,
              URL, username=USER, password=PASSWORD)
if not ok:
    cleanup(NS, repo)
    finish()
equal(c.api_version, 1, "api_version after probing GET /v2/")

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
finish()
