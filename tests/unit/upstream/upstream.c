/*
 * tests/unit/upstream/upstream.c - the async upstream client on a real h2o evloop against the fake upstreams on loopback
 * SPDX-License-Identifier: MIT
 *
 * Starts tests/fakes/fake_upstreams.py, then: 200 concurrent calls, a timeout, a refused connection, a dropped
 * connection, cancellation, a call that cannot start, streaming through the SSE splitter, and freeing the
 * client with calls in flight (ASan checks that nothing leaks).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fake_upstream_proc.h"
#include "sse.h"
#include "upstream.h"

static pid_t fake_pid;
static int fake_port;
static h2o_loop_t *loop;
static struct lf_upstream *up;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int group_setup(void **st)
{
    (void)st;
    signal(SIGPIPE, SIG_IGN);
    if (lf_test_fake_start(LF_SOURCE_DIR, &fake_pid, &fake_port) != 0)
        return -1;
    if (lf_upstream_global_init() != LF_OK)
        return -1;
    loop = h2o_evloop_create();
    up = lf_upstream_new(loop, NULL);
    return up != NULL ? 0 : -1;
}

static int group_teardown(void **st)
{
    (void)st;
    lf_upstream_free(up);
    h2o_evloop_run(loop, 0); /* let h2o dispose the closed socket */
    h2o_evloop_destroy(loop);
    lf_upstream_global_cleanup();
    lf_test_fake_stop(fake_pid);
    return 0;
}

/* Run the loop until *flag reaches want or timeout_ms passes. */
static void run_until(const int *flag, int want, uint64_t timeout_ms)
{
    uint64_t end = mono_ms() + timeout_ms;
    while (*flag < want && mono_ms() < end)
        h2o_evloop_run(loop, 10);
}

struct call_ctx {
    int *ndone;
    int status;
    int failure;
    int aborted;
    uint64_t latency_us;
    char *body;
    int sse_events;
    int sse_done;
    struct lf_sse_parser sse;
    int called;
};

static void on_done(void *ctx, const struct lf_upstream_result *res)
{
    struct call_ctx *c = ctx;
    c->status = res->status;
    c->failure = res->failure;
    c->aborted = res->aborted;
    c->latency_us = res->latency_us;
    c->body = strndup(res->body, res->body_len);
    c->called++;
    (*c->ndone)++;
}

static char *url(const char *path)
{
    char *u = NULL;
    if (asprintf(&u, "http://127.0.0.1:%d%s", fake_port, path) < 0)
        abort();
    return u;
}

static struct lf_upstream_call *post(const char *path, const char *headers, const char *body, uint32_t timeout_ms,
                                     struct call_ctx *c, lf_upstream_data_cb on_data)
{
    struct lf_http_request r;
    struct lf_upstream_call *call;

    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.method = "POST";
    r.url = url(path);
    r.headers = (char *)(uintptr_t)headers;
    r.body = (char *)(uintptr_t)body;
    r.body_len = body ? strlen(body) : 0;
    call = lf_upstream_start(up, &r, timeout_ms, NULL, on_done, on_data, c);
    free(r.url); /* copied by lf_upstream_start */
    return call;
}

static void control(const char *json)
{
    int n = 0;
    struct call_ctx c = {.ndone = &n};
    post("/_control", "Content-Type: application/json", json, 5000, &c, NULL);
    run_until(&n, 1, 5000);
    assert_int_equal(c.status, 200);
    free(c.body);
}

#define OPENAI_HDRS "Content-Type: application/json\nAuthorization: Bearer test-openai-key\n"
#define CHAT_BODY "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

