-- Status polls rotating over pre-created IN_PROGRESS submissions (one tab-separated line each:
-- submissionId, user token, partner session id). args: sessions file.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local requests = {}
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    local submission, token, session = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
    table.insert(requests, wrk.format("GET", "/coe/v1/submissions/" .. submission .. "/status", {
      ["x-onekyc-token"] = token,
      ["x-partner-session-id"] = session,
      ["x-sdk-session-id"] = "bench-sdk",
    }))
  end
  index = (wrk.thread:get("id") * 7919) % #requests
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"status":"IN_PROGRESS"', 1, true) then count("bad") end
end
