-- The soak: status polls where every connection waits args[2] ms between its requests (1 Hz each).
dofile(os.getenv("BENCH_LUA_DIR") .. "/status.lua")

local status_init = init
local pause = 1000

function init(args)
  status_init(args)
  pause = tonumber(args[2] or "1000")
end

function delay()
  return pause
end
