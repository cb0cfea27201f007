#!/usr/bin/env python3
# bench/overhead/make_nginx_conf.py - nginx config answering a fixed OpenAI chat completion (valid content JSON)
# SPDX-License-Identifier: MIT
"""make_nginx_conf.py DIR PORT TYPE [DELAY_MS]: writes DIR/nginx.conf. POST /v1/chat/completions gets a fixed
chat completion whose message content is a valid object of content type TYPE (built by the fake upstreams'
content_for), with usage, so the gateway's openai provider accepts it as a successful generation."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fakes"))
from fake_upstreams import content_for  # noqa: E402

d, port, ctype = sys.argv[1], int(sys.argv[2]), sys.argv[3]
content = json.dumps(content_for(ctype, "Photosynthesis in Plants"))
body = json.dumps({"id": "chatcmpl-bench", "object": "chat.completion", "created": 1764374400,
                   "model": "gpt-4o-mini", "system_fingerprint": "fp_bench",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                "logprobs": None, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 812, "completion_tokens": 420, "total_tokens": 1232}})
assert "$" not in body
quoted = body.replace("\\", "\\\\").replace("'", "\\'")
with open(os.path.join(d, "body.json"), "w") as f:
    f.write(body)
with open(os.path.join(d, "nginx.conf"), "w") as f:
    f.write(f"""worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path {d}/body;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /v1/chat/completions {{
            default_type application/json;
            return 200 '{quoted}';
        }}
    }}
}}
""")
