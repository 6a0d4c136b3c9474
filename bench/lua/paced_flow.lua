-- One virtual SDK user per wrk thread (wrk -t N -c N), driving the flow as the vendor's SDK does: the partner
-- token fetched once and cached, then per flow Initiate Flow -> presign -> upload -> confirm -> a status poll
-- every POLL_MS until the next action is known -> Get Submission Details.
-- args: selfie file, poll interval (ms), session id prefix, first-poll jitter seed.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local CLIENT_ID = "b31fa508-331c-4e9e-9a60-b0f28c3f7e13"
local PASS_KEY = "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b"
local selfie, poll_ms, prefix, id
local step = "token"
local started = 0
local pause = 0
local partner_token, user_token, session, submission, upload_path

function init(args)
  local file = assert(io.open(args[1], "rb"))
  selfie = file:read("*a")
  file:close()
  poll_ms = tonumber(args[2] or "500")
  prefix = args[3] or "paced"
  id = wrk.thread:get("id")
  -- Users start spread over one poll interval, as real users do not all press the button at once.
  pause = (id * 37) % math.max(poll_ms, 1)
end

function delay()
  local wait = pause
  pause = 0
  return wait
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
    pause = poll_ms
    return "status"
  elseif step == "status" then
    count("polls")
    if body:find('"nextAction":"STATUS"', 1, true) then
      pause = poll_ms
      return "status"
    end
    if not body:find('"nextAction":"EXIT"', 1, true) then return nil end
    return "details"
  end
  if not body:find('"result":"VALID"', 1, true) then return nil end
  count("flows")
  return "initiate"
end

function response(status, headers, body)
  local following = nil
  if status == 200 then following = advance(body) end
  if following == nil then
    count("bad")
    -- Start over with a fresh partner token, after one poll interval (as an SDK backs off).
    pause = poll_ms
    following = "token"
  end
  step = following
end
