#!/usr/bin/env python3
# tests/fakes/fake_upstreams.py - fake OpenAI, Anthropic and Gemini upstreams in their real wire formats
# SPDX-License-Identifier: MIT
"""One process serving three providers for the tests (python3 stdlib only).

  python3 fake_upstreams.py [PORT] [--openai-key K] [--anthropic-key K] [--gemini-key K]

Prints "READY <port>" once listening (PORT 0 or absent: an ephemeral port).

OpenAI     POST /v1/chat/completions, GET /v1/models           Authorization: Bearer <key>
Anthropic  POST /v1/messages, GET /v1/models (with x-api-key)  x-api-key + anthropic-version (+ max_tokens)
Gemini     POST /v1beta/models/{m}:generateContent             x-goog-api-key
           POST /v1beta/models/{m}:streamGenerateContent?alt=sse, GET /v1beta/models

Wrong or missing keys get 401 in the provider's own error shape (Gemini: 400 API_KEY_INVALID / 403 like
the real API). Generation prompts are answered with a valid object of the content type named by a line
"Content type: <id>" in the prompt, else OpenAI's json_schema name, any known type id in the text, the
title of the JSON Schema embedded in the prompt, or the distinctive field names the prompt templates list
(e.g. "executive_summary"); anything else gets a plain chat reply. The topic is the line after "The topic
(user-supplied data, not instructions):" or after "Topic:".

Test control:
  POST /_control {"provider": "openai|anthropic|gemini|*", "fault": F, "count": N (default 1, -1 = until
                  reset), "retry_after": seconds, "ms": milliseconds}
     F: none, 500, 503, 529 (anthropic overloaded; others 503), 429, 401, 400, malformed (broken JSON body),
        malformed_content (message text that is not JSON), schema_invalid (JSON object not of the type),
        drop (close without an answer), drop_mid_stream, stream_error, slow (delay ms before answering and
        between stream chunks), no_usage, refusal (refusal / SAFETY)
  POST /_reset   clears faults and statistics
  GET  /_stats   {"requests": {"openai": n, ...}, "last": {"openai": {"path", "headers", "body"}, ...}}
"""
import json
import re
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEYS = {"openai": "test-openai-key", "anthropic": "test-anthropic-key", "gemini": "test-gemini-key"}
PROVIDERS = ("openai", "anthropic", "gemini")
TYPES = ("master_content_outline", "podcast_script", "study_guide", "one_pager_summary",
         "detailed_reading_material", "faq_collection", "flashcards", "reading_guide_questions")

SCHEMA_TITLES = {"Master Content Outline": "master_content_outline", "Podcast Script": "podcast_script",
                 "Study Guide": "study_guide", "One-Pager Summary": "one_pager_summary",
                 "Detailed Reading Material": "detailed_reading_material", "FAQ Collection": "faq_collection",
                 "Flashcards": "flashcards", "Reading Guide Questions": "reading_guide_questions"}
SIGNATURES = (("master_content_outline", ("section_number",)), ("one_pager_summary", ("executive_summary",)),
              ("study_guide", ("key_concepts", "assessment_questions")), ("podcast_script", ("speaker_notes",)),
              ("flashcards", ("definition",)), ("reading_guide_questions", ("hint",)),
              ("faq_collection", ("answer",)), ("detailed_reading_material", ("references",)))

LOCK = threading.Lock()
FAULTS = {}  # provider -> {"fault", "count", "retry_after", "ms"}
STATS = {"requests": {p: 0 for p in PROVIDERS}, "last": {}}


def take_fault(provider):
    """The fault to apply to this request (consumes one count)."""
    with LOCK:
        f = FAULTS.get(provider) or FAULTS.get("*")
        if not f or f["fault"] == "none":
            return None
        if f["count"] > 0:
            f["count"] -= 1
            if f["count"] == 0:
                for k in [k for k, v in FAULTS.items() if v is f]:
                    del FAULTS[k]
        return dict(f)


# ---- content -------------------------------------------------------------------------------------------

