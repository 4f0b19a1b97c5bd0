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
# The cost of metrics: METRICS=on serves with METRICS_TOKEN set (metrics recorded, and
# /metrics scraped every SCRAPE_INTERVAL seconds during each scenario, as a Prometheus
# would); METRICS=both runs every scenario with metrics off, then on, on the same seeded
# database (writing scenarios change it between the two: compare on health and week).
#   METRICS=both SCENARIOS="health week" bash scripts/load.sh
# The cost of traces: METRICS=traces serves with metrics on and every request traced
# (OTEL_EXPORTER_OTLP_ENDPOINT set, the SDK's default sampler: every trace kept) and
# exported over OTLP/HTTP to a local sink that reads and drops them; METRICS=all runs
# off, on and traces in turn.
#
# Usage: bash scripts/load.sh            (both backends)
#        BACKENDS=sqlite bash scripts/load.sh
# Knobs: DURATION (default 20s), CONNECTIONS (32), WIDE_CONNECTIONS (200), THREADS (2),
#        SCENARIOS (default: all), PG_ADMIN_URL, METRICS (off, on, traces, both = off on,
#        all = off on traces; default off),
#        SCRAPE_INTERVAL (seconds, default 5).
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
METRICS="${METRICS:-off}"
SCRAPE_INTERVAL="${SCRAPE_INTERVAL:-5}"
case "$METRICS" in
  off | on | traces) metrics_modes="$METRICS" ;;
  both) metrics_modes="off on" ;;
  all) metrics_modes="off on traces" ;;
  *) echo "METRICS must be off, on, traces, both or all (got $METRICS)" >&2; exit 2 ;;
esac
METRICS_TOKEN_VALUE="load-test-metrics-token-0123456789-abcdef"

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
scraper_pid=""
sink_pid=""
SINK_PORT="${SINK_PORT:-18318}"
stop_scraper() {
  [ -n "$scraper_pid" ] && kill "$scraper_pid" 2>/dev/null && wait "$scraper_pid" 2>/dev/null || true
  scraper_pid=""
}
cleanup() {
  stop_scraper
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# An OTLP/HTTP sink for METRICS=traces: answers every export 200 and drops it.
start_sink() {
  [ -n "$sink_pid" ] && return 0
  python3 - "$SINK_PORT" <<'PY' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
  sink_pid=$!
}

# Serves with metrics off, on (METRICS_TOKEN set), or on with traces exported to the
# sink, and waits until it is ready.
start_server() {
  local mode="$1"
  if [ "$mode" = off ]; then unset METRICS_TOKEN; else export METRICS_TOKEN="$METRICS_TOKEN_VALUE"; fi
  if [ "$mode" = traces ]; then
    start_sink
    export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" OTEL_SERVICE_NAME=callsheet-load
  else
    unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_SERVICE_NAME
  fi
  "$bin" serve > "$work/server-$backend-metrics-$mode.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/api/v1/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "[$backend] the server did not become ready" >&2
  return 1
}

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

# A Prometheus-like scraper for the length of a scenario (metrics on only); a failed
# scrape fails the run (see `stop_scraper`'s caller), so the figures never hide a broken
# /metrics.
start_scraper() {
  ( while sleep "$SCRAPE_INTERVAL"; do
      curl -fsS -o /dev/null -H "authorization: Bearer $METRICS_TOKEN_VALUE" \
        "http://127.0.0.1:$PORT/metrics" || touch "$work/scrape-failed"
    done ) &
  scraper_pid=$!
}

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

  set -- $metrics_modes
  start_server "$1"
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
  first_pair=$(sed -n '2p' "$work/pairs.lua" | tr -d '{} ,' | tr '"' ' ')
  read -r need tech <<<"$first_pair"
  runs="$SCENARIOS"
  case " $SCENARIOS " in *" mix "*) runs="$runs mix-wide" ;; esac
  first_mode=true
  for mode in $metrics_modes; do
    $first_mode || start_server "$mode"
    first_mode=false
    # Warm-up: the first assignment compiles the tenant's rules plugin (kept on disk after).
    curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/assignments" -H "authorization: Bearer $TOKEN" \
      -H 'content-type: application/json' -d "{\"need_id\":\"$need\",\"technician_id\":\"$tech\"}"
    for scenario in $runs; do
      connections="$CONNECTIONS"; script="$scenario"
      if [ "$scenario" = mix-wide ]; then connections="$WIDE_CONNECTIONS"; script=mix; fi
      [ "$mode" != off ] && start_scraper
      SCENARIO="$scenario" LOAD_DIR="$here/load" PAIRS="$work/pairs.lua" MOVES="$work/moves.lua" YEAR="$YEAR" \
        wrk -t"$THREADS" -c"$connections" -d"$DURATION" --timeout 10s -s "$here/load/$script.lua" \
        "http://127.0.0.1:$PORT" | grep '^RESULT' \
        | sed "s/^RESULT /RESULT backend=$backend metrics=$mode /" | tee -a "$results"
      stop_scraper
      if [ -e "$work/scrape-failed" ]; then
        echo "[$backend] a /metrics scrape failed during $scenario" >&2
        exit 1
      fi
    done
    if [ "$mode" != off ]; then
      # What a scrape weighs after the run: size and time.
      curl -fsS -o /dev/null -w "[$backend] /metrics after the run: %{size_download} bytes in %{time_total} s\n" \
        -H "authorization: Bearer $METRICS_TOKEN_VALUE" "http://127.0.0.1:$PORT/metrics" >&2
    fi
    stop_server
  done
  [ "$backend" = postgres ] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db" >/dev/null
done

echo
# Each scenario's throughput as a share of the same backend's /health in this run, with
# metrics in the same state (the framework floor); "-" without a health run. With metrics
# off and on (or traces), "of metrics off" gives each scenario's throughput with metrics on
# (or traces) as a share of the same scenario's with them off.
echo "| backend | metrics | scenario | requests/s | of /health | of metrics off | P50 ms | P95 ms | P99 ms | statuses |"
echo "| --- | --- | --- | --: | --: | --: | --: | --: | --: | --- |"
awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = substr($i, length(kv[1]) + 2) } }
  f["scenario"] == "health" { floor[f["backend"] "/" f["metrics"]] = f["rps"] }
  f["metrics"] == "off" { off[f["backend"] "/" f["scenario"]] = f["rps"] }
  { b[NR] = f["backend"]; m[NR] = f["metrics"]; s[NR] = f["scenario"]; r[NR] = f["rps"];
    p50[NR] = f["p50_ms"]; p95[NR] = f["p95_ms"]; p99[NR] = f["p99_ms"]; st[NR] = f["statuses"] }
  END {
    for (n = 1; n <= NR; n++) {
      k = b[n] "/" m[n]
      share = (k in floor && floor[k] > 0) ? sprintf("%.1f %%", 100 * r[n] / floor[k]) : "-"
      o = b[n] "/" s[n]
      cost = (m[n] != "off" && o in off && off[o] > 0) ? sprintf("%.1f %%", 100 * r[n] / off[o]) : "-"
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", b[n], m[n], s[n], r[n], share, cost, p50[n], p95[n], p99[n], st[n]
    }
  }' "$results"
