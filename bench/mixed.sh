#!/usr/bin/env bash
# A mixed load on 64 connections for 60 seconds against a copy of the 10,000-repository bench
# store. `--deck mixed` (the default) is issue 8's: reads of every dialect, searches (cached and
# not), writes through every dialect and logins. `--deck edits` is issue 17's: 90% reads of
# every dialect and the web UI, 10% description edits in the namespaces being read (see
# bench/mixed.lua). Reports throughput, latency percentiles, every status by route (from
# Berth's own /metrics), errors and the server's resident memory at the end.
# Loopback only; bounded in time.
#
#   bench/mixed.sh [--deck mixed|edits] [--duration SECONDS] [--connections N] [--record]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=60
connections=64
record=0
deck=mixed
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --record) record=1; shift ;;
    --deck) deck="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh
need_wrk

bin=$(release_berth)
out=bench/out
mkdir -p "$out"
port=5098
mport=5198
base="http://127.0.0.1:$port"
bench_auth="Basic $(printf 'bench:bench-password' | base64 -w0)"
admin_auth="Basic $(printf 'admin:bench-admin-pw' | base64 -w0)"

# A fresh copy of the seeded store each run, so writes of earlier runs do not pile up.
seeded=$(seeded_store 10000)
data="$out/mixed-data"
rm -rf "$data"
cp -a "$seeded" "$data"

server_pid=""
stop_server() { [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=""; }
trap stop_server EXIT
# The access log is on (info), as an operator runs it, written to a file.
BERTH_DATA_DIR="$data" BERTH_LISTEN="127.0.0.1:$port" BERTH_METRICS_LISTEN="127.0.0.1:$mport" \
  RUST_LOG=info "$bin" >"$out/mixed-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# A public repository of the bench user: the web UI pages are read anonymously.
repo=$(curl -fsS -H "Authorization: $bench_auth" "$base/api/v0/repositories/bench" |
  python3 -c 'import json,sys; print(next(r["name"] for r in json.load(sys.stdin)["repositories"] if r["visibility"] == "public"))')
case "$deck" in mixed | edits) ;; *) echo "unknown deck: $deck" >&2; exit 2 ;; esac
sed -e "s|BENCH_AUTH|$bench_auth|; s|ADMIN_AUTH|$admin_auth|; s|\"REPO\"|\"$repo\"|; s|\"DECK\"|\"$deck\"|" \
  bench/mixed.lua >"$out/mixed.lua"
# Warm the credential cache for both users.
curl -fsS -H "Authorization: $bench_auth" "$base/v1/users" >/dev/null
curl -fsS -H "Authorization: $admin_auth" "$base/v1/users" >/dev/null

healthz=$(wrk -t2 -c"$connections" -d10s --latency "$base/healthz" | awk '/^Requests\/sec:/ {print $2}')
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")

report=$(wrk -t2 -c"$connections" -d"${duration}s" --latency --timeout 10s -s "$out/mixed.lua" "$base/")
echo "$report" >"$out/mixed-wrk.txt"
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")
rss_peak=$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")
curl -fsS "http://127.0.0.1:$mport/metrics" >"$out/mixed-metrics.txt"
alive=$(curl -fsS -o /dev/null -w '%{http_code}' "$base/healthz" || true)
stop_server

# Requests by route and status, from Berth's own counters (the /healthz runs excluded).
by_route=$(python3 - "$out/mixed-metrics.txt" <<'PY'
import re, sys
rows, errors, fivexx, total = [], 0, 0, 0
for line in open(sys.argv[1]):
    m = re.match(r'berth_http_requests_total\{(.*)\} (\S+)', line)
    if not m:
        continue
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
    n = int(float(m.group(2)))
    if labels["route"] == "/healthz":
        continue
    total += n
    s = int(labels["status"])
    errors += n if s >= 400 else 0
    fivexx += n if s >= 500 else 0
    rows.append((labels["dialect"], labels["method"], labels["route"], s, n))
print("| dialect | method | route | status | requests |")
print("|---|---|---|---|---|")
for r in sorted(rows):
    print("| %s | %s | `%s` | %d | %d |" % r)
print()
print("ERRORS total=%d errors=%d fivexx=%d" % (total, errors, fivexx))
PY
)

statuses=$(grep '^STATUSES' <<<"$report" | cut -d' ' -f2-)
latency=$(grep '^LATENCY' <<<"$report" | cut -d' ' -f2-)
totals=$(grep '^TOTAL' <<<"$report" | cut -d' ' -f2-)
rps=$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$totals")
ratio=$(awk -v r="$rps" -v h="$healthz" 'BEGIN {printf "%.2f", r / h}')
errs=$(grep '^ERRORS' <<<"$by_route" | cut -d' ' -f2-)

case "$deck" in
  mixed) dealt="67% reads of every dialect and the web UI, 20% searches (a quarter of
them miss the read cache), 12.8% writes through DTR, Alauda, Cloud, Index and RegistryUI, 0.2%
logins (bcrypt cost 12)" ;;
  edits) dealt="90% reads of every dialect and the web UI (19% of all requests are
searches), 10% description edits (DTR PATCH and Alauda PUT) of repositories in the 20
namespaces the reads list" ;;
esac
summary=$(cat <<MD
wrk -t2 -c$connections -d${duration}s with \`bench/mixed.lua\`, deck \`$deck\`: each wrk thread deals requests
from a shuffled deck of 1,000 — $dealt. A copy of the 10,000-repository store; access log on
(info, to a file); the load generator shares the 2 cores.

| figure | value |
|---|---|
| throughput | $rps req/s ($ratio of \`/healthz\` at $healthz req/s, same connections) |
| latency (all requests) | $latency ms |
| wrk | $totals |
| statuses seen by wrk | $statuses |
| errors (4xx/5xx by Berth's counters) | $errs |
| server up afterwards | /healthz answered $alive |
| resident memory | $((rss_before / 1024)) MiB before, $((rss_after / 1024)) MiB at the end, peak $((rss_peak / 1024)) MiB |
MD
)
echo "$summary"
echo
echo "$by_route" | grep -v '^ERRORS'
if [ "$record" = 1 ]; then
  {
    echo
    echo "## Mixed load ($deck), $(date -u +%Y-%m-%d) — $(nproc) cores, commit $(git rev-parse --short HEAD)"
    echo
    echo "$summary"
    echo
    echo "<details><summary>Requests by route and status (Berth's /metrics)</summary>"
    echo
    echo "$by_route" | grep -v '^ERRORS'
    echo
    echo "</details>"
  } >>bench/RESULTS.md
  echo "recorded in bench/RESULTS.md"
fi