static void test_concurrent_200(void **st)
{
    enum { N = 200 };
    static struct call_ctx c[N];
    int n = 0, i, ok = 0;
    uint64_t t0 = mono_ms();

    (void)st;
    for (i = 0; i < N; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        c[i].ndone = &n;
        post("/v1/chat/completions", OPENAI_HDRS, CHAT_BODY, 20000, &c[i], NULL);
    }
    assert_int_equal(n, 0); /* never called from inside lf_upstream_start */
    assert_int_equal(lf_upstream_active(up), N);
    run_until(&n, N, 30000);
    assert_int_equal(n, N);
    for (i = 0; i < N; i++) {
        json_t *j = json_loads(c[i].body, 0, NULL);
        if (c[i].status == 200 && c[i].failure == 0 && json_is_object(j) &&
            json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0),
                                                              "message"),
                                              "content")) != NULL)
            ok++;
        assert_int_equal(c[i].called, 1);
        json_decref(j);
        free(c[i].body);
    }
    assert_int_equal(ok, N);
    assert_int_equal(lf_upstream_active(up), 0);
    print_message("200 concurrent calls in %llu ms\n", (unsigned long long)(mono_ms() - t0));
}

static void test_auth_and_error_status(void **st)
{
    int n = 0;
    struct call_ctx c = {.ndone = &n};
    (void)st;
    post("/v1/chat/completions", "Content-Type: application/json\nAuthorization: Bearer wrong", CHAT_BODY, 5000, &c, NULL);
    run_until(&n, 1, 5000);
    assert_int_equal(c.status, 401);
    assert_int_equal(c.failure, 0); /* an HTTP answer: classified by the provider plugin */
    assert_non_null(strstr(c.body, "invalid_api_key"));
    free(c.body);
}

static void test_timeout(void **st)
{
    int n = 0;
    struct call_ctx c = {.ndone = &n};
    (void)st;
    control("{\"provider\":\"openai\",\"fault\":\"slow\",\"ms\":2000,\"count\":1}");
    post("/v1/chat/completions", OPENAI_HDRS, CHAT_BODY, 300, &c, NULL);
    run_until(&n, 1, 5000);
    assert_int_equal(n, 1);
    assert_int_equal(c.failure, LF_FAILURE_TIMEOUT);
    assert_int_equal(c.status, 0);
    assert_true(c.latency_us >= 290000 && c.latency_us < 1500000);
    free(c.body);
}

static void test_connect_refused(void **st)
{
    int n = 0, s, port;
    struct call_ctx c = {.ndone = &n};
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    struct lf_http_request r;
    char u[64];

    (void)st;
    /* a port that was just free: bind, read it, close */
    s = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(s, (struct sockaddr *)&a, &alen);
    port = ntohs(a.sin_port);
    close(s);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/v1/chat/completions", port);
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.url = u;
    r.body = (char *)(uintptr_t)CHAT_BODY;
    r.body_len = strlen(CHAT_BODY);
    lf_upstream_start(up, &r, 5000, NULL, on_done, NULL, &c);
    run_until(&n, 1, 5000);
    assert_int_equal(n, 1);
    assert_int_equal(c.failure, LF_FAILURE_CONNECT_ERROR);
    assert_int_equal(c.status, 0);
    free(c.body);
}

static void test_dropped_connection(void **st)
{
    int n = 0;
    struct call_ctx c = {.ndone = &n};
    (void)st;
    /* until reset: curl transparently retries a request when a reused keep-alive connection dies before
     * any byte (possibly on several cached connections); a fresh connection that dies is a failure */
    control("{\"provider\":\"openai\",\"fault\":\"drop\",\"count\":-1}");
    post("/v1/chat/completions", OPENAI_HDRS, CHAT_BODY, 5000, &c, NULL);
    run_until(&n, 1, 5000);
    assert_int_equal(c.failure, LF_FAILURE_CONNECT_ERROR);
    assert_int_equal(c.status, 0);
    free(c.body);
    control("{\"provider\":\"openai\",\"fault\":\"none\"}");
}

static void test_start_failure_is_async(void **st)
{
    int n = 0;
    struct call_ctx c = {.ndone = &n};
    struct lf_http_request r;
    (void)st;
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.url = NULL; /* cannot start */
    lf_upstream_start(up, &r, 1000, NULL, on_done, NULL, &c);
    assert_int_equal(n, 0);
    run_until(&n, 1, 2000);
    assert_int_equal(n, 1);
    assert_int_equal(c.failure, LF_FAILURE_INVALID_RESPONSE);
    free(c.body);

    n = 0;
    memset(&c, 0, sizeof(c));
    c.ndone = &n;
    r.url = (char *)(uintptr_t) "gopher://127.0.0.1/";
    lf_upstream_start(up, &r, 1000, NULL, on_done, NULL, &c);
    assert_int_equal(n, 0);
    run_until(&n, 1, 2000);
    assert_int_equal(n, 1);
    assert_int_not_equal(c.failure, 0);
    free(c.body);
}

