-- What a planning front end sends: mostly reads of the week plan and of mission pages,
-- the conflicts of a week, and some manual assignments (weights 45/30/15/10 per 100
-- requests), each request drawn at random.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")
local year = tonumber(os.getenv("YEAR"))
local pairs_list = dofile(os.getenv("PAIRS"))

local function week_plan()
  return wrk.format("GET", string.format("/api/v1/planning/week?week=%d-W%02d", year, math.random(1, 52)), auth_headers())
end

local function mission_page()
  local month, day = math.random(1, 12), math.random(1, 21)
  return wrk.format("GET", string.format("/api/v1/missions?from=%d-%02d-%02d&to=%d-%02d-%02d&size=50",
    year, month, day, year, month, day + 6), auth_headers())
end

local function conflicts()
  local month, day = math.random(1, 12), math.random(1, 21)
  return wrk.format("GET", string.format("/api/v1/conflicts?from=%d-%02d-%02d&to=%d-%02d-%02d",
    year, month, day, year, month, day + 6), auth_headers())
end

local function assign()
  local pair = pairs_list[math.random(1, #pairs_list)]
  local body = string.format('{"need_id":"%s","technician_id":"%s"}', pair[1], pair[2])
  return wrk.format("POST", "/api/v1/assignments", auth_headers({ ["Content-Type"] = "application/json" }), body)
end

request = function()
  local draw = math.random(1, 100)
  if draw <= 45 then return week_plan()
  elseif draw <= 75 then return mission_page()
  elseif draw <= 90 then return conflicts()
  else return assign() end
end
