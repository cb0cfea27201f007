/*
 * tests/unit/stream.c - the streaming accumulator (stream.h) with a test provider's parse_stream_event
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "stream.h"
#include "upstream.h"

/* Test wire format: data is "t:<text>", "f:<finish>", "u:<prompt>,<completion>", "e:<message>", "done" or
 * anything else (unparseable -> LF_EPARSE). */
static int test_parse(void *state, const char *event, size_t event_len, const char *data, size_t data_len,
                      struct lf_stream_delta *out)
{
    (void)state;
    (void)event;
    (void)event_len;
    char buf[256];
    if (data_len >= sizeof(buf))
        return LF_EPARSE;
    memcpy(buf, data, data_len);
    buf[data_len] = '\0';
    if (strncmp(buf, "t:", 2) == 0) {
        out->text = strdup(buf + 2);
        out->text_len = strlen(buf + 2);
    } else if (strncmp(buf, "f:", 2) == 0) {
        out->finish_reason = strdup(buf + 2);
    } else if (strncmp(buf, "u:", 2) == 0) {
        unsigned long long p = 0, c = 0;
        sscanf(buf + 2, "%llu,%llu", &p, &c);
        out->usage.prompt_tokens = p;
        out->usage.completion_tokens = c;
        out->has_usage = 1;
    } else if (strncmp(buf, "e:", 2) == 0) {
        out->failure = LF_FAILURE_UPSTREAM_5XX;
        out->error_message = strdup(buf + 2);
        out->done = 1;
    } else if (strcmp(buf, "done") == 0) {
        out->done = 1;
    } else {
        return LF_EPARSE;
    }
    return LF_OK;
}

static int test_parse_response(void *state, const struct lf_gen_request *req, const struct lf_http_response *resp,
                               struct lf_gen_result *out)
{
    (void)state;
    (void)req;
    out->text = strndup(resp->body, resp->body_len);
    out->text_len = resp->body_len;
    out->finish_reason = strdup("stop");
    return LF_OK;
}

static struct lf_plugin_file pf;
static struct lf_provider prov;

struct seen {
    char text[512];
    int calls;
    int stop_after;
};

static int on_text(void *ud, const char *text, size_t len)
{
    struct seen *s = ud;
    strncat(s->text, text, len);
    s->calls++;
    return s->stop_after > 0 && s->calls >= s->stop_after;
}

static void setup_provider(void)
{
    memset(&pf, 0, sizeof(pf));
    memset(&prov, 0, sizeof(prov));
    pf.desc.parse_stream_event = test_parse;
    pf.desc.parse_response = test_parse_response;
    static char name[] = "test";
    prov.name = name;
    prov.plugin = &pf;
}

static void result_of(struct lf_stream_acc *a, int status, int failure, struct lf_gen_result *r)
{
    struct lf_upstream_result res;
    struct lf_gen_request req;
    memset(&res, 0, sizeof(res));
    memset(&req, 0, sizeof(req));
    res.status = status;
    res.failure = failure;
    res.error = failure ? "connection dropped" : NULL;
    memset(r, 0, sizeof(*r));
    r->struct_size = sizeof(*r);
    lf_stream_acc_result(a, &prov, &req, &res, r);
}

static void free_result(struct lf_gen_result *r)
{
    free(r->text);
    free(r->model);
    free(r->finish_reason);
    free(r->error_message);
}

static void test_split_pieces(void **st)
{
    (void)st;
    setup_provider();
    struct lf_stream_acc a;
    memset(&a, 0, sizeof(a));
    lf_stream_acc_reset(&a);
    struct seen s = {0};
    const char *wire = "data: t:Hel\r\n\r\ndata: t:lo \n\ndata: t:wörld\n\n: comment\n\ndata: f:stop\n\n"
                       "data: u:12,3\n\ndata: done\n\n";
    /* byte by byte: every split point */
    for (size_t i = 0; wire[i]; ++i)
        assert_int_equal(lf_stream_acc_feed(&a, &prov, wire + i, 1, on_text, &s), 0);
    assert_string_equal(s.text, "Hello wörld");
    assert_int_equal(s.calls, 3);
    assert_int_equal(a.deltas, 3);
    struct lf_gen_result r;
    result_of(&a, 200, 0, &r);
    assert_int_equal(r.failure, LF_FAILURE_NONE);
    assert_string_equal(r.text, "Hello wörld");
    assert_string_equal(r.finish_reason, "stop");
    assert_int_equal(r.usage.prompt_tokens, 12);
    assert_int_equal(r.usage.completion_tokens, 3);
    free_result(&r);
    /* reset for a second attempt: nothing carried over */
    lf_stream_acc_reset(&a);
    assert_int_equal(a.text_len, 0);
    assert_null(a.finish_reason);
    lf_stream_acc_dispose(&a);
}

