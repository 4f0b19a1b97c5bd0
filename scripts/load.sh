#!/usr/bin/env bash
# Load test of the planning API against a tenant with a year of data (about 5,000
# missions, 300 technicians), on SQLite and on PostgreSQL.
#
# For each backend: a fresh database, `callsheet seed --preset year`, the release server,
# then wrk on each scenario, reporting requests/s, P50, P95 and P99:
#   - week:     GET /planning/week for a random week of the year (the plan cache is on,
#               as in production; the first request of each week is a miss);
#   - missions: GET /missions for a random week, 50 per page;
#   - assign:   POST /assignments of a random qualified technician to a random need
#               (201, or 409 when already booked or refused by the rules plugin);
#   - move:     PATCH /missions/{id} of a random mission to its seeded window or an hour
#               later; missions with crew (many, after `assign`) are re-checked against
#               every crew member's rules (200, or 409 when refused);
#   - mix:      what a front end sends (week plans, mission pages, conflicts, manual
#               assignments), then again at WIDE_CONNECTIONS (200) as `mix-wide`;
#   - health:   GET /health, the framework floor: the table gives every scenario's
#               throughput as a share of it.
#
# Usage: bash scripts/load.sh            (both backends)
#        BACKENDS=sqlite bash scripts/load.sh
# Knobs: DURATION (default 20s), CONNECTIONS (32), WIDE_CONNECTIONS (200), THREADS (2),
#        SCENARIOS (default: all), PG_ADMIN_URL.
# Results: one `RESULT ...` line per scenario and backend, and a Markdown table at the end
# (docs/benchmarks.md records the figures and this command).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callsheet/target}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
BACKENDS="${BACKENDS:-sqlite postgres}"
SCENARIOS="${SCENARIOS:-health week missions assign move mix}"
# The front-end mix also runs at this many connections (scenario `mix-wide`).
WIDE_CONNECTIONS="${WIDE_CONNECTIONS:-200}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PORT="${PORT:-18080}"
YEAR="${YEAR:-2026}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
command -v jq >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq jq >/dev/null || sudo apt-get install -y -qq jq >/dev/null; }

echo "building the release server" >&2
cargo build --release --quiet -p callsheet --manifest-path "$root/Cargo.toml"
bin="$CARGO_TARGET_DIR/release/callsheet"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

results="$work/results.txt"
: > "$results"

for backend in $BACKENDS; do
  case "$backend" in
    sqlite) export DATABASE_URL="sqlite://$work/load.db" ;;
    postgres)
      db="callsheet_load_$(date +%s)"
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db" >/dev/null
      export DATABASE_URL="${PG_ADMIN_URL%/*}/$db"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  export APP_ENV=dev APP_HOST=127.0.0.1 APP_PORT="$PORT" RUST_LOG=warn PLUGIN_CACHE_DIR="$work/plugin-cache"
  export JWT_SECRET="load-test-secret-0123456789-abcdefghijklmnop"
  # The load generator is one client address of one tenant: do not let login throttling
  # or the rate limits (600 requests a minute per address by default) get in the way.
  export LOGIN_MAX_FAILURES_PER_IP=1000000
  export RATE_LIMIT_PER_ADDRESS_PER_MINUTE=0 RATE_LIMIT_PER_TENANT_PER_MINUTE=0
  echo "[$backend] seeding a year of data" >&2
  "$bin" tenant create --slug load --name "Load test" --time-zone Europe/Paris \
    --admin-email admin@load.test --admin-password load-test-password >/dev/null
  /usr/bin/time -f "[$backend] seeded in %es" "$bin" seed --tenant load --preset year --from "$YEAR-01-01" >&2

  "$bin" serve > "$work/server-$backend.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/api/v1/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
  export TOKEN
  TOKEN="$(curl -fsS "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"tenant":"load","email":"admin@load.test","password":"load-test-password"}' | jq -r .access_token)"

  # Pairs of a need and a technician who has its skill, for the assignment scenario.
  python3 - "$PORT" "$TOKEN" "$YEAR" "$work/moves.lua" > "$work/pairs.lua" <<'PY'
