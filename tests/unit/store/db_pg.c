/*
 * tests/unit/store/db_pg.c - read helpers, users and keys, export and erasure against a real PostgreSQL
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "mem.h"
#include "migrate.h"
#include "pg_fixture.h"
#include "records.h"
#include "store.h"

#define MIGRATIONS LF_SOURCE_DIR "/migrations"

static const char *ci;
static char jdir[64];

static int group_setup(void **state)
{
    char err[512];
    (void)state;
    pgfx_start();
    ci = pgfx_create_db("dbtest");
    if (lf_migrate_run(ci, MIGRATIONS, err, sizeof(err)) != LF_OK) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    pgfx_tmpdir(jdir, sizeof(jdir));
    struct lf_store_options o = {.conninfo = ci, .journal_dir = jdir, .fsync_interval_ms = 20};
    if (lf_store_start(&o, err, sizeof(err)) != LF_OK || lf_db_init(ci, 3) != LF_OK) {
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    lf_store_stop();
    lf_db_shutdown();
    pgfx_stop();
    return 0;
}

static void uuid_n(char out[37], unsigned prefix, unsigned n)
{
    snprintf(out, 37, "%08x-0000-4000-8000-%012x", prefix, n);
}

/* Create a user with a key; returns the user id and the clear key. */
static void make_user(const char *name, char uid[37], char key[64])
{
    json_t *o = NULL;
    assert_int_equal(lf_db_user_create(name, NULL, "user", &o), LF_OK);
    snprintf(uid, 37, "%s", json_string_value(json_object_get(json_object_get(o, "user"), "id")));
    snprintf(key, 64, "%s", json_string_value(json_object_get(json_object_get(o, "api_key"), "key")));
    json_decref(o);
}

