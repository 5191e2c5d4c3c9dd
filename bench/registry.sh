#!/usr/bin/env bash
# The registry against Debian's docker-registry (distribution 2.8.2), side by side on this
# machine, loopback only (issue 14):
#   1. push and pull of one 100 MiB single-layer image with skopeo, alternating rounds between
#      the two servers; the ratio of medians Berth / distribution (<= 1.0 is the goal);
#   2. Berth's peak RSS growth while pushing (VmHWM before and after; goal < 64 MiB);
#   3. 16 concurrent pushes of distinct images (all must succeed);
#   4. a cached manifest GET against GET /healthz with wrk, in the same run (goal >= 0.3).
#
#   bench/registry.sh [--rounds N] [--size-mib M] [--duration SECONDS] [--record]
#
# What is timed is the servers, not the client's disk: skopeo's OCI layouts (the images it
# pushes, the copies it pulls) live in a tmpfs folder, and `sync` runs before every timed
# copy, so neither server pays for the other's (or the client's) deferred writeback. Berth
# fsyncs each blob before acknowledging it; distribution 2.8.2 does not, and that difference
# stays in the figures.
#
# Berth runs as the release build with its bootstrapped admin, pushing into its namespace
# `admin` (skopeo takes the token flow);
# distribution runs with no auth (its default config with auth removed), so any cost of
# authentication is Berth's alone. Needs skopeo, umoci, docker-registry, wrk (apt).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=11
size_mib=100
duration=10
record=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --size-mib) size_mib="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --record) record=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh
need_wrk
for tool in skopeo umoci docker-registry; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "installing $tool (Debian package)" >&2
    pkg=$tool
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$pkg" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "$pkg" >/dev/null; fi
  }
done

cargo build --release --quiet --bin berth
bin=target/release/berth
out=bench/out/registry
rm -rf "$out"
mkdir -p "$out"
# The client's side, in memory (see above).
client=$(mktemp -d /dev/shm/berth-registry-bench.XXXXXX)
berth_port=5097
dist_port=5098
password=bench-admin-password

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$client"
}
trap cleanup EXIT

# --- the images: one of SIZE MiB of random bytes, and 16 small distinct ones
make_image() { # layout tag bytes
  umoci init --layout "$1" 2>/dev/null || true
  umoci new --image "$1:$2"
  head -c "$3" /dev/urandom >"$client/layer.bin"
  umoci insert --rootless --image "$1:$2" "$client/layer.bin" /data.bin
  rm -f "$client/layer.bin"
}
# One image per round, so no round finds its layer on a server already (skopeo would mount it
# from an earlier round's repository instead of uploading it, on both servers).
echo "building $rounds images of ${size_mib} MiB and 16 small ones with umoci" >&2
for r in $(seq 1 "$rounds"); do make_image "$client/big" "big$r" $((size_mib * 1024 * 1024)); done
for i in $(seq 1 16); do make_image "$client/small" "s$i" $((1024 * 1024)); done

# --- the servers
env BERTH_DATA_DIR="$out/berth-data" BERTH_LISTEN="127.0.0.1:$berth_port" \
  BERTH_ADMIN_PASSWORD="$password" RUST_LOG=warn "$bin" >"$out/berth.log" 2>&1 &
berth_pid=$!
pids+=("$berth_pid")
cat >"$out/dist.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $PWD/$out/dist-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$dist_port
YML
docker-registry serve "$out/dist.yml" >"$out/dist.log" 2>&1 &
pids+=("$!")
for url in "http://127.0.0.1:$berth_port/healthz" "http://127.0.0.1:$dist_port/v2/"; do
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$url" 2>/dev/null && break; sleep 0.1; done
done

creds=(--dest-creds "admin:$password")
src_creds=(--src-creds "admin:$password")
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$berth_pid/status"; }
secs() { date +%s.%N; }

