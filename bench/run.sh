#!/usr/bin/env bash
# Load scenarios against a seeded store, reported as ratios against GET /healthz measured in
# the same run (bench/README.md). Loopback only; every wrk run is bounded in time.
#
#   bench/run.sh [--duration SECONDS] [--only NAME_SUBSTRING] [--profile PROFILE] [--record]
#
# --profile runs one profile of bench/scenarios.tsv only (e.g. `10000/nocache`).
# --record appends the table to bench/RESULTS.md with the date and machine.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10
only=""
profile_only=""
record=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --profile) profile_only="$2"; shift 2 ;;
    --record) record=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh
need_wrk

bin=$(release_berth)
out=bench/out
mkdir -p "$out"
port=5099
base="http://127.0.0.1:$port"
bench_auth="Authorization: Basic $(printf 'bench:bench-password' | base64 -w0)"

results=()
server_pid=""
stop_server() { [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=""; }
trap stop_server EXIT

start_server() { # data dir, read cache bytes (empty: the default)
  stop_server
  local cache=()
  [ -n "${2:-}" ] && cache=(BERTH_READ_CACHE_BYTES="$2")
  env BERTH_DATA_DIR="$1" BERTH_LISTEN="127.0.0.1:$port" "${cache[@]}" RUST_LOG=warn \
    "$bin" >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "berth did not start; see $out/server.log" >&2
  exit 1
}

# One wrk run: prints "rps p50_ms p99_ms non2xx". A path with `{n}` gets a number no
# other request of the run uses, so every request misses Berth's read cache.
measure() { # path auth(none|bench)
  local args=(-t2 -c32 "-d${duration}s" --latency --timeout 10s)
  [ "$2" = bench ] && args+=(-H "$bench_auth")
  if [[ "$1" == *"{n}"* ]]; then
    cat >"$out/unique.lua" <<LUA
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
local counter = 0
function request()
  counter = counter + 1
  local path = string.gsub("$1", "{n}", tostring(counter * 16 + tid))
  return wrk.format(nil, path)
end
LUA
    args+=(-s "$out/unique.lua")
  fi
  local report
  report=$(wrk "${args[@]}" "$base$1")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$report")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$report")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${non2xx:-0}"
}

to_ms() { # wrk latency like 1.23ms / 850.00us / 1.02s
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print v }'
}

# A profile is a store size, optionally with `/nocache`: the server runs with its read cache
# off (`--read-cache-bytes 0`), so every request pays its queries (the *uncached* rows).
run_profile() { # profile
  local profile=$1 repos=${1%%/*} data cache=""
  [ "$profile" = "$repos/nocache" ] && cache=0
  # Nothing to run in this profile (--only): no server, no /healthz runs.
  awk -F'\t' -v p="$profile" -v o="$only" '$1 == p && index($2, o) {found = 1} END {exit !found}' \
    bench/scenarios.tsv || return 0
  # A store seeded under another schema is stale: seed it again.
  data=$(seeded_store "$repos")
  start_server "$data" "$cache"
  # Warm the credential cache and the page cache.
  curl -fsS -H "$bench_auth" "$base/v1/users" >/dev/null
  local h1 h2
  h1=$(measure /healthz none)
  local rows=()
  while IFS=$'\t' read -r row_profile name path auth goal; do
    [ "$row_profile" = "$profile" ] || continue
    [ -z "$only" ] || [[ "$name" == *"$only"* ]] || continue
    local code hdr=()
    [ "$auth" = bench ] && hdr=(-H "$bench_auth")
    code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$base${path//\{n\}/1}" || true)
    if [ "$code" != 200 ]; then
      rows+=("$name|$path|skipped: answered $code|$goal")
      continue
    fi
    rows+=("$name|$path|$(measure "$path" "$auth")|$goal")
  done < bench/scenarios.tsv
  h2=$(measure /healthz none)
  local hrps
  hrps=$(awk -v a="${h1%% *}" -v b="${h2%% *}" 'BEGIN {printf "%.1f", (a + b) / 2}')
  local _r hp50 hp99 _e
  read -r _r hp50 hp99 _e <<<"$h1"
  results+=("| $profile | healthz (req/s: mean of before and after) | \`/healthz\` | $hrps | $hp50 | $hp99 | 1.00 | |")
  for row in "${rows[@]}"; do
    IFS='|' read -r name path m goal <<<"$row"
    if [[ "$m" == skipped* ]]; then
      results+=("| $profile | $name | \`$path\` | $m | | | | $goal |")
      continue
    fi
    read -r rps p50 p99 errs <<<"$m"
    local ratio
    ratio=$(awk -v r="$rps" -v h="$hrps" 'BEGIN {printf "%.2f", r / h}')
    results+=("| $profile | $name | \`$path\` | $rps | $p50 | $p99 | $ratio | $goal (non-2xx: $errs) |")
  done
  stop_server
}

for profile in $(cut -f1 bench/scenarios.tsv | grep -v '^#' | sort -u); do
  [ -z "$profile_only" ] || [ "$profile" = "$profile_only" ] || continue
  run_profile "$profile"
done

table=$(
  echo "| store | scenario | request | req/s | p50 ms | p99 ms | ratio to /healthz | goal |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${results[@]}"
)
echo "$table"
if [ "$record" = 1 ]; then
  {
    echo
    echo "## $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), commit $(git rev-parse --short HEAD)"
    echo
    echo "wrk -t2 -c32 -d${duration}s on 127.0.0.1, Berth release build, same machine (the load generator shares the cores)."
    echo
    echo "$table"
  } >>bench/RESULTS.md
  echo "recorded in bench/RESULTS.md"
fi
