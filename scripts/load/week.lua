-- GET the week plan of a random ISO week of the seeded year.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")
local year = os.getenv("YEAR")

request = function()
  local week = math.random(1, 52)
  return wrk.format("GET", string.format("/api/v1/planning/week?week=%s-W%02d", year, week), auth_headers())
end
