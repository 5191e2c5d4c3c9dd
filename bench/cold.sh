#!/usr/bin/env bash
# Cold credentials (issue 12): a freshly started release server, real bcrypt cost 12, and a
# credential it has never verified, asked for by many connections at once.
#
#   bench/cold.sh [--connections N] [--duration SECONDS] [--rounds R]
#
# Each round starts a new server on a new store, then
#   1. fires N concurrent first requests with the admin's new credential and times the
#      wave until all N have answered (one bcrypt if they share it, N if they do not);
#   2. restarts cold and runs wrk with N connections on GET /v1/users for the duration,
#      then GET /healthz the same way, and reports the ratio;
#   3. reads berth_bcrypt_verifications_total from the metrics listener.
# Loopback only; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

connections=64
duration=5
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh
need_wrk

cargo build --release --quiet --bin berth
bin=target/release/berth
out=bench/out/cold
mkdir -p "$out"
port=5098
metrics_port=5097
base="http://127.0.0.1:$port"
password="cold-bench-password"
auth="Authorization: Basic $(printf 'admin:%s' "$password" | base64 -w0)"

server_pid=""
stop_server() { [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=""; }
trap stop_server EXIT

start_cold() {
  stop_server
  rm -rf "$out/data"
  BERTH_DATA_DIR="$out/data" BERTH_LISTEN="127.0.0.1:$port" BERTH_ADMIN_PASSWORD="$password" \
    BERTH_METRICS_LISTEN="127.0.0.1:$metrics_port" RUST_LOG=warn "$bin" >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "berth did not start; see $out/server.log" >&2
  exit 1
}

bcrypt_runs() {
  curl -fsS "http://127.0.0.1:$metrics_port/metrics" | awk '/^berth_bcrypt_verifications_total/ {print $2}'
}

rps() { # path [header]
  local args=(-t2 "-c$connections" "-d${duration}s" --timeout 10s)
  [ $# -gt 1 ] && args+=(-H "$2")
  wrk "${args[@]}" "$base$1" | awk '/^Requests\/sec/ {print $2}'
}

printf '| round | wave of %s first requests (s) | bcrypt runs in the wave | /v1/users req/s, cold start | /healthz req/s | ratio | bcrypt runs in the wrk run |\n' "$connections"
printf '|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "$rounds"); do
  start_cold
  before=$(bcrypt_runs)
  start=$(date +%s.%N)
  seq 1 "$connections" | xargs -P "$connections" -I{} \
    curl -fsS -o /dev/null -H "$auth" "$base/v1/users"
  wave=$(echo "$(date +%s.%N) - $start" | bc)
  wave_runs=$(( $(bcrypt_runs) - before ))

  start_cold
  before=$(bcrypt_runs)
  users=$(rps /v1/users "$auth")
  run_runs=$(( $(bcrypt_runs) - before ))
  health=$(rps /healthz)
  ratio=$(echo "scale=2; $users / $health" | bc)
  printf '| %s | %.2f | %s | %s | %s | %s | %s |\n' \
    "$round" "$wave" "$wave_runs" "$users" "$health" "$ratio" "$run_runs"
done
