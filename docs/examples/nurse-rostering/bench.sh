#!/usr/bin/env bash
# The nurse-rostering benchmark (docs/benchmarks-engine.md, "Nurse rostering"): for each
# Curtois & Qu instance, convert it, plan it with the default assigner scored on this
# plugin (`callsheet plugin run --slot assigner`), and recompute the plan's hard violations
# and objective with the independent checker. Prints one Markdown row per instance.
#
# Environment:
#   NRP_DATA             folder of InstanceN.txt files (default: this example's data/, 1-3)
#   NRP_INSTANCES        which ones, e.g. "1 2 3 4" (default: every InstanceN.txt there)
#   NRP_FUEL             --fuel for both plugins (default: the runtime's, 20,000,000,000)
#   NRP_ASSIGNER_PARAMS  a JSON parameter list for the assigner (default: its defaults)
#   NRP_TIMEOUT_MS       --timeout-ms, the wall-clock limit per call (default: the runtime's, 60 s)
#   NRP_SEED             the problem's seed (default 1)
#   CALLSHEET_BIN        the callsheet binary (default: built here, dev profile; its
#                        dependencies, wasmtime among them, are optimised in that profile)
#   CARGO_TARGET_DIR     where cargo builds (default: cargo's)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
data="${NRP_DATA:-$here/data}"
target="${CARGO_TARGET_DIR:-$here/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --quiet --manifest-path "$here/Cargo.toml" --locked --release --target wasm32-wasip2
cargo build --quiet --manifest-path "$here/Cargo.toml" --locked --release -p nrp-convert
plugin="$target/wasm32-wasip2/release/nurse_rostering.wasm"
tools="$target/release"
if [[ -z "${CALLSHEET_BIN:-}" ]]; then
  cargo build --quiet --manifest-path "$root/Cargo.toml" --locked -p callsheet
  CALLSHEET_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/callsheet"
fi

# Best known objective values (data/README.md, schedulingbenchmarks.org).
best=(0 607 828 1001 1716 1143 1950 1056 1300 439 4631 3443 4040 1348 1278 3831 3225 5746
  4459 3149 4769 21133 30244 17428 42463)

if [[ -n "${NRP_INSTANCES:-}" ]]; then
  instances=($NRP_INSTANCES)
else
  instances=($(ls "$data" | sed -n 's/^Instance\([0-9]*\)\.txt$/\1/p' | sort -n))
fi

extra=()
[[ -n "${NRP_FUEL:-}" ]] && extra+=(--fuel "$NRP_FUEL")
[[ -n "${NRP_ASSIGNER_PARAMS:-}" ]] && extra+=(--params "$NRP_ASSIGNER_PARAMS")
[[ -n "${NRP_TIMEOUT_MS:-}" ]] && extra+=(--timeout-ms "$NRP_TIMEOUT_MS")

echo "| instance | objective | hard (checker) | hard by rule | plugin score (hard, soft) | best known | gap | time | fuel (assigner + rules) |"
echo "| --: | --: | --: | --- | --: | --: | --: | --: | --: |"
for n in "${instances[@]}"; do
  file="$data/Instance$n.txt"
  "$tools/nrp-convert" "$file" "$work/p.json" "$work/r.json" --seed "${NRP_SEED:-1}"
  start=$(date +%s.%N)
  if ! "$CALLSHEET_BIN" plugin run --slot assigner "$root/plugins/dist/assigner.wasm" \
      --rules "$plugin" --rules-params "$work/r.json" --problem "$work/p.json" \
      "${extra[@]}" > "$work/run.json" 2> "$work/err.txt"; then
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    printf '| %s | failed: %s | | | | %s | | %.1f s | |\n' "$n" \
      "$(tail -1 "$work/err.txt" | cut -c1-80)" "${best[$n]}" "$seconds"
    continue
  fi
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  "$tools/nrp-check" "$file" "$work/run.json" > "$work/check.json"
  python3 - "$work/check.json" "$n" "${best[$n]}" "$seconds" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
n, best, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
rules = ", ".join(f"{k} {v}" for k, v in c["hard_by_rule"].items()) or "-"
gap = f"{100 * (c['objective'] - best) / best:.1f} %" if c["hard"] == 0 else "(infeasible)"
fuel = (c["fuel_used"] + c["rules_fuel_used"]) / 1e9
p = c["plugin_score"]
print(f"| {n} | {c['objective']} | {c['hard']} | {rules} | ({p['hard']}, {p['soft']}) | {best} | {gap} | {seconds:.1f} s | {fuel:.1f} G |")
EOF
done
