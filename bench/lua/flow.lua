-- Full flows, one connection per thread (wrk -t N -c N): partner token -> Initiate Flow -> presign ->
-- upload -> confirm -> status polls until the verdict -> Get Submission Details, then the next flow.
-- args: selfie file, flows quota per thread (0: no quota), session id prefix.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local CLIENT_ID = "b31fa508-331c-4e9e-9a60-b0f28c3f7e13"
local PASS_KEY = "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b"
local selfie, quota, prefix, id
local step = "token"
local started = 0
local partner_token, user_token, session, submission, upload_path

function init(args)
  local file = assert(io.open(args[1], "rb"))
  selfie = file:read("*a")
  file:close()
  quota = tonumber(args[2] or "0")
  prefix = args[3] or "bench"
  id = wrk.thread:get("id")
end

local function sdk_headers()
  return {["x-onekyc-token"] = user_token, ["x-partner-session-id"] = session, ["x-sdk-session-id"] = "bench-sdk"}
end

function request()
  if step == "token" then
    return wrk.format("GET", "/v1/esign/partner/authentication", {["client-id"] = CLIENT_ID, ["pass-key"] = PASS_KEY})
  elseif step == "initiate" then
    started = started + 1
    session = string.format("%s-%d-%d", prefix, id, started)
    return wrk.format("POST", "/coe-partner/v1/initiate-flow", {
      ["x-onekyc-token"] = partner_token,
      ["x-onboarding-partner"] = "CLIENT_X-SDK-STANDALONE_LIVENESS",
      ["x-partner-user-id"] = "bench-user",
      ["x-partner-user-id-type"] = "CLIENT_X_USER_ID",
      ["x-partner-session-id"] = session,
      ["content-type"] = "application/json",
    }, '{"flow":"STANDALONE_LIVENESS","source":"SDK"}')
  elseif step == "presign" then
    return wrk.format("GET", "/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS", sdk_headers())
  elseif step == "upload" then
    return wrk.format("PUT", upload_path, {["content-type"] = "image/jpeg"}, selfie)
  elseif step == "confirm" then
    local headers = sdk_headers()
    headers["content-type"] = "application/json"
    return wrk.format("PUT", "/coe/v1/submissions/urls", headers, '{"submissionId":"' .. submission .. '"}')
  elseif step == "status" then
    return wrk.format("GET", "/coe/v1/submissions/" .. submission .. "/status", sdk_headers())
  end
  return wrk.format("GET", "/coe/v1/submissions", {["x-onekyc-token"] = partner_token, ["x-partner-session-id"] = session})
end

local function advance(body)
  if step == "token" then
    partner_token = body:match('"token":"([^"]+)"')
    return "initiate"
  elseif step == "initiate" then
    user_token = body:match('"token":"([^"]+)"')
    return "presign"
  elseif step == "presign" then
    submission = body:match('"submissionId":"([^"]+)"')
    upload_path = body:match('"SELFIE":{"documentUrl":"https?://[^/"]+(/[^"]+)"')
    return "upload"
  elseif step == "upload" then
    return "confirm"
  elseif step == "confirm" then
    return "status"
  elseif step == "status" then
    count("polls")
    if body:find('"status":"IN_PROGRESS"', 1, true) then return "status" end
    if not body:find('"nextAction":"EXIT"', 1, true) then return nil end
    return "details"
  end
  if not body:find('"result":"VALID"', 1, true) then return nil end
  count("flows")
  if quota > 0 and counters.flows >= quota then wrk.thread:stop() end
  return "token"
end

function response(status, headers, body)
  local following = nil
  if status == 200 then following = advance(body) end
  if following == nil then
    count("bad")
    following = "token"
  end
  step = following
end