def sentences(topic, what, n=2):
    base = [f"{what} of {topic} is explained step by step with simple examples.",
            f"Learners connect {topic} to things they already know.",
            f"Each idea about {topic} builds on the one before it.",
            f"A short review at the end helps everyone remember {topic}."]
    return " ".join(base[:n])


def content_for(ctype, topic):
    t = topic
    if ctype == "master_content_outline":
        return {"title": f"Course outline: {t}", "overview": sentences(t, "The big picture", 3),
                "learning_objectives": [f"Explain the main idea of {t}", f"Describe how {t} works",
                                        f"Apply {t} to a new example"],
                "sections": [{"section_number": i + 1, "title": f"Part {i + 1} of {t}",
                              "description": sentences(t, f"Part {i + 1}"), "estimated_duration_minutes": 15,
                              "key_points": [f"Key point {i + 1}.1 about {t}", f"Key point {i + 1}.2 about {t}"]}
                             for i in range(3)],
                "estimated_total_duration_minutes": 45, "target_audience": "learners",
                "difficulty_level": "intermediate"}
    if ctype == "podcast_script":
        return {"title": f"Podcast: {t}", "introduction": f"Welcome! Today we talk about {t}.",
                "segments": [{"speaker": "Host", "text": sentences(t, "The first question")},
                             {"speaker": "Guest", "text": sentences(t, "The answer")}],
                "conclusion": f"Thanks for listening to our episode about {t}.",
                "speaker_notes": ["Speak slowly."], "estimated_duration_minutes": 10}
    if ctype == "study_guide":
        return {"title": f"Study guide: {t}",
                "learning_objectives": [f"Define {t}", f"Explain {t}", f"Use {t}"],
                "overview": sentences(t, "The overview", 3),
                "key_concepts": [{"term": f"Concept {i + 1}", "explanation": sentences(t, f"Concept {i + 1}", 1)}
                                 for i in range(5)],
                "detailed_content": sentences(t, "The detail", 4),
                "practice_exercises": [f"Exercise {i + 1}: describe one example of {t}." for i in range(3)],
                "assessment_questions": [{"question": f"What is fact {i + 1} about {t}?",
                                          "answer": f"Fact {i + 1} is one clear idea about {t}."} for i in range(5)],
                "summary": sentences(t, "The summary")}
    if ctype == "one_pager_summary":
        return {"title": f"Summary: {t}", "executive_summary": sentences(t, "The essence"),
                "key_takeaways": [f"Takeaway {i + 1} about {t}." for i in range(3)],
                "main_content": sentences(t, "The main content", 4)}
    if ctype == "detailed_reading_material":
        return {"title": f"Reading: {t}", "introduction": sentences(t, "The introduction"),
                "sections": [{"title": f"Section {i + 1}", "content": sentences(t, f"Section {i + 1}", 3)}
                             for i in range(3)],
                "conclusion": sentences(t, "The conclusion"), "references": []}
    if ctype == "faq_collection":
        return {"title": f"FAQ: {t}",
                "items": [{"question": f"What is question {i + 1} about {t}?",
                           "answer": sentences(t, f"Answer {i + 1}"), "category": "basics"} for i in range(5)]}
    if ctype == "flashcards":
        return {"title": f"Flashcards: {t}",
                "items": [{"term": f"Term {i + 1}", "definition": f"Definition {i + 1} related to {t}.",
                           "difficulty": "easy"} for i in range(10)]}
    if ctype == "reading_guide_questions":
        return {"title": f"Reading guide: {t}",
                "questions": [{"question": f"How does part {i + 1} of {t} work?", "type": "comprehension",
                               "hint": "Look at the examples."} for i in range(5)]}
    return None


def find_type(text, schema_name=None):
    m = re.search(r"content type:\s*([a-z_]+)", text, re.I)
    if m and m.group(1).lower() in TYPES:
        return m.group(1).lower()
    if schema_name in TYPES:
        return schema_name
    for t in TYPES:
        if t in text:
            return t
    # the prompt embeds the type's JSON Schema, whose title is the type's name
    m = re.search(r'"title"\s*:\s*"([A-Za-z -]+)"', text)
    if m and m.group(1) in SCHEMA_TITLES:
        return SCHEMA_TITLES[m.group(1)]
    # the prompt templates list the fields to write: recognise the type by its distinctive field names
    for t, keys in SIGNATURES:
        if any(k in text for k in keys):
            return t
    return None


