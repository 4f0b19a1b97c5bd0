-- GET /health: the framework floor (routing, middleware, JSON) the other scenarios are
-- compared with, in the same run on the same machine.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")

request = function()
  return wrk.format("GET", "/api/v1/health")
end