push() { # server round -> seconds
  local port t0 extra=()
  if [ "$1" = berth ]; then port=$berth_port; extra=("${creds[@]}"); else port=$dist_port; fi
  sync
  t0=$(secs)
  skopeo copy -q --dest-tls-verify=false "${extra[@]}" "oci:$client/big:big$2" \
    "docker://127.0.0.1:$port/admin/round$2:latest" >/dev/null
  echo "$(secs) - $t0" | bc
}
pull() { # server round -> seconds
  local port t0 extra=()
  if [ "$1" = berth ]; then port=$berth_port; extra=("${src_creds[@]}"); else port=$dist_port; fi
  rm -rf "$client/pulled"
  sync
  t0=$(secs)
  skopeo copy -q --src-tls-verify=false "${extra[@]}" \
    "docker://127.0.0.1:$port/admin/round$2:latest" "oci:$client/pulled:x" >/dev/null
  echo "$(secs) - $t0" | bc
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

hwm_before=$(hwm_kib)
: >"$out/times.tsv"
for r in $(seq 1 "$rounds"); do
  # Alternate who goes first, so neither always meets a warm page cache.
  if [ $((r % 2)) = 1 ]; then order="berth dist"; else order="dist berth"; fi
  for s in $order; do printf '%s\tpush\t%s\n' "$s" "$(push "$s" "$r")" >>"$out/times.tsv"; done
  for s in $order; do printf '%s\tpull\t%s\n' "$s" "$(pull "$s" "$r")" >>"$out/times.tsv"; done
done
hwm_after=$(hwm_kib)

med() { awk -v s="$1" -v k="$2" '$1==s && $2==k {print $3}' "$out/times.tsv" | median; }
bp=$(med berth push); dp=$(med dist push); bl=$(med berth pull); dl=$(med dist pull)
push_ratio=$(echo "scale=3; $bp / $dp" | bc)
pull_ratio=$(echo "scale=3; $bl / $dl" | bc)
rss_growth_mib=$(echo "scale=1; ($hwm_after - $hwm_before) / 1024" | bc)

# --- 16 concurrent pushes of distinct images
ok=0
cpids=()
for i in $(seq 1 16); do
  skopeo copy -q --dest-tls-verify=false "${creds[@]}" "oci:$client/small:s$i" \
    "docker://127.0.0.1:$berth_port/admin/many$i:latest" >"$out/many$i.log" 2>&1 &
  cpids+=("$!")
done
for p in "${cpids[@]}"; do wait "$p" && ok=$((ok + 1)); done

# --- a cached manifest GET against /healthz (the same wrk settings)
auth="Authorization: Basic $(printf 'admin:%s' "$password" | base64 -w0)"
accept="Accept: application/vnd.oci.image.manifest.v1+json"
rate() { # path [header...]
  local path=$1; shift
  local args=(-t2 -c32 "-d${duration}s" --timeout 10s)
  for h in "$@"; do args+=(-H "$h"); done
  wrk "${args[@]}" "http://127.0.0.1:$berth_port$path" | awk '/Requests\/sec/ {print $2}'
}
manifest="/v2/admin/round1/manifests/latest"
curl -fsS -o /dev/null -H "$auth" -H "$accept" "http://127.0.0.1:$berth_port$manifest"
healthz_rps=$(rate /healthz)
manifest_rps=$(rate "$manifest" "$auth" "$accept")
manifest_ratio=$(echo "scale=3; $manifest_rps / $healthz_rps" | bc)

table=$(cat <<TABLE
| measure | Berth | distribution 2.8.2 | ratio (Berth / distribution) | goal |
|---|---|---|---|---|
| push ${size_mib} MiB, median of $rounds (s) | $bp | $dp | $push_ratio | ≤ 1.0 |
| pull ${size_mib} MiB, median of $rounds (s) | $bl | $dl | $pull_ratio | ≤ 1.0 |
| Berth peak RSS growth while pushing (MiB) | $rss_growth_mib | | | < 64 |
| concurrent pushes of distinct images that succeeded | $ok / 16 | | | 16 / 16 |
| cached manifest GET / \`GET /healthz\` (req/s) | $manifest_rps / $healthz_rps | | $manifest_ratio | ≥ 0.3 |
TABLE
)
echo "$table"
echo "rounds: $out/times.tsv"
if [ "$record" = 1 ]; then
  {
    echo
    echo "### Registry against distribution 2.8.2 — $(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD), $(nproc) cores"
    echo
    echo "\`bench/registry.sh --rounds $rounds --size-mib $size_mib --duration $duration\`"
    echo
    echo "$table"
  } >>bench/RESULTS.md
fi
