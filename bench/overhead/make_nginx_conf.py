#!/usr/bin/env python3
# bench/overhead/make_nginx_conf.py - nginx config answering a fixed OpenAI chat completion (valid content JSON)
# SPDX-License-Identifier: MIT
"""make_nginx_conf.py DIR PORT TYPE [DELAY_MS [h2]]: writes DIR/nginx.conf. POST /v1/chat/completions gets a
fixed chat completion whose message content is a valid object of content type TYPE (built by the fake upstreams'
content_for), with usage, so the gateway's openai provider accepts it as a successful generation. DELAY_MS > 0
answers after that delay (the echo module's echo_sleep, shipped with Debian's nginx-light); "h2" serves HTTPS with
HTTP/2 (ALPN) instead of cleartext HTTP/1.1, with a fresh self-signed certificate for 127.0.0.1 in DIR/cert.pem
(give it to the gateway as the provider's tls_ca_file)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fakes"))
from fake_upstreams import content_for  # noqa: E402

d, port, ctype = sys.argv[1], int(sys.argv[2]), sys.argv[3]
delay_ms = int(sys.argv[4]) if len(sys.argv) > 4 else 0
h2 = len(sys.argv) > 5 and sys.argv[5] == "h2"
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
if delay_ms > 0:
    answer = f"echo_sleep {delay_ms / 1000:.3f};\n            echo -n '{quoted}';"
    head = "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;\n"
else:
    answer, head = f"return 200 '{quoted}';", ""
listen = f"127.0.0.1:{port} backlog=4096"
if h2:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", os.path.join(d, "key.pem"), "-out", os.path.join(d, "cert.pem"), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    listen += f" ssl http2;\n        ssl_certificate {d}/cert.pem;\n        ssl_certificate_key {d}/key.pem"
with open(os.path.join(d, "nginx.conf"), "w") as f:
    f.write(f"""{head}worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    http2_max_concurrent_streams 1000;
    client_body_temp_path {d}/body;
    server {{
        listen {listen};
        location = /v1/chat/completions {{
            default_type application/json;
            {answer}
        }}
    }}
}}
""")