static void test_error_event_stops(void **st)
{
    (void)st;
    setup_provider();
    struct lf_stream_acc a;
    memset(&a, 0, sizeof(a));
    lf_stream_acc_reset(&a);
    struct seen s = {0};
    const char *wire = "data: t:part\n\ndata: e:overloaded\n\ndata: t:never\n\n";
    assert_int_not_equal(lf_stream_acc_feed(&a, &prov, wire, strlen(wire), on_text, &s), 0);
    assert_string_equal(s.text, "part");
    struct lf_gen_result r;
    result_of(&a, 200, 0, &r);
    assert_int_equal(r.failure, LF_FAILURE_UPSTREAM_5XX);
    assert_string_equal(r.error_message, "overloaded");
    assert_null(r.text);
    free_result(&r);
    lf_stream_acc_dispose(&a);
}

static void test_transport_failure(void **st)
{
    (void)st;
    setup_provider();
    struct lf_stream_acc a;
    memset(&a, 0, sizeof(a));
    struct seen s = {0};
    struct lf_gen_result r;

    /* dropped before the end: connect_error with the transport's message */
    lf_stream_acc_reset(&a);
    const char *wire = "data: t:abc\n\n";
    lf_stream_acc_feed(&a, &prov, wire, strlen(wire), on_text, &s);
    result_of(&a, 200, LF_FAILURE_CONNECT_ERROR, &r);
    assert_int_equal(r.failure, LF_FAILURE_CONNECT_ERROR);
    assert_string_equal(r.error_message, "connection dropped");
    free_result(&r);

    /* dropped after the stream said it was done: success */
    lf_stream_acc_reset(&a);
    const char *wire2 = "data: t:abc\n\ndata: done\n\n";
    lf_stream_acc_feed(&a, &prov, wire2, strlen(wire2), on_text, &s);
    result_of(&a, 200, LF_FAILURE_CONNECT_ERROR, &r);
    assert_int_equal(r.failure, LF_FAILURE_NONE);
    assert_string_equal(r.text, "abc");
    free_result(&r);

    /* an empty 2xx stream is invalid */
    lf_stream_acc_reset(&a);
    lf_stream_acc_feed(&a, &prov, ": ping\n\n", 8, on_text, &s);
    result_of(&a, 200, 0, &r);
    assert_int_equal(r.failure, LF_FAILURE_INVALID_RESPONSE);
    free_result(&r);

    /* an unparseable event is an invalid response */
    lf_stream_acc_reset(&a);
    assert_int_not_equal(lf_stream_acc_feed(&a, &prov, "data: ???\n\n", 11, on_text, &s), 0);
    result_of(&a, 200, 0, &r);
    assert_int_equal(r.failure, LF_FAILURE_INVALID_RESPONSE);
    free_result(&r);
    lf_stream_acc_dispose(&a);
}

static void test_buffered_answer_and_last_event(void **st)
{
    (void)st;
    setup_provider();
    struct lf_stream_acc a;
    memset(&a, 0, sizeof(a));
    struct seen s = {0};
    struct lf_gen_result r;

    /* an upstream that ignored stream=true and answered JSON: parse_response on the whole body */
    lf_stream_acc_reset(&a);
    lf_stream_acc_feed(&a, &prov, "{\"x\":", 5, on_text, &s);
    lf_stream_acc_feed(&a, &prov, "1}", 2, on_text, &s);
    result_of(&a, 200, 0, &r);
    assert_int_equal(r.failure, LF_FAILURE_NONE);
    assert_string_equal(r.text, "{\"x\":1}");
    free_result(&r);

    /* a last event without its blank line still counts */
    lf_stream_acc_reset(&a);
    memset(&s, 0, sizeof(s));
    const char *wire = "data: t:a\n\ndata: t:b";
    lf_stream_acc_feed(&a, &prov, wire, strlen(wire), on_text, &s);
    result_of(&a, 200, 0, &r);
    assert_int_equal(r.failure, LF_FAILURE_NONE);
    assert_string_equal(r.text, "ab");
    free_result(&r);

    /* the callback can stop the transfer */
    lf_stream_acc_reset(&a);
    memset(&s, 0, sizeof(s));
    s.stop_after = 1;
    const char *wire2 = "data: t:a\n\ndata: t:b\n\n";
    assert_int_not_equal(lf_stream_acc_feed(&a, &prov, wire2, strlen(wire2), on_text, &s), 0);
    assert_string_equal(s.text, "a");
    lf_stream_acc_dispose(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_pieces),
        cmocka_unit_test(test_error_event_stops),
        cmocka_unit_test(test_transport_failure),
        cmocka_unit_test(test_buffered_answer_and_last_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
