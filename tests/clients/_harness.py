"""Shared helpers for the Python client harnesses (stdlib only).

Common environment variables (all harnesses):
  BERTH_URL       server base URL, default http://127.0.0.1:5000 (no trailing path)
  BERTH_USER      an existing, active user
  BERTH_PASSWORD  that user's password
"""
import base64
import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("BERTH_URL", "http://127.0.0.1:5000").rstrip("/")
USER = os.environ.get("BERTH_USER", "")
PASSWORD = os.environ.get("BERTH_PASSWORD", "")

_passed = 0
_failed = 0


def need(*names):
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        print("missing environment: " + ", ".join(missing))
        sys.exit(2)


def check(cond, what, detail=None):
    """Record one assertion; never raises."""
    global _passed, _failed
    if cond:
        _passed += 1
        print("ok     - " + what)
    else:
        _failed += 1
        print("FAIL   - " + what + ("" if detail is None else "\n         got: %r" % (detail,)))
    return bool(cond)


def equal(actual, expected, what):
    return check(actual == expected, "%s == %r" % (what, expected), actual)


def step(text):
    print("\n== " + text)


def guard(what, fn, *a, **kw):
    """Run fn; an exception counts as one failed check. Returns (ok, value)."""
    try:
        return True, fn(*a, **kw)
    except SystemExit:
        raise
    except BaseException as e:  # noqa
        check(False, what + " raised " + type(e).__name__, str(e)[:500])
        return False, None


def finish():
    print("\n%d passed, %d failed" % (_passed, _failed))
    sys.exit(1 if _failed else 0)


def basic(user=None, password=None):
    raw = "%s:%s" % (user or USER, password if password is not None else PASSWORD)
    return "Basic " + base64.b64encode(raw.encode()).decode()


def raw(method, path, body=None, headers=None, auth=True):
    """Plain HTTP request used for seeding and cross-checks (NOT the client under test).
    Returns (status, headers, parsed-json-or-text)."""
    h = {"Accept": "application/json"}
    if auth is True:
        h["Authorization"] = basic()
    elif auth:
        h["Authorization"] = auth
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    req = urllib.request.Request(URL + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, hdrs, payload = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, payload = e.code, e.headers, e.read()
    text = payload.decode("utf-8", "replace")
    try:
        val = json.loads(text) if text.strip() else None
    except ValueError:
        val = text
    return status, hdrs, val
