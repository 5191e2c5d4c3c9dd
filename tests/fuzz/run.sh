#!/usr/bin/env bash
# Fuzz every target for SECONDS each (default 20) and print, per target, the executions,
# executions per second and crashes. Installs cargo-fuzz when missing; builds with the
# nightly toolchain into tests/fuzz/target. Exit status 1 when any target crashed.
#
#   tests/fuzz/run.sh             # 20 s per target
#   tests/fuzz/run.sh 3600        # an hour per target
#   BERTH_FUZZ_TARGETS="markdown web" tests/fuzz/run.sh 600
#
# The corpus grows in tests/fuzz/corpus/<target> (kept between runs), crashing inputs land
# in tests/fuzz/artifacts/<target>, and each run's libFuzzer output in
# tests/fuzz/logs/<target>.log. See tests/fuzz/README.md.
set -euo pipefail

secs=${1:-20}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
fuzz=$(cd "$(dirname "$0")" && pwd)
cd "$fuzz/../.."
toolchain=${BERTH_FUZZ_TOOLCHAIN:-nightly}

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Release code with debug assertions and overflow checks, under AddressSanitizer.
flags=(--fuzz-dir tests/fuzz -O -a)
cargo "+$toolchain" fuzz build "${flags[@]}"

targets=${BERTH_FUZZ_TARGETS:-$(cargo "+$toolchain" fuzz list --fuzz-dir tests/fuzz)}
# The request targets keep one application per N inputs on purpose, and actix-router leaks
# a few bytes per application built by design: leak checks would only report those.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
mkdir -p tests/fuzz/logs

printf '%-11s %12s %8s %9s  %s\n' target executions exec/s "peak MB" crashes
failed=0
for t in $targets; do
    corpus=tests/fuzz/corpus/$t
    artifacts=tests/fuzz/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    inputs=("$corpus")
    [ -d "tests/fuzz/seeds/$t" ] && inputs+=("tests/fuzz/seeds/$t")
    options=(-max_total_time="$secs" -timeout=30 -detect_leaks=0 -len_control=0
        -print_final_stats=1)
    [ -f "tests/fuzz/dicts/$t.dict" ] && options+=(-dict="tests/fuzz/dicts/$t.dict")
    before=$(ls "$artifacts" | wc -l)
    log=tests/fuzz/logs/$t.log
    status=0
    cargo "+$toolchain" fuzz run "${flags[@]}" "$t" "${inputs[@]}" -- "${options[@]}" \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    crashes=$(($(ls "$artifacts" | wc -l) - before))
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1 # died without writing an input (see the log)
    fi
    newest=$(ls -t "$artifacts" | head -1)
    note=""
    if [ "$crashes" -ne 0 ]; then
        failed=1
        note=" ($artifacts/$newest; log $log)"
    fi
    printf '%-11s %12s %8s %9s  %s%s\n' "$t" "${runs:-?}" "${rate:-?}" "${peak:-?}" \
        "$crashes" "$note"
done

# Store folders of the request targets' last applications (their processes are gone).
scratch=${BERTH_FUZZ_TMP:-/dev/shm}
[ -d "$scratch" ] || scratch=${TMPDIR:-/tmp}
for d in "$scratch"/berth-fuzz-*; do
    [ -d "$d" ] || continue
    pid=${d##*/berth-fuzz-}
    pid=${pid%%-*}
    [ -d "/proc/$pid" ] || rm -rf "$d"
done
exit "$failed"
