# Shared by bench/run.sh and bench/mixed.sh (sourced, from the repository root).

# wrk from Debian when missing.
need_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  echo "installing wrk (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
}

# The release binary to measure: built from this checkout, or $BENCH_BIN when set (an older
# build kept aside, for an A/B on one machine; then the seeder is built only if missing);
# prints its path.
release_berth() {
  if [ -n "${BENCH_BIN:-}" ]; then
    [ -x target/release/examples/seed ] || cargo build --release --quiet --example seed
    echo "$BENCH_BIN"
  else
    cargo build --release --quiet --bin berth --example seed
    echo target/release/berth
  fi
}

# Seed bench/out/data-REPOS with target/release/examples/seed unless it was seeded under the
# current schema (schema.sql, migrations/) and seed.rs; prints its path.
seeded_store() { # repos
  local data="bench/out/data-$1" stamp
  stamp=$(cat schema.sql migrations/*.sql bench/seed.rs | sha256sum | cut -c1-16)
  if [ "$(cat "$data.schema" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$data"
    target/release/examples/seed "$data" "$1" >/dev/null
    echo "$stamp" >"$data.schema"
  fi
  echo "$data"
}
