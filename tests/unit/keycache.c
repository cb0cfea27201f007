/*
 * tests/unit/keycache.c - the API key snapshot: lookups, immediate create/revoke/erase, record attribution
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "db.h"
#include "keycache.h"
#include "server.h"

#define UID_A "11111111-1111-4111-8111-111111111111"
#define UID_B "22222222-2222-4222-8222-222222222222"
#define KID_A1 "aaaaaaaa-0000-4000-8000-000000000001"
#define KID_A2 "aaaaaaaa-0000-4000-8000-000000000002"
#define KID_B1 "bbbbbbbb-0000-4000-8000-000000000001"

static void test_add_lookup_revoke_erase(void **state)
{
    (void)state;
    char h1[65], h2[65], h3[65], unknown[65], uid[37];
    lf_db_key_hash("lf_key_one", h1);
    lf_db_key_hash("lf_key_two", h2);
    lf_db_key_hash("lf_key_three", h3);
    lf_db_key_hash("lf_not_a_key", unknown);
    struct lf_keycache_entry e;

    assert_int_equal(lf_keycache_lookup(h1, &e), 0);
    lf_keycache_add(h1, KID_A1, UID_A, LF_ROLE_USER);
    lf_keycache_add(h2, KID_A2, UID_A, LF_ROLE_ADMIN);
    lf_keycache_add(h3, KID_B1, UID_B, LF_ROLE_USER);
    assert_int_equal(lf_keycache_lookup(h1, &e), 1);
    assert_string_equal(e.key_id, KID_A1);
    assert_string_equal(e.user_id, UID_A);
    assert_int_equal(e.role, LF_ROLE_USER);
    assert_int_equal(lf_keycache_lookup(h2, &e), 1);
    assert_int_equal(e.role, LF_ROLE_ADMIN);
    assert_int_equal(lf_keycache_lookup(unknown, &e), 0);

    /* attribution by the 16-hex key id of struct lf_http; bootstrap (unknown) keys -> system user */
    char k16[17];
    memcpy(k16, h3, 16);
    k16[16] = '\0';
    lf_keycache_user_of(k16, uid);
    assert_string_equal(uid, UID_B);
    memcpy(k16, unknown, 16);
    lf_keycache_user_of(k16, uid);
    assert_string_equal(uid, LF_DB_SYSTEM_USER_ID);
    lf_keycache_user_of("", uid);
    assert_string_equal(uid, LF_DB_SYSTEM_USER_ID);

    /* revoke: lookups fail at once, records still attributed to the user */
    lf_keycache_revoke(KID_A1);
    assert_int_equal(lf_keycache_lookup(h1, &e), 0);
    assert_int_equal(lf_keycache_lookup(h2, &e), 1);
    memcpy(k16, h1, 16);
    lf_keycache_user_of(k16, uid);
    assert_string_equal(uid, UID_A);

    /* erase: every key of the user stops; late records keep the erased id (the store then skips them) */
    lf_keycache_user_erased(UID_A);
    assert_int_equal(lf_keycache_lookup(h2, &e), 0);
    assert_int_equal(lf_keycache_lookup(h3, &e), 1);
    memcpy(k16, h2, 16);
    lf_keycache_user_of(k16, uid);
    assert_string_equal(uid, UID_A);
}

static void test_many_keys_sorted(void **state)
{
    (void)state;
    char h[65], key[32], kid[37];
    struct lf_keycache_entry e;
    for (int i = 0; i < 500; ++i) {
        snprintf(key, sizeof(key), "lf_many_%d", i);
        snprintf(kid, sizeof(kid), "cccccccc-0000-4000-8000-%012d", i);
        lf_db_key_hash(key, h);
        lf_keycache_add(h, kid, UID_B, LF_ROLE_USER);
    }
    for (int i = 0; i < 500; ++i) {
        snprintf(key, sizeof(key), "lf_many_%d", i);
        snprintf(kid, sizeof(kid), "cccccccc-0000-4000-8000-%012d", i);
        lf_db_key_hash(key, h);
        assert_int_equal(lf_keycache_lookup(h, &e), 1);
        assert_string_equal(e.key_id, kid);
    }
    /* re-adding an existing hash replaces it (no duplicate) */
    lf_db_key_hash("lf_many_7", h);
    lf_keycache_add(h, KID_B1, UID_B, LF_ROLE_ADMIN);
    assert_int_equal(lf_keycache_lookup(h, &e), 1);
    assert_int_equal(e.role, LF_ROLE_ADMIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_lookup_revoke_erase),
        cmocka_unit_test(test_many_keys_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