static void test_users_and_keys(void **state)
{
    (void)state;
    char uid[37], key[64], sql[512];
    json_t *o = NULL;
    struct lf_db_key_info ki;
    make_user("alice", uid, key);
    assert_int_equal(strncmp(key, "lf_", 3), 0);
    assert_int_equal(strlen(key), 51);
    assert_int_equal(lf_db_user_create("alice", NULL, "user", &o), LF_EINVAL); /* taken */
    assert_int_equal(lf_db_user_create("bob", NULL, "root", &o), LF_EINVAL);   /* bad role */
    assert_int_equal(lf_db_key_lookup(key, &ki), LF_OK);
    assert_string_equal(ki.user_id, uid);
    assert_string_equal(ki.role, "user");
    assert_string_equal(ki.username, "alice");
    assert_int_equal(lf_db_key_lookup("lf_nope", &ki), LF_ENOTFOUND);
    /* a second key, admin role; then revoke the first */
    assert_int_equal(lf_db_key_create(uid, "admin", "ops", &o), LF_OK);
    char key2[64], key2id[37];
    snprintf(key2, sizeof(key2), "%s", json_string_value(json_object_get(o, "key")));
    snprintf(key2id, sizeof(key2id), "%s", json_string_value(json_object_get(o, "id")));
    json_decref(o);
    assert_int_equal(lf_db_key_lookup(key2, &ki), LF_OK);
    assert_string_equal(ki.role, "admin");
    assert_int_equal(lf_db_key_revoke(key2id), LF_OK);
    assert_int_equal(lf_db_key_revoke(key2id), LF_OK); /* idempotent */
    assert_int_equal(lf_db_key_lookup(key2, &ki), LF_ENOTFOUND);
    assert_int_equal(lf_db_key_revoke("00000000-0000-4000-8000-000000000000"), LF_ENOTFOUND);
    /* the clear keys are in no column of any table */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT to_jsonb(t)::text AS j FROM api_keys t UNION ALL SELECT to_jsonb(t)::text "
             "FROM users t UNION ALL SELECT to_jsonb(t)::text FROM api_usage t) x WHERE j LIKE '%%%s%%' OR j LIKE "
             "'%%%s%%' OR j LIKE '%%%s%%'",
             key + 3, key2 + 3, key2 + 20);
    assert_int_equal(pgfx_int(ci, sql), 0);
    /* every text column of every table, generically */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT (xpath('//row/*/text()', query_to_xml('SELECT * FROM ' || "
             "quote_ident(table_name), true, false, ''))) AS v FROM information_schema.tables WHERE table_schema "
             "= 'public' AND table_type = 'BASE TABLE') x, unnest(v) e WHERE e::text LIKE '%%%.20s%%'",
             key + 3);
    assert_int_equal(pgfx_int(ci, sql), 0);
    /* the same scan does find what is stored: the hash (so the check above can fail) */
    char hash[65];
    lf_db_key_hash(key, hash);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT (xpath('//row/*/text()', query_to_xml('SELECT * FROM ' || "
             "quote_ident(table_name), true, false, ''))) AS v FROM information_schema.tables WHERE table_schema "
             "= 'public' AND table_type = 'BASE TABLE') x, unnest(v) e WHERE e::text LIKE '%%%.20s%%'",
             hash);
    assert_int_equal(pgfx_int(ci, sql), 1);
    assert_int_equal(lf_db_user_list(100, &o), LF_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "count")), 3); /* system, demo_user, alice */
    json_decref(o);
}

static void test_content_owner_list_feedback(void **state)
{
    (void)state;
    char uid[37], key[64], other[37], okey[64], id[37];
    json_t *o = NULL;
    make_user("carol", uid, key);
    make_user("dave", other, okey);
    for (unsigned i = 0; i < 5; i++) {
        uuid_n(id, 0x50, i);
        lf_store_submit(rec_generation(id, uid, i % 2 ? "flashcards" : "study_guide", 0.7 + 0.05 * i, 100, NULL));
        usleep(2000); /* distinct created_at not required, but makes the order obvious */
    }
    assert_true(lf_store_wait_idle(20000));
    uuid_n(id, 0x50, 4);
    assert_int_equal(lf_db_content_get(id, uid, 0, &o), LF_OK);
    assert_string_equal(json_string_value(json_object_get(o, "id")), id);
    assert_non_null(json_object_get(json_object_get(o, "generated_content"), "title"));
    assert_non_null(json_object_get(json_object_get(o, "metadata"), "tokens"));
    json_decref(o);
    assert_int_equal(lf_db_content_get(id, other, 0, &o), LF_ENOTFOUND); /* not dave's */
    assert_int_equal(lf_db_content_get(id, other, 1, &o), LF_OK);        /* admin */
    json_decref(o);
    assert_int_equal(lf_db_content_get("not-a-uuid", uid, 0, &o), LF_ENOTFOUND);

    /* pagination: 5 items, 2 per page, newest first */
    struct lf_db_content_filter f = {.user_id = uid, .limit = 2};
    char seen[6][37];
    int n = 0;
    char cursor[128] = "";
    for (int page = 0; page < 4; page++) {
        f.cursor = cursor[0] ? cursor : NULL;
        assert_int_equal(lf_db_content_list(&f, &o), LF_OK);
        json_t *items = json_object_get(o, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            snprintf(seen[n++], 37, "%s", json_string_value(json_object_get(json_array_get(items, i), "id")));
        }
        json_t *nc = json_object_get(o, "next_cursor");
        if (json_is_null(nc)) {
            json_decref(o);
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", json_string_value(nc));
        json_decref(o);
    }
    assert_int_equal(n, 5);
    uuid_n(id, 0x50, 4);
    assert_string_equal(seen[0], id);
    uuid_n(id, 0x50, 0);
    assert_string_equal(seen[4], id);
    f.content_type = "flashcards";
    f.limit = 50;
    f.cursor = NULL;
    assert_int_equal(lf_db_content_list(&f, &o), LF_OK);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
    json_decref(o);
    f.cursor = "garbage";
    assert_int_equal(lf_db_content_list(&f, &o), LF_EINVAL);

    /* feedback */
    uuid_n(id, 0x50, 1);
    assert_int_equal(lf_db_feedback_insert(id, uid, 0, 4, "helpful", "clear and useful", &o), LF_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "rating")), 4);
    json_decref(o);
    assert_int_equal(lf_db_feedback_insert(id, uid, 0, 6, "helpful", "x", &o), LF_EINVAL);
    assert_int_equal(lf_db_feedback_insert(id, other, 0, 3, "x", "y", &o), LF_ENOTFOUND);

    /* delete */
    uuid_n(id, 0x50, 3);
    assert_int_equal(lf_db_content_delete(id, other, 0), LF_ENOTFOUND);
    assert_int_equal(lf_db_content_delete(id, uid, 0), LF_OK);
    assert_int_equal(lf_db_content_delete(id, uid, 0), LF_ENOTFOUND);
}

