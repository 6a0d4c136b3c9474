-- The floor: a bare Starlette JSON endpoint, same load shape as the status poll.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local req

function init(args)
  req = wrk.format("GET", "/floor", {["x-onekyc-token"] = string.rep("t", 400)})
end

function request()
  return req
end

function response(status, headers, body)
  if status ~= 200 then count("bad") end
end
