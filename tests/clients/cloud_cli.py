#!/usr/bin/env python3
"""Drive the `docker-cloud` 1.0.9 CLI against Berth's Cloud dialect.

Run with the venv made by setup.sh; the CLI is taken from the same bin/ directory as the
interpreter (override with BERTH_DOCKER_CLOUD=/path/to/docker-cloud):
    DIR/venv/bin/python tests/clients/cloud_cli.py

Environment:
  BERTH_URL        e.g. http://127.0.0.1:5000            (-> DOCKERCLOUD_REST_HOST)
  BERTH_USER       existing active user                  (-> DOCKERCLOUD_USER)
  BERTH_PASSWORD   its password
  BERTH_APIKEY     optional API key (-> DOCKERCLOUD_APIKEY); default BERTH_PASSWORD
  BERTH_ORG        optional organization of BERTH_USER for the DOCKERCLOUD_NAMESPACE run;
                   default: BERTH_USER itself (explicit-namespace URL form)

Commands run, each once without and once with DOCKERCLOUD_NAMESPACE:
  repository register -u U -p P NAME, ls, ls -q, inspect NAME, update -u U2 -p P2 NAME,
  rm NAME, inspect NAME (must fail after rm).
Note: the CLI's update flag for the username is -u/--username. The Docker Cloud docs show
`-n`, which this CLI rejects (argparse error, exit 2).
Exit status 0 only if every check passed.
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import URL, USER, PASSWORD, check, equal, step, finish, need, raw, basic  # noqa

need("BERTH_USER", "BERTH_PASSWORD")
APIKEY = os.environ.get("BERTH_APIKEY") or PASSWORD
ORG = os.environ.get("BERTH_ORG", "")
CLI = os.environ.get("BERTH_DOCKER_CLOUD") or os.path.join(os.path.dirname(sys.executable), "docker-cloud")
HOME = tempfile.mkdtemp(prefix="berth-cloud-home-")
sfx = secrets.token_hex(3)
auth_hdr = basic(USER, APIKEY)


def cli(ns, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKERCLOUD_")}
    env.update(HOME=HOME, DOCKERCLOUD_REST_HOST=URL, DOCKERCLOUD_USER=USER, DOCKERCLOUD_APIKEY=APIKEY,
               PYTHONIOENCODING="utf-8")
    if ns:
        env["DOCKERCLOUD_NAMESPACE"] = ns
    p = subprocess.run([CLI] + list(args), env=env, capture_output=True, text=True, timeout=120)
    print("   $ %sdocker-cloud %s  -> exit %d" % ("DOCKERCLOUD_NAMESPACE=%s " % ns if ns else "",
                                                 " ".join(args), p.returncode))
    for line in (p.stdout + p.stderr).strip().splitlines()[:15]:
        print("     | " + line)
    return p


def all_names(ns):
    """Every name in the namespace, by raw paging (cross-check for `ls`)."""
    path = "/api/repo/v1/%s/repository/" % ns if ns else "/api/repo/v1/repository/"
    names, offset, url = [], 0, path
    for _ in range(1000):
        st, _, body = raw("GET", url, auth=auth_hdr)
        if st != 200:
            return None
        names += [o["name"] for o in body["objects"]]
        if not body["meta"].get("next"):
            return names
        offset = body["meta"]["offset"] + body["meta"]["limit"]
        url = "%s?limit=%d&offset=%d" % (path, body["meta"]["limit"], offset)
    return None


def run(label, ns):
    eff = ns or USER
    step("%s: namespace %s" % (label, eff))
    name = "registry.example.com/%s/cli-%s" % (USER, sfx)
    name2 = "localhost:5000/team/cli-%s" % sfx

    p = cli(ns, "repository", "register", "-u", "reguser", "-p", "regpass", name)
    equal((p.returncode, p.stdout.strip()), (0, name), "register exit code and printed name")
    p = cli(ns, "repository", "register", "-u", "reguser", "-p", "regpass", name2)
    equal((p.returncode, p.stdout.strip()), (0, name2), "register (name with port) exit code and printed name")
    p = cli(ns, "repository", "register", "-u", "reguser", "-p", "regpass", name)
    equal(p.returncode, 3, "register of a duplicate fails with exit 3")

    p = cli(ns, "repository", "ls")
    lines = [l.split() for l in p.stdout.strip().splitlines()]
    equal(p.returncode, 0, "ls exit code")
    check(lines and lines[0] == ["NAME", "IN_USE"], "ls header is NAME IN_USE", lines[:1])
    check([name, "no"] in lines and [name2, "no"] in lines, "ls shows both repositories with IN_USE no", lines)

    p = cli(ns, "repository", "ls", "-q")
    q = p.stdout.split()
    equal(p.returncode, 0, "ls -q exit code")
    check(name in q and name2 in q, "ls -q lists both names", q)
    expect = all_names(ns)
    equal(sorted(q), sorted(expect or []), "ls -q equals every name of the namespace (all pages)")

    p = cli(ns, "repository", "inspect", name2)
    equal(p.returncode, 0, "inspect exit code")
    try:
        obj = json.loads(p.stdout)
    except ValueError:
        obj = {}
    equal(obj.get("name"), name2, "inspect name")
    equal(obj.get("in_use"), False, "inspect in_use")
    equal(obj.get("resource_uri"), "/api/repo/v1/%s/repository/%s/" % (eff, name2), "inspect resource_uri")
    equal(obj.get("registry"), "/api/repo/v1/%s/registry/localhost:5000/" % eff, "inspect registry")
    check("password" not in obj and "username" not in obj and "regpass" not in p.stdout,
          "inspect shows no credentials", sorted(obj))

    p = cli(ns, "repository", "update", "-u", "newuser", "-p", "newpass", name)
    equal((p.returncode, p.stdout.strip()), (0, name), "update exit code and printed name")

    p = cli(ns, "repository", "rm", name, name2)
    equal((p.returncode, p.stdout.split()), (0, [name, name2]), "rm exit code and printed names")
    p = cli(ns, "repository", "inspect", name)
    check(p.returncode == 3 and "Cannot find a repository" in p.stderr, "inspect after rm fails (exit 3)",
          (p.returncode, p.stderr))
    p = cli(ns, "repository", "rm", name)
    equal(p.returncode, 3, "rm of a missing repository fails with exit 3")
    p = cli(ns, "repository", "ls", "-q")
    check(p.returncode == 0 and name not in p.stdout.split() and name2 not in p.stdout.split(),
          "ls -q no longer lists removed repositories", p.stdout)


print("docker-cloud CLI %s -> %s as %s" % (CLI, URL, USER))
if not os.path.exists(CLI):
    check(False, "docker-cloud executable exists", CLI)
    finish()
run("own", None)
run("DOCKERCLOUD_NAMESPACE", ORG or USER)
finish()
