#!/usr/bin/env bash
# Registry operations (issue 15): garbage-collection time and peak memory over 10,000 blobs,
# and backup throughput.
#
#   bench/gc.sh [--blobs N] [--backup-mib M] [--record]
#
# 1. A release Berth on 127.0.0.1 (loopback only) gets N blobs of 4 KiB (default 10,000):
#    half of them layers of images (10 layers each, tagged), half pushed and never referenced.
#    `berth admin gc --dry-run` then `berth admin gc` (grace 0) run against the live server's
#    data folder under /usr/bin/time: wall time and peak RSS of the pass, and what it removed.
# 2. M MiB (default 256) of 8 MiB blobs are pushed; `berth admin backup` to a new file is
#    timed (MiB/s of blob bytes copied, hashed, fsynced), then again to the same file (the
#    incremental case: every blob is already there), then `berth admin restore` (every blob
#    verified).
# With --record the figures are appended to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

blobs=10000
backup_mib=256
record=0
while [ $# -gt 0 ]; do
  case "$1" in
    --blobs) blobs="$2"; shift 2 ;;
    --backup-mib) backup_mib="$2"; shift 2 ;;
    --record) record=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

bin=${BENCH_BIN:-target/release/berth}
if [ -z "${BENCH_BIN:-}" ]; then cargo build --release --quiet --bin berth; fi
out=bench/out/gc
rm -rf "$out"; mkdir -p "$out"
data="$out/data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
BERTH_DATA_DIR="$data" BERTH_LISTEN="127.0.0.1:$port" BERTH_ADMIN_PASSWORD=bench-pass-123 \
  BERTH_GC_INTERVAL_SECS=0 BERTH_BCRYPT_COST=4 RUST_LOG=warn "$bin" >"$out/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# Pushes over one keep-alive connection (python3's standard library only).
push() { # mode count size
  python3 - "$base" "$1" "$2" "$3" <<'PY'
import base64, hashlib, http.client, json, os, sys, urllib.parse
base, mode, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
auth = "Basic " + base64.b64encode(b"admin:bench-pass-123").decode()
def req(method, path, body=b"", ctype="application/octet-stream"):
    conn.request(method, path, body=body, headers={"Authorization": auth, "Content-Type": ctype})
    r = conn.getresponse(); body = r.read()
    if r.status not in (201, 202):
        sys.exit(f"{method} {path}: {r.status} {body}")
def blob(repo, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data)
    return {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(data)}
if mode == "images":  # count blobs as images of 10 layers (one of them the config)
    for i in range(count // 10):
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "n": i}).encode()
        c = blob("admin/imgs", cfg)
        c["mediaType"] = "application/vnd.oci.image.config.v1+json"
        layers = [blob("admin/imgs", os.urandom(size)) for _ in range(9)]
        m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": c, "layers": layers}).encode()
        req("PUT", f"/v2/admin/imgs/manifests/t{i}", m, "application/vnd.oci.image.manifest.v1+json")
else:  # count blobs nothing references
    for i in range(count):
        blob(f"admin/{mode}", os.urandom(size))
PY
}

echo "pushing $blobs blobs of 4 KiB (half in images, half unreferenced)..." >&2
t0=$(date +%s.%N)
push images $((blobs / 2)) 4096
push junk $((blobs / 2)) 4096
t1=$(date +%s.%N)
push_s=$(echo "$t1 - $t0" | bc)

timed() { # label args...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$label.time" "$bin" admin "$@" >"$out/$label.out" 2>"$out/$label.err"
  read -r secs kib <"$out/$label.time"
  echo "$secs $kib"
}
export BERTH_DATA_DIR="$data" BERTH_BCRYPT_COST=4
read -r dry_s dry_kib <<<"$(timed gc-dry gc --dry-run --gc-grace-secs 0)"
read -r gc_s gc_kib <<<"$(timed gc gc --gc-grace-secs 0)"
gc_line=$(cat "$out/gc.out")

echo "pushing $backup_mib MiB of 8 MiB blobs..." >&2
push big $((backup_mib / 8)) $((8 << 20))
blob_mib=$(du -sm "$data/blobs" | cut -f1)
read -r bk_s bk_kib <<<"$(timed backup backup "$out/backup.db")"
read -r bk2_s _ <<<"$(timed backup2 backup "$out/backup.db")"
read -r rs_s rs_kib <<<"$(BERTH_DATA_DIR="$out/restored" timed restore restore "$out/backup.db")"
mibps() { echo "scale=1; $1 / $2" | bc; }

commit=$(git rev-parse --short HEAD)
report=$(cat <<REPORT
## Issue 15: garbage collection and backup, $(date -u +%F) — $(nproc) cores, commit $commit

\`bench/gc.sh --blobs $blobs --backup-mib $backup_mib\`. **The machine was shared with other
work (other builds and test suites ran at the same time), so these are upper bounds.**

| what | wall time | peak RSS | notes |
|---|---|---|---|
| push $blobs blobs of 4 KiB over one connection | ${push_s%.*} s | — | $((blobs / 20)) images of 10 blobs + $((blobs / 2)) unreferenced |
| \`berth admin gc --dry-run\` over $blobs blobs | $dry_s s | $((dry_kib / 1024)) MiB | |
| \`berth admin gc\` over $blobs blobs | $gc_s s | $((gc_kib / 1024)) MiB | $gc_line |
| \`berth admin backup\` (new file), $blob_mib MiB of blobs | $bk_s s | $((bk_kib / 1024)) MiB | $(mibps "$blob_mib" "$bk_s") MiB/s (copied, hashed, fsynced) |
| \`berth admin backup\` again (every blob already there) | $bk2_s s | — | incremental |
| \`berth admin restore\` (every blob verified) | $rs_s s | $((rs_kib / 1024)) MiB | $(mibps "$blob_mib" "$rs_s") MiB/s |
REPORT
)
echo "$report"
if [ "$record" = 1 ]; then printf '\n%s\n' "$report" >>bench/RESULTS.md; fi
