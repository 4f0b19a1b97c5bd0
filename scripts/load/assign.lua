-- POST a manual assignment: a random (need, qualified technician) pair from the pairs file.
-- Every answer is a real outcome of the route: 201, or 409 for a technician already booked
-- or a rule the tenant's plugin enforces.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")
local pairs_list = dofile(os.getenv("PAIRS"))

request = function()
  local pair = pairs_list[math.random(1, #pairs_list)]
  local body = string.format('{"need_id":"%s","technician_id":"%s"}', pair[1], pair[2])
  return wrk.format("POST", "/api/v1/assignments", auth_headers({ ["Content-Type"] = "application/json" }), body)
end
