-- GET a page of the mission list for a random week of the seeded year.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")
local year = tonumber(os.getenv("YEAR"))

request = function()
  local month = math.random(1, 12)
  local day = math.random(1, 21)
  local path = string.format("/api/v1/missions?from=%d-%02d-%02d&to=%d-%02d-%02d&size=50", year, month, day, year, month, day + 6)
  return wrk.format("GET", path, auth_headers())
end