struct cancel_ctx {
    struct lf_upstream_call *victim;
    struct call_ctx inner;
};

static void on_done_cancel_other(void *ctx, const struct lf_upstream_result *res)
{
    struct cancel_ctx *cc = ctx;
    lf_upstream_cancel(cc->victim); /* cancelling another call from a done callback */
    on_done(&cc->inner, res);
}

static void test_cancel(void **st)
{
    int n = 0, nv = 0;
    struct call_ctx victim = {.ndone = &nv};
    struct cancel_ctx cc;
    struct lf_http_request r;
    uint64_t end;

    (void)st;
    memset(&cc, 0, sizeof(cc));
    cc.inner.ndone = &n;
    control("{\"provider\":\"openai\",\"fault\":\"slow\",\"ms\":800,\"count\":1}");
    cc.victim = post("/v1/chat/completions", OPENAI_HDRS, CHAT_BODY, 5000, &victim, NULL);
    /* the fast call is started second so the slow fault hits the victim */
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.url = url("/v1/chat/completions");
    r.headers = (char *)(uintptr_t)OPENAI_HDRS;
    r.body = (char *)(uintptr_t)CHAT_BODY;
    r.body_len = strlen(CHAT_BODY);
    /* make sure the victim reached the fake first */
    end = mono_ms() + 150;
    while (mono_ms() < end)
        h2o_evloop_run(loop, 10);
    lf_upstream_start(up, &r, 5000, NULL, on_done_cancel_other, NULL, &cc);
    free(r.url);
    run_until(&n, 1, 5000);
    assert_int_equal(n, 1);
    assert_int_equal(cc.inner.status, 200);
    free(cc.inner.body);
    /* the victim's answer would arrive within ~800 ms: its done must never run */
    end = mono_ms() + 1200;
    while (mono_ms() < end)
        h2o_evloop_run(loop, 10);
    assert_int_equal(nv, 0);
    assert_int_equal(lf_upstream_active(up), 0);

    /* cancel right after start, before the loop ran */
    nv = 0;
    cc.victim = post("/v1/chat/completions", OPENAI_HDRS, CHAT_BODY, 5000, &victim, NULL);
    lf_upstream_cancel(cc.victim);
    end = mono_ms() + 200;
    while (mono_ms() < end)
        h2o_evloop_run(loop, 10);
    assert_int_equal(nv, 0);
    assert_int_equal(lf_upstream_active(up), 0);
}

static int on_sse(void *ctx, const char *event, size_t event_len, const char *data, size_t data_len)
{
    struct call_ctx *c = ctx;
    (void)event;
    (void)event_len;
    c->sse_events++;
    if (data_len == 6 && memcmp(data, "[DONE]", 6) == 0)
        c->sse_done = 1;
    return 0;
}

static int on_data(void *ctx, int status, const char *data, size_t len)
{
    struct call_ctx *c = ctx;
    assert_int_equal(status, 200);
    return lf_sse_feed(&c->sse, data, len, on_sse, c);
}

static int on_data_abort(void *ctx, int status, const char *data, size_t len)
{
    (void)ctx;
    (void)status;
    (void)data;
    (void)len;
    return 1;
}

static void test_streaming(void **st)
{
    int n = 0;
    struct call_ctx c = {.ndone = &n};
    (void)st;
    lf_sse_init(&c.sse);
    post("/v1/chat/completions", OPENAI_HDRS,
         "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
         "\"messages\":[{\"role\":\"user\",\"content\":\"Content type: flashcards\\nTopic: Moon\"}]}",
         5000, &c, on_data);
    run_until(&n, 1, 5000);
    assert_int_equal(c.status, 200);
    assert_int_equal(c.failure, 0);
    assert_int_equal(c.body[0], '\0'); /* streamed, not buffered */
    assert_true(c.sse_events > 5);
    assert_true(c.sse_done);
    lf_sse_dispose(&c.sse);
    free(c.body);

    /* the consumer stops the stream */
    n = 0;
    memset(&c, 0, sizeof(c));
    c.ndone = &n;
    post("/v1/chat/completions", OPENAI_HDRS, "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
         5000, &c, on_data_abort);
    run_until(&n, 1, 5000);
    assert_int_equal(c.aborted, 1);
    assert_int_equal(c.failure, 0);
    free(c.body);
}