static void test_metrics_and_stats(void **state)
{
    (void)state;
    json_t *o = NULL;
    char id[37];
    uuid_n(id, 0x60, 1);
    lf_store_submit(rec_attempt(id, "00000050-0000-4000-8000-000000000001", "ok"));
    uuid_n(id, 0x60, 2);
    lf_store_submit(rec_usage(id, SYSTEM_USER, "10.1.2.3"));
    assert_true(lf_store_wait_idle(20000));
    long total = pgfx_int(ci, "SELECT count(*) FROM educational_content");
    assert_int_equal(lf_db_metrics_educational(0.70, 0.75, 0.85, &o), LF_OK);
    char *s = json_dumps(o, JSON_COMPACT);
    fprintf(stderr, "metrics/educational: %.400s\n", s);
    free(s);
    assert_int_equal(json_integer_value(json_object_get(o, "total_content")), total);
    assert_int_equal(json_integer_value(json_object_get(o, "content_last_24h")), total);
    json_t *dist = json_object_get(o, "quality_distribution");
    json_int_t sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(dist, k, v) {
        sum += json_integer_value(v);
    }
    assert_int_equal(sum, total);
    assert_true(json_array_size(json_object_get(o, "hourly_last_24h")) >= 1);
    assert_true(json_real_value(json_object_get(json_object_get(o, "quality_thresholds"), "factual")) > 0.84);
    json_decref(o);
    assert_int_equal(lf_db_admin_content_stats(&o), LF_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "total_content")), total);
    assert_true(json_array_size(json_object_get(o, "by_provider")) >= 1);
    json_decref(o);
    assert_int_equal(lf_db_usage_list(NULL, SYSTEM_USER, 10, &o), LF_OK);
    assert_true(json_integer_value(json_object_get(o, "count")) >= 1);
    json_t *it = json_array_get(json_object_get(o, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it, "ip_address")), "10.1.2.3");
    json_decref(o);
    assert_int_equal(lf_db_usage_list("2999-01-01T00:00:00Z", NULL, 10, &o), LF_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "count")), 0);
    json_decref(o);
    assert_int_equal(lf_db_system_info(&o), LF_OK);
    assert_int_equal(json_integer_value(json_object_get(o, "schema_version")), 6);
    json_decref(o);
    double ms = -1;
    assert_int_equal(lf_db_ping(&ms), LF_OK);
    assert_true(ms >= 0);
}

