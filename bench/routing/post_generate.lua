-- bench/routing/post_generate.lua - wrk script: POST a flashcards generation with the user key
-- SPDX-License-Identifier: MIT
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("LF_BENCH_KEY") or "test-user-key-0123456789")
wrk.body = '{"topic": "the water cycle", "age_group": "middle_school"}'
wrk.path = "/api/v1/generate/flashcards"