static void on_done_count(void *ctx, const struct lf_upstream_result *res)
{
    (void)res;
    (*(int *)ctx)++;
}

static void test_free_with_calls_in_flight(void **st)
{
    h2o_loop_t *l2 = h2o_evloop_create();
    struct lf_upstream *u2 = lf_upstream_new(l2, NULL);
    struct lf_http_request r;
    int n = 0, i;
    uint64_t end;

    (void)st;
    control("{\"provider\":\"openai\",\"fault\":\"slow\",\"ms\":1000,\"count\":10}");
    end = mono_ms() + 100;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.url = url("/v1/chat/completions");
    r.headers = (char *)(uintptr_t)OPENAI_HDRS;
    r.body = (char *)(uintptr_t)CHAT_BODY;
    r.body_len = strlen(CHAT_BODY);
    for (i = 0; i < 10; i++)
        lf_upstream_start(u2, &r, 5000, NULL, on_done_count, NULL, &n);
    while (mono_ms() < end)
        h2o_evloop_run(l2, 5);
    free(r.url);
    lf_upstream_free(u2); /* done callbacks of live calls are not called */
    h2o_evloop_run(l2, 0);
    h2o_evloop_destroy(l2);
    assert_int_equal(n, 0); /* all were still waiting for the slow answers */
}

/* ---- SSE splitter ---- */

struct sse_rec {
    char events[16][64];
    char data[16][256];
    int n;
};

static int rec_cb(void *ctx, const char *event, size_t event_len, const char *data, size_t data_len)
{
    struct sse_rec *r = ctx;
    snprintf(r->events[r->n], sizeof(r->events[0]), "%.*s", (int)event_len, event ? event : "");
    snprintf(r->data[r->n], sizeof(r->data[0]), "%.*s", (int)data_len, data);
    r->n++;
    return 0;
}

static void test_sse_splitter(void **st)
{
    static const char stream[] = ": comment\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\n"
                                 "data: line1\ndata: line2\nid: 7\nretry: 10\n\n"
                                 "event: ping\n\n" /* no data: not dispatched */
                                 "data:nospace\r\rdata: [DONE]\n\ndata: tail";
    struct lf_sse_parser p;
    struct sse_rec r;
    size_t step, i;

    (void)st;
    for (step = 1; step <= sizeof(stream); step++) { /* every split position */
        memset(&r, 0, sizeof(r));
        lf_sse_init(&p);
        for (i = 0; i < sizeof(stream) - 1; i += step) {
            size_t len = (sizeof(stream) - 1 - i) < step ? (sizeof(stream) - 1 - i) : step;
            assert_int_equal(lf_sse_feed(&p, stream + i, len, rec_cb, &r), 0);
        }
        assert_int_equal(lf_sse_finish(&p, rec_cb, &r), 0);
        lf_sse_dispose(&p);
        assert_int_equal(r.n, 5);
        assert_string_equal(r.events[0], "message_start");
        assert_string_equal(r.data[0], "{\"a\":1}");
        assert_string_equal(r.events[1], "");
        assert_string_equal(r.data[1], "line1\nline2");
        assert_string_equal(r.data[2], "nospace");
        assert_string_equal(r.data[3], "[DONE]");
        assert_string_equal(r.data[4], "tail");
    }
    /* oversized event */
    lf_sse_init(&p);
    p.max_event_bytes = 8;
    memset(&r, 0, sizeof(r));
    assert_int_equal(lf_sse_feed(&p, "data: 0123456789\n\n", 18, rec_cb, &r), -1);
    lf_sse_dispose(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_splitter),
        cmocka_unit_test(test_concurrent_200),
        cmocka_unit_test(test_auth_and_error_status),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_dropped_connection),
        cmocka_unit_test(test_start_failure_is_async),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_free_with_calls_in_flight),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
