-- Shared by the load scenarios: the bearer token, per-status counts across wrk's threads,
-- and a summary line with P50/P95/P99 in milliseconds.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function auth_headers(extra)
  local h = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do table.insert(parts, status .. "=" .. n) end
  table.sort(parts)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT scenario=%s requests=%d rps=%.0f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d statuses=%s\n",
    os.getenv("SCENARIO") or "?", summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
