-- bench/overhead/post_chat.lua - wrk script: POST an OpenAI chat completion request; collects X-LF-Overhead-Us
-- SPDX-License-Identifier: MIT
--   LF_KEY: bearer key; LF_BODY: request body (default: a generation request); LF_COLLECT=1: keep the
--   X-LF-Overhead-Us values and print their distribution at the end (costs some wrk CPU per response)
wrk.method = "POST"
wrk.body = os.getenv("LF_BODY") or '{"topic":"Photosynthesis in Plants","age_group":"high_school"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("LF_KEY") or "bench-user-key-123")
local collect = os.getenv("LF_COLLECT") == "1"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ov = {}; n = 0; bad = 0 end
function response(status, headers, body)
    if status ~= 200 then
        bad = bad + 1
        if bad <= 3 then io.stderr:write("non-200: " .. status .. " " .. body:sub(1, 300) .. "\n") end
    end
    if collect and n < 500000 then
        local v = headers["x-lf-overhead-us"] or headers["X-LF-Overhead-Us"]
        if v then n = n + 1; ov[n] = tonumber(v) end
    end
end
function done(summary, latency, requests)
    if not collect then return end
    local all = {}
    for _, t in ipairs(threads) do
        local o = t:get("ov")
        for _, v in ipairs(o) do all[#all + 1] = v end
    end
    table.sort(all)
    local function pct(p) if #all == 0 then return "n/a" end return all[math.max(1, math.ceil(#all * p))] end
    io.write(string.format("X-LF-Overhead-Us: n=%d min=%s p50=%s p90=%s p99=%s p99.9=%s max=%s\n", #all,
        tostring(all[1]), pct(0.5), pct(0.9), pct(0.99), pct(0.999), tostring(all[#all])))
end