import datetime, json, random, sys, urllib.request
port, token, year, moves_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def get(path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(req))
techs = []
page = 1
while True:
    body = get(f"/api/v1/technicians?page={page}&size=200")
    techs += body["items"]
    if page * 200 >= body["total"]:
        break
    page += 1
needs, missions = [], []
for month in range(1, 13):
    body = get(f"/api/v1/missions?from={year}-{month:02d}-01&to={year}-{month:02d}-28&size=200")
    for m in body["items"]:
        needs += m["needs"]
        missions.append(m)
random.seed(7)
# Moves: each mission to its seeded window, or an hour later (its needs move along).
with open(moves_path, "w") as out:
    out.write("return {\n")
    for m in random.sample(missions, min(2000, len(missions))):
        windows = []
        for shift in (0, 1):
            start, end = (datetime.datetime.fromisoformat(m[k]) + datetime.timedelta(hours=shift) for k in ("start", "end"))
            windows.append(json.dumps({"start": start.isoformat(), "end": end.isoformat()}))
        out.write("  {%s, %s, %s},\n" % (json.dumps(m["id"]), json.dumps(windows[0]), json.dumps(windows[1])))
    out.write("}\n")
by_skill = {}
for t in techs:
    for s in t["skills"]:
        by_skill.setdefault(s, []).append(t["id"])
pairs = []
for n in random.sample(needs, min(4000, len(needs))):
    if by_skill.get(n["skill"]):
        pairs.append((n["id"], random.choice(by_skill[n["skill"]])))
print("return {")
for need, tech in pairs:
    print(f'  {{"{need}", "{tech}"}},')
print("}")
PY
  # Warm-up: the first assignment compiles the tenant's rules plugin (kept on disk after).
  first_pair=$(sed -n '2p' "$work/pairs.lua" | tr -d '{} ,' | tr '"' ' ')
  read -r need tech <<<"$first_pair"
  curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/assignments" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "{\"need_id\":\"$need\",\"technician_id\":\"$tech\"}"
  runs="$SCENARIOS"
  case " $SCENARIOS " in *" mix "*) runs="$runs mix-wide" ;; esac
  for scenario in $runs; do
    connections="$CONNECTIONS"; script="$scenario"
    if [ "$scenario" = mix-wide ]; then connections="$WIDE_CONNECTIONS"; script=mix; fi
    SCENARIO="$scenario" LOAD_DIR="$here/load" PAIRS="$work/pairs.lua" MOVES="$work/moves.lua" YEAR="$YEAR" \
      wrk -t"$THREADS" -c"$connections" -d"$DURATION" --timeout 10s -s "$here/load/$script.lua" \
      "http://127.0.0.1:$PORT" | grep '^RESULT' | sed "s/^RESULT /RESULT backend=$backend /" | tee -a "$results"
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  [ "$backend" = postgres ] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db" >/dev/null
done

echo
# Each scenario's throughput as a share of the same backend's /health in this run (the
# framework floor); "-" without a health run.
echo "| backend | scenario | requests/s | of /health | P50 ms | P95 ms | P99 ms | statuses |"
echo "| --- | --- | --: | --: | --: | --: | --: | --- |"
awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = substr($i, length(kv[1]) + 2) } }
  f["scenario"] == "health" { floor[f["backend"]] = f["rps"] }
  { b[NR] = f["backend"]; s[NR] = f["scenario"]; r[NR] = f["rps"]; p50[NR] = f["p50_ms"];
    p95[NR] = f["p95_ms"]; p99[NR] = f["p99_ms"]; st[NR] = f["statuses"] }
  END {
    for (n = 1; n <= NR; n++) {
      share = (b[n] in floor && floor[b[n]] > 0) ? sprintf("%.1f %%", 100 * r[n] / floor[b[n]]) : "-"
      printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", b[n], s[n], r[n], share, p50[n], p95[n], p99[n], st[n]
    }
  }' "$results"
