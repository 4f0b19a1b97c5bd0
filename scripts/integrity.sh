#!/usr/bin/env bash
# Integrity at scale (issue 12): concurrent conflicting writes, races with moves and
# cancellations, a rule only a sum breaks, parallel logins, and SIGKILL during writes and
# during automatic runs, on SQLite and on PostgreSQL. scripts/integrity.py drives the
# release server; every figure it prints must be 0.
#
# Usage: bash scripts/integrity.sh            (both backends)
#        BACKENDS=postgres bash scripts/integrity.sh
# Knobs: ROUNDS (60 rounds per race), CONFLICTING (1000 concurrent assignments),
#        PG_ADMIN_URL. Results: a `RESULT ...` line per backend and a Markdown table
# (docs/benchmarks.md records them and this command).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callsheet/target}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export PORT="${PORT:-18181}"

echo "building the release server" >&2
cargo build --release --quiet -p callsheet --manifest-path "$root/Cargo.toml"
export CALLSHEET_BIN="$CARGO_TARGET_DIR/release/callsheet"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results.txt"
: > "$results"
status=0

for backend in $BACKENDS; do
  db=""
  case "$backend" in
    sqlite) export DATABASE_URL="sqlite://$work/integrity.db" ;;
    postgres)
      db="callsheet_integrity_$(date +%s)"
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db" >/dev/null
      export DATABASE_URL="${PG_ADMIN_URL%/*}/$db"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  export APP_ENV=dev APP_HOST=127.0.0.1 APP_PORT="$PORT" RUST_LOG=warn PLUGIN_CACHE_DIR="$work/plugin-cache"
  export JWT_SECRET="integrity-test-secret-0123456789-abcdefghij"
  # One client address sends everything: the general limits and the per-address login
  # limit would refuse before the behaviour under test (the per-account login limit).
  export RATE_LIMIT_PER_ADDRESS_PER_MINUTE=0 RATE_LIMIT_PER_TENANT_PER_MINUTE=0
  export LOGIN_MAX_FAILURES_PER_IP=1000000 LOGIN_MAX_FAILURES_PER_ACCOUNT=5
  "$CALLSHEET_BIN" tenant create --slug integrity --name "Integrity" --time-zone Europe/Paris \
    --admin-email admin@integrity.test --admin-password integrity-password >/dev/null
  # The festival week the killed automatic runs plan.
  "$CALLSHEET_BIN" seed --tenant integrity --preset festival-week --from 2026-11-23 >/dev/null
  echo "[$backend]" >&2
  BACKEND="$backend" SERVER_LOG="$work/server-$backend.log" python3 "$here/integrity.py" \
    > "$work/out-$backend.txt" || status=1
  cat "$work/out-$backend.txt" >&2
  grep '^RESULT' "$work/out-$backend.txt" >> "$results" || status=1
  [ -n "$db" ] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
done

echo
echo "| backend | 5xx | double bookings | hard violations | over max crew | throttle bypasses | writes lost | audit entries missing | audit broken | jobs stuck |"
echo "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |"
# One row per backend: the RESULT line's values, in order.
sed -E 's/^RESULT backend=([^ ]+) /\1 /; s/ [a-z_]+=/ | /g; s/^/| /; s/$/ |/' "$results"
exit "$status"