def find_topic(text):
    m = re.search(r"<<<USER_TOPIC \([^)\n]*\)\s*\n(.+)", text) or re.search(r"not instructions\):?\s*\n(.+)", text)
    if m:
        return m.group(1).strip()[:200]
    m = re.search(r"topic:\s*(.+)", text, re.I)
    return m.group(1).strip()[:200] if m else "the topic"


def answer_text(all_text, last_user, fault, schema_name=None):
    """The generated message text for a request (JSON for a content type, else a chat reply)."""
    if fault and fault["fault"] == "malformed_content":
        return "Sure! Here is your content: {title: oops"
    if fault and fault["fault"] == "schema_invalid":
        return json.dumps({"unexpected": "not the content type's shape", "items": 42})
    ctype = find_type(all_text, schema_name)
    if ctype:
        return json.dumps(content_for(ctype, find_topic(all_text)))
    return "Hello from the fake upstream. You said: " + last_user[:80]


def ntok(s):
    return max(1, len(s) // 4)


# ---- HTTP ----------------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-upstreams/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):  # the client went away (cancel, timeout): fine
            self.close_connection = True

    # helpers
    def send_json(self, status, obj, headers=None):
        body = obj if isinstance(obj, (bytes, bytearray)) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        b = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            return raw, json.loads(raw) if raw else {}
        except ValueError:
            return raw, None

    def record(self, provider, raw):
        with LOCK:
            STATS["requests"][provider] += 1
            STATS["last"][provider] = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                       "body": raw.decode("utf-8", "replace")}

    # dispatch
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/_stats":
            with LOCK:
                return self.send_json(200, STATS)
        if path == "/v1/models" and self.headers.get("x-api-key") is not None:
            return self.anthropic_models()
        if path == "/v1/models":
            return self.openai_models()
        if path == "/v1beta/models":
            return self.gemini_models()
        self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        path = self.path.split("?")[0]
        raw, body = self.read_body()
        if path == "/_control":
            return self.control(body or {})
        if path == "/_reset":
            with LOCK:
                FAULTS.clear()
                STATS["requests"] = {p: 0 for p in PROVIDERS}
                STATS["last"] = {}
            return self.send_json(200, {"ok": True})
        if path == "/v1/chat/completions":
            self.record("openai", raw)
            return self.openai(body)
        if path == "/v1/messages":
            self.record("anthropic", raw)
            return self.anthropic(body)
        m = re.match(r"^/v1beta/models/([^/:]+):(generateContent|streamGenerateContent)$", path)
        if m:
            self.record("gemini", raw)
            return self.gemini(body, m.group(1), m.group(2) == "streamGenerateContent")
        self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def control(self, body):
        prov = body.get("provider", "*")
        fault = str(body.get("fault", "none"))
        with LOCK:
            if fault == "none":
                FAULTS.pop(prov, None)
            else:
                FAULTS[prov] = {"fault": fault, "count": int(body.get("count", 1)),
                                "retry_after": body.get("retry_after", 1), "ms": int(body.get("ms", 1000))}
        self.send_json(200, {"ok": True, "provider": prov, "fault": fault})

    # common fault handling; returns True when the request was fully answered here
    def common_fault(self, provider, fault, stream):
        if fault is None:
            return False
        f = fault["fault"]
        if f == "slow":
            time.sleep(fault["ms"] / 1000.0)
            return False
        if f == "drop":
            self.drop()
            return True
        if f == "malformed":
            self.send_json(200, b'{"id": "x", "choices": [ {"message": ')
            return True
        status = {"500": 500, "503": 503, "529": 529, "429": 429, "401": 401, "400": 400}.get(f)
        if status is None:
            return False
        if status == 529 and provider != "anthropic":
            status = 503
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(fault["retry_after"])
        self.send_json(status, error_body(provider, status), headers)
        return True

    # ---- OpenAI ----
    def openai_auth(self):
        if self.headers.get("Authorization") != "Bearer " + KEYS["openai"]:
            self.send_json(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                           "param": None, "code": "invalid_api_key"}})
            return False
        return True

    def openai_models(self):
        if not self.openai_auth():
            return
        self.send_json(200, {"object": "list", "data": [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in
            ("gpt-4o-mini", "gpt-4o")]})

    def openai(self, body):
        if not self.openai_auth():
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
            return self.send_json(400, {"error": {"message": "'messages' and 'model' are required",
                                                  "type": "invalid_request_error", "param": None, "code": None}})
        stream = bool(body.get("stream"))
        fault = take_fault("openai")
        if self.common_fault("openai", fault, stream):
            return
        texts = [m.get("content") if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
                 for m in body["messages"]]
        all_text = "\n".join(t or "" for t in texts)
        last_user = next((t for m, t in zip(reversed(body["messages"]), reversed(texts))
                          if m.get("role") == "user"), "") or ""
        schema_name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        text = answer_text(all_text, last_user, fault, schema_name)
        model = body["model"]
        usage = {"prompt_tokens": ntok(all_text), "completion_tokens": ntok(text),
                 "total_tokens": ntok(all_text) + ntok(text)}
        refusal = fault and fault["fault"] == "refusal"
        no_usage = fault and fault["fault"] == "no_usage"
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        if not stream:
            msg = {"role": "assistant", "content": None if refusal else text,
                   "refusal": "I'm sorry, I can't help with that." if refusal else None}
            out = {"id": cid, "object": "chat.completion", "created": int(time.time()), "model": model,
                   "choices": [{"index": 0, "message": msg, "logprobs": None, "finish_reason": "stop"}],
                   "system_fingerprint": "fp_fake"}
            if not no_usage:
                out["usage"] = usage
            return self.send_json(200, out)
        self.start_stream()
        delay = fault["ms"] / 1000.0 if fault and fault["fault"] == "slow" else 0

        def ev(obj):
            self.chunk("data: " + json.dumps(obj) + "\n\n")

        def chunk_obj(delta, finish=None):
            return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                    "system_fingerprint": "fp_fake", "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                                  "finish_reason": finish}]}
        ev(chunk_obj({"role": "assistant", "content": "", "refusal": None}))
        pieces = [text[i:i + 24] for i in range(0, len(text), 24)] if not refusal else []
        for i, p in enumerate(pieces):
            if delay:
                time.sleep(delay)
            if fault and fault["fault"] == "drop_mid_stream" and i == 2:
                return self.drop()
            if fault and fault["fault"] == "stream_error" and i == 2:
                ev({"error": {"message": "The server had an error while processing your request.",
                              "type": "server_error", "param": None, "code": None}})
                return self.end_stream()
            ev(chunk_obj({"content": p}))
        if refusal:
            ev(chunk_obj({"refusal": "I'm sorry, I can't help with that."}))
        ev(chunk_obj({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage") and not no_usage:
            ev({"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "system_fingerprint": "fp_fake", "choices": [], "usage": usage})
        self.chunk("data: [DONE]\n\n")
        self.end_stream()

    # ---- Anthropic ----
    def anthropic_auth(self):
        if self.headers.get("x-api-key") != KEYS["anthropic"]:
            self.send_json(401, {"type": "error", "error": {"type": "authentication_error",
                                                            "message": "invalid x-api-key"}})
            return False
        if not self.headers.get("anthropic-version"):
            self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                            "message": "anthropic-version: header is required"}})
            return False
        return True

    def anthropic_models(self):
        if not self.anthropic_auth():
            return
        self.send_json(200, {"data": [{"type": "model", "id": "claude-3-5-haiku-20241022",
                                       "display_name": "Claude Haiku 3.5", "created_at": "2024-10-22T00:00:00Z"}],
                             "has_more": False, "first_id": "claude-3-5-haiku-20241022",
                             "last_id": "claude-3-5-haiku-20241022"})

    def anthropic(self, body):
        if not self.anthropic_auth():
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
            return self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                                   "message": "messages: field required"}})
        if not isinstance(body.get("max_tokens"), int):
            return self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                                   "message": "max_tokens: field required"}})
        roles = [m.get("role") for m in body["messages"]]
        if any(r not in ("user", "assistant") for r in roles) or roles[:1] != ["user"]:
            return self.send_json(400, {"type": "error", "error": {
                "type": "invalid_request_error", "message": "messages: roles must alternate, starting with user"}})
        stream = bool(body.get("stream"))
        fault = take_fault("anthropic")
        if self.common_fault("anthropic", fault, stream):
            return
        system = body.get("system") or ""
        if isinstance(system, list):
            system = "\n".join(b.get("text", "") for b in system)
        texts = [m["content"] if isinstance(m["content"], str) else
                 "\n".join(b.get("text", "") for b in m["content"]) for m in body["messages"]]
        all_text = system + "\n" + "\n".join(texts)
        last_user = next((t for m, t in zip(reversed(body["messages"]), reversed(texts))
                          if m["role"] == "user"), "")
        text = answer_text(all_text, last_user, fault)
        refusal = fault and fault["fault"] == "refusal"
        if refusal:
            text = ""
        stop_reason = "refusal" if refusal else "end_turn"
        model = body["model"]
        mid = "msg_" + uuid.uuid4().hex[:24]
        in_tok, out_tok = ntok(all_text), ntok(text)
        no_usage = fault and fault["fault"] == "no_usage"
        if not stream:
            out = {"id": mid, "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": text}] if text else [],
                   "stop_reason": stop_reason, "stop_sequence": None}
            if not no_usage:
                out["usage"] = {"input_tokens": in_tok, "output_tokens": out_tok,
                                "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
            return self.send_json(200, out)
        self.start_stream()
        delay = fault["ms"] / 1000.0 if fault and fault["fault"] == "slow" else 0

        def ev(name, obj):
            self.chunk(f"event: {name}\ndata: {json.dumps(obj)}\n\n")
        ev("message_start", {"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": in_tok, "output_tokens": 1}}})
        ev("content_block_start", {"type": "content_block_start", "index": 0,
                                   "content_block": {"type": "text", "text": ""}})
        ev("ping", {"type": "ping"})
        for i, p in enumerate(text[i:i + 24] for i in range(0, len(text), 24)):
            if delay:
                time.sleep(delay)
            if fault and fault["fault"] == "drop_mid_stream" and i == 2:
                return self.drop()
            if fault and fault["fault"] == "stream_error" and i == 2:
                ev("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
                return self.end_stream()
            ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                       "delta": {"type": "text_delta", "text": p}})
        ev("content_block_stop", {"type": "content_block_stop", "index": 0})
        ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                             "usage": {"output_tokens": out_tok}})
        ev("message_stop", {"type": "message_stop"})
        self.end_stream()

    # ---- Gemini ----
    def gemini_auth(self):
        key = self.headers.get("x-goog-api-key")
        if key is None:
            self.send_json(403, {"error": {"code": 403, "message": "Method doesn't allow unregistered callers "
                                           "(callers without established identity). Please use API Key or other "
                                           "form of API consumer identity to call this API.",
                                           "status": "PERMISSION_DENIED"}})
            return False
        if key != KEYS["gemini"]:
            self.send_json(400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                                           "status": "INVALID_ARGUMENT", "details": [
                                               {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                                "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}})
            return False
        return True

    def gemini_models(self):
        if not self.gemini_auth():
            return
        self.send_json(200, {"models": [{"name": "models/gemini-2.0-flash", "displayName": "Gemini 2.0 Flash"}]})

    def gemini(self, body, model, stream):
        if not self.gemini_auth():
            return
        if not isinstance(body, dict) or not isinstance(body.get("contents"), list) or not body["contents"]:
            return self.send_json(400, {"error": {"code": 400, "message": "* GenerateContentRequest.contents: "
                                                  "contents is not specified", "status": "INVALID_ARGUMENT"}})
        fault = take_fault("gemini")
        if fault and fault["fault"] == "429":
            return self.send_json(429, {"error": {"code": 429, "message": "Resource has been exhausted.",
                                                  "status": "RESOURCE_EXHAUSTED", "details": [
                                                      {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                                       "retryDelay": "%ss" % fault["retry_after"]}]}})
        if self.common_fault("gemini", fault, stream):
            return
        sys_parts = (body.get("systemInstruction") or {}).get("parts") or []
        texts = [p.get("text", "") for c in body["contents"] for p in c.get("parts", [])]
        all_text = "\n".join(p.get("text", "") for p in sys_parts) + "\n" + "\n".join(texts)
        last_user = next((p.get("text", "") for c in reversed(body["contents"]) if c.get("role") != "model"
                          for p in c.get("parts", [])), "")
        text = answer_text(all_text, last_user, fault)
        refusal = fault and fault["fault"] == "refusal"
        no_usage = fault and fault["fault"] == "no_usage"
        p_tok, c_tok = ntok(all_text), ntok(text)
        usage = {"promptTokenCount": p_tok, "candidatesTokenCount": c_tok, "totalTokenCount": p_tok + c_tok}

        def response(part_text, finish, usage_md):
            cand = {"content": {"parts": [{"text": part_text}], "role": "model"}, "index": 0}
            if finish:
                cand["finishReason"] = finish
            if refusal and finish:
                cand = {"finishReason": "SAFETY", "index": 0, "safetyRatings": [
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]}
            out = {"candidates": [cand], "modelVersion": model}
            if usage_md and not no_usage:
                out["usageMetadata"] = usage_md
            return out
        if not stream:
            return self.send_json(200, response(text, "STOP", usage))
        self.start_stream()
        delay = fault["ms"] / 1000.0 if fault and fault["fault"] == "slow" else 0
        pieces = [text[i:i + 24] for i in range(0, len(text), 24)] or [""]
        for i, p in enumerate(pieces):
            if delay:
                time.sleep(delay)
            if fault and fault["fault"] == "drop_mid_stream" and i == 2:
                return self.drop()
            if fault and fault["fault"] == "stream_error" and i == 2:
                self.chunk("data: " + json.dumps({"error": {"code": 503, "message": "The model is overloaded.",
                                                            "status": "UNAVAILABLE"}}) + "\r\n\r\n")
                return self.end_stream()
            last = i == len(pieces) - 1
            self.chunk("data: " + json.dumps(response(p, "STOP" if last else None,
                                                      usage if last else {"promptTokenCount": p_tok}))
                       + "\r\n\r\n")
        self.end_stream()


def error_body(provider, status):
    if provider == "openai":
        kinds = {429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
                 401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
                 400: ("Invalid request.", "invalid_request_error", None)}
        msg, typ, code = kinds.get(status, ("The server had an error while processing your request.",
                                            "server_error", None))
        return {"error": {"message": msg, "type": typ, "param": None, "code": code}}
    if provider == "anthropic":
        typ = {429: "rate_limit_error", 401: "authentication_error", 400: "invalid_request_error",
               529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": typ, "message": typ.replace("_", " ")}}
    st = {429: "RESOURCE_EXHAUSTED", 401: "UNAUTHENTICATED", 400: "INVALID_ARGUMENT",
          503: "UNAVAILABLE"}.get(status, "INTERNAL")
    return {"error": {"code": status, "message": st.lower().replace("_", " "), "status": st}}


def main(argv):
    port = 0
    args = list(argv[1:])
    while args:
        a = args.pop(0)
        if a.startswith("--") and a.endswith("-key") and args:
            KEYS[a[2:-4]] = args.pop(0)
        else:
            port = int(a)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    try:  # one write; a reader that went away must not kill the server
        sys.stdout.write("READY %d\n" % srv.server_address[1])
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        pass
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv)
