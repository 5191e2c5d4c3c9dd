#!/usr/bin/env bash
# The crash-safety loop of tests/crash.rs, long: SIGKILL the release binary at random moments
# while six clients write through every dialect, and check the store after every kill.
#
#   bench/crash.sh [--kills N] [--seed S]
#
# Defaults: 100 kills, a random seed (printed; pass it back with --seed to repeat the choices).
# Prints the run's figures (kills survived, acknowledged / uncertain / lost / half-present
# writes) and the time it took; exits non-zero when anything was lost or half there.
set -euo pipefail
cd "$(dirname "$0")/.."

kills=100
seed=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

export BERTH_CRASH_KILLS="$kills"
if [ -n "$seed" ]; then export BERTH_CRASH_SEED="$seed"; fi

cargo build --release --quiet --tests
start=$(date +%s)
status=0
out=$(cargo test --release --quiet --test crash sigkill -- --nocapture 2>&1) || status=$?
end=$(date +%s)
grep '^crash:' <<<"$out" || true
if [ "$status" -ne 0 ]; then
  echo "$out" | tail -40
  echo "crash loop FAILED (exit $status)" >&2
fi
echo "crash: $kills kills requested, $((end - start)) s, $(nproc) cores, $(uname -m)"
exit "$status"
