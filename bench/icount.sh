#!/usr/bin/env bash
# Instructions per request, server side, with the read cache off: a figure a shared machine
# cannot disturb (issue 17's second pass measured with it; bench/RESULTS.md).
#
#   bench/icount.sh BIN DATA_DIR N PATH...
#
# Runs BIN under `valgrind --tool=callgrind` on DATA_DIR (a store seeded by bench/run.sh, e.g.
# bench/out/data-10000), authenticated as the bench user; per path: 3 warm-up requests,
# counters zeroed, N requests on one keep-alive connection, counters dumped; prints the path
# and the instructions per request. /healthz is measured first, as the baseline. Loopback only.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 BIN DATA_DIR N PATH..." >&2; exit 2; }
bin=$1 data=$2 n=$3
shift 3
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
port=5199
auth="Authorization: Basic $(printf 'bench:bench-password' | base64 -w0)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
env BERTH_DATA_DIR="$data" BERTH_LISTEN="127.0.0.1:$port" BERTH_READ_CACHE_BYTES=0 RUST_LOG=warn \
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$bin" >"$work/server.log" 2>&1 &
vpid=$!
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
for path in /healthz "$@"; do
  urls=()
  for _ in $(seq 1 "$n"); do urls+=("http://127.0.0.1:$port$path"); done
  for _ in 1 2 3; do curl -fsS -H "$auth" -o /dev/null "http://127.0.0.1:$port$path"; done
  callgrind_control -z "$vpid" >/dev/null 2>&1
  curl -fsS -H "$auth" "${urls[@]}" >/dev/null
  callgrind_control -d "$vpid" >/dev/null 2>&1
  sleep 0.5
  total=0
  for f in "$work"/cg."$vpid"*; do
    [ -f "$f" ] || continue
    v=$(awk '/^(summary|totals):/ {print $2; exit}' "$f")
    total=$((total + ${v:-0}))
    rm -f "$f"
  done
  echo "$path $((total / n))"
done
kill -TERM "$vpid"
wait "$vpid" 2>/dev/null || true
