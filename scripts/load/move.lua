-- PATCH a random mission of the seeded year to its seeded window or an hour later (both
-- payloads precomputed in the moves file). A mission with crew is re-checked against each
-- crew member's rules (ADR 0004): 200, or 409 when a rule or a booking refuses the move.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")
local moves = dofile(os.getenv("MOVES"))

request = function()
  local move = moves[math.random(1, #moves)]
  local body = move[math.random(2, 3)]
  return wrk.format("PATCH", "/api/v1/missions/" .. move[1], auth_headers({ ["Content-Type"] = "application/json" }), body)
end
