#!/usr/bin/env python3
"""Apply the minimal Python 3 fixes to the *installed* client packages of a venv.

Usage:  python3 patch_py3.py VENV_DIR        (e.g. /tmp/berth-clients/venv)

Idempotent: every fix is a textual replacement that is skipped when already applied.
Exits non-zero if an expected spot is neither unpatched nor patched (wrong package
version). Only third-party client code is touched, never the server.

Fixes (all in python-dockercloud 1.0.12 / docker-cloud 1.0.9; just4alauda 0.2.12 and
docker-registry-client 0.5.2 need none):
  dockercloud/__init__.py, dockercloud/api/auth.py
      base64.b64encode("%s:%s" % (...))  -> str is not bytes on py3; encode + decode,
      otherwise DOCKERCLOUD_USER+DOCKERCLOUD_APIKEY crashes at import.
  dockercloud/api/http.py
      urljoin(host, path.encode("ascii", "ignore")) mixes str and bytes (TypeError on
      every request): decode back to str.
  dockercloudcli/utils.py
      implicit relative imports `from exceptions import` / `from interpolation import`.
  dockercloudcli/cli.py
      sys.stdout = codecs.getwriter('utf8')(sys.stdout) makes every print() fail with
      TypeError on py3: only done on py2 now.
  dockercloudcli/commands.py
      raw_input() -> input() (used only when -u/-p are missing).
"""
import glob
import os
import re
import sys

B64_RE = re.compile(r'base64\.b64encode\(("%s:%s" % \(.*\))\)$', re.M)
B64_NEW = r'base64.b64encode((\1).encode("utf-8")).decode("ascii")'

# (relative path, list of (kind, old, new))  kind: "str" exact replace, "re" regex
PATCHES = [
    ("dockercloud/__init__.py", [("re", B64_RE, B64_NEW)]),
    ("dockercloud/api/auth.py", [("re", B64_RE, B64_NEW)]),
    ("dockercloud/api/http.py", [
        ("str", 'path.strip("/").encode("ascii", "ignore"))',
                'path.strip("/").encode("ascii", "ignore").decode("ascii"))'),
    ]),
    ("dockercloudcli/utils.py", [
        ("str", "\nfrom exceptions import BadParameter", "\nfrom .exceptions import BadParameter"),
        ("str", "\nfrom interpolation import interpolate", "\nfrom .interpolation import interpolate"),
    ]),
    ("dockercloudcli/cli.py", [
        ("str", "\nsys.stdout = codecs.getwriter('utf8')(sys.stdout)\n",
                "\nif sys.version_info[0] < 3:  # berth py3 patch\n"
                "    sys.stdout = codecs.getwriter('utf8')(sys.stdout)\n"),
    ]),
    ("dockercloudcli/commands.py", [
        ("str", "raw_input('Username: ')", "input('Username: ')"),
    ]),
]


def site_packages(venv):
    cands = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages"))
    if not cands:
        sys.exit("patch_py3: no lib/python3*/site-packages under %s" % venv)
    return cands[0]


def apply(sp):
    failures = 0
    for rel, edits in PATCHES:
        path = os.path.join(sp, rel)
        if not os.path.exists(path):
            print("patch_py3: MISSING %s" % path)
            failures += 1
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        orig = text
        for kind, old, new in edits:
            if kind == "re":
                text, n = old.subn(new, text)
                done = 'b64encode(("%s:%s"' in text and not old.search(text)
                state = "patched %d" % n if n else ("already" if done else None)
            else:
                if old in text:
                    text = text.replace(old, new)
                    state = "patched"
                elif new in text:
                    state = "already"
                else:
                    state = None
            if state is None:
                print("patch_py3: UNEXPECTED CONTENT in %s (looking for %r)" % (rel, getattr(old, "pattern", old)))
                failures += 1
            else:
                print("patch_py3: %-28s %s" % (rel, state))
        if text != orig:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(1 if apply(site_packages(sys.argv[1])) else 0)
