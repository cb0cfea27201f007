-- bench/pipeline/post.lua - wrk script: POST a generation request (path given on the wrk command line)
-- SPDX-License-Identifier: MIT
wrk.method = "POST"
wrk.body = '{"topic":"Photosynthesis in Plants","age_group":"high_school"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("LF_KEY") or "bench-user-key-123")
local bad = 0
response = function(status, headers, body)
    if status ~= 200 then
        bad = bad + 1
        if bad <= 3 then io.stderr:write("non-200: " .. status .. " " .. body:sub(1, 200) .. "\n") end
    end
end