static void test_export_and_erase(void **state)
{
    (void)state;
    char uid[37], key[64], id[37], sql[2048];
    json_t *o = NULL;
    make_user("erin", uid, key);
    for (unsigned i = 0; i < 3; i++) {
        uuid_n(id, 0x70, i);
        lf_store_submit(rec_generation(id, uid, "study_guide", 0.9, 100, NULL));
        char aid[37];
        uuid_n(aid, 0x71, i);
        json_t *a = rec_attempt(aid, id, "ok");
        json_object_set_new(a, "user_id", json_string(uid));
        lf_store_submit(a);
        uuid_n(aid, 0x72, i);
        lf_store_submit(rec_usage(aid, uid, "192.0.2.1"));
    }
    uuid_n(id, 0x73, 0);
    lf_store_submit(rec_session(id, uid));
    assert_true(lf_store_wait_idle(20000));
    uuid_n(id, 0x70, 0);
    assert_int_equal(lf_db_feedback_insert(id, uid, 0, 5, "helpful", "nice", &o), LF_OK);
    json_decref(o);
    /* someone else's feedback on erin's content goes too */
    assert_int_equal(lf_db_feedback_insert(id, SYSTEM_USER, 1, 2, "unclear", "hmm", &o), LF_OK);
    json_decref(o);

    assert_int_equal(lf_db_user_export(uid, &o), LF_OK);
    assert_int_equal(json_array_size(json_object_get(o, "content")), 3);
    assert_int_equal(json_array_size(json_object_get(o, "quality_assessments")), 3);
    assert_int_equal(json_array_size(json_object_get(o, "feedback")), 2);
    assert_int_equal(json_array_size(json_object_get(o, "api_usage")), 3);
    assert_int_equal(json_array_size(json_object_get(o, "sessions")), 1);
    assert_int_equal(json_array_size(json_object_get(o, "provider_attempts")), 3);
    assert_int_equal(json_array_size(json_object_get(o, "api_keys")), 1);
    assert_null(json_object_get(json_array_get(json_object_get(o, "api_keys"), 0), "key_hash"));
    json_decref(o);

    assert_int_equal(lf_db_user_erase(uid, &o), LF_OK);
    json_t *d = json_object_get(o, "deleted");
    assert_int_equal(json_integer_value(json_object_get(d, "users")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "educational_content")), 3);
    assert_int_equal(json_integer_value(json_object_get(d, "quality_assessments")), 3);
    assert_int_equal(json_integer_value(json_object_get(d, "content_feedback")), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "api_usage")), 3);
    assert_int_equal(json_integer_value(json_object_get(d, "content_generation_sessions")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "provider_attempts")), 3);
    assert_int_equal(json_integer_value(json_object_get(d, "api_keys")), 1);
    json_decref(o);
    /* checked with SQL: nothing links to the user any more */
    snprintf(sql, sizeof(sql),
             "SELECT (SELECT count(*) FROM users WHERE id = '%1$s') + (SELECT count(*) FROM educational_content "
             "WHERE user_id = '%1$s') + (SELECT count(*) FROM api_usage WHERE user_id = '%1$s') + (SELECT count(*) "
             "FROM api_keys WHERE user_id = '%1$s') + (SELECT count(*) FROM provider_attempts WHERE user_id = "
             "'%1$s') + (SELECT count(*) FROM content_generation_sessions WHERE user_id = '%1$s') + (SELECT "
             "count(*) FROM content_feedback WHERE user_id = '%1$s') + (SELECT count(*) FROM quality_assessments "
             "WHERE id::text LIKE '00000070-%%')",
             uid);
    assert_int_equal(pgfx_int(ci, sql), 0);
    struct lf_db_key_info ki;
    assert_int_equal(lf_db_key_lookup(key, &ki), LF_ENOTFOUND);
    assert_int_equal(lf_db_user_erase(uid, &o), LF_ENOTFOUND);
    assert_int_equal(lf_db_user_export(uid, &o), LF_ENOTFOUND);
    assert_int_equal(lf_db_user_erase(LF_DB_SYSTEM_USER_ID, &o), LF_EINVAL);

    /* a record of the erased user still in the journal is not resurrected when it arrives later */
    uuid_n(id, 0x70, 9);
    lf_store_submit(rec_generation(id, uid, "study_guide", 0.9, 100, NULL));
    assert_true(lf_store_wait_idle(20000));
    assert_int_equal(pgfx_int(ci, "SELECT count(*) FROM educational_content WHERE id::text LIKE '00000070-%'"), 0);
}

static void test_db_down_is_eio(void **state)
{
    (void)state;
    json_t *o = NULL;
    lf_db_init("host=/nonexistent dbname=x connect_timeout=1", 1);
    assert_int_equal(lf_db_metrics_educational(0.7, 0.75, 0.85, &o), LF_EIO);
    char e[256];
    lf_db_last_error(e, sizeof(e));
    assert_true(e[0] != '\0');
    lf_db_init(ci, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users_and_keys),
        cmocka_unit_test(test_content_owner_list_feedback),
        cmocka_unit_test(test_metrics_and_stats),
        cmocka_unit_test(test_export_and_erase),
        cmocka_unit_test(test_db_down_is_eio),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
