/* Unit tests for src/core: hashing, UUIDv7, queue, string map, paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/queue.h"
#include "core/strbuf.h"
#include "core/arena.h"
#include "core/strmap.h"
#include "core/uuid7.h"
#include "core/xalloc.h"

static void test_hash_normalised(void **state)
{
    (void)state;
    plait_hash a, b, c;
    const char *x = "fn  f()\n{\t1 }  ", *y = "  fn f() { 1 }", *z = "fn f() { 2 }";
    plait_hash_normalised(&a, x, strlen(x));
    plait_hash_normalised(&b, y, strlen(y));
    plait_hash_normalised(&c, z, strlen(z));
    assert_true(plait_hash_equal(&a, &b));
    assert_false(plait_hash_equal(&a, &c));
    /* BLAKE2b-256("abc") known answer (RFC 7693 test vectors are for -512; this is -256). */
    plait_hash h;
    char hex[PLAIT_HASH_HEX];
    plait_hash_bytes(&h, "abc", 3);
    plait_hash_hex(&h, hex);
    assert_string_equal(hex, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

static void test_hash_key_parts(void **state)
{
    (void)state;
    char k1[33], k2[33];
    const char *p1[] = {"ab", "c"}, *p2[] = {"a", "bc"};
    plait_hash_key(k1, p1, 2);
    plait_hash_key(k2, p2, 2);
    assert_string_not_equal(k1, k2); /* parts are delimited, not concatenated */
    assert_int_equal(strlen(k1), 32);
}

static void test_uuid7_monotonic(void **state)
{
    (void)state;
    plait_uuid prev, cur;
    char s[37], t[37];
    plait_uuid7_new(&prev);
    for (int i = 0; i < 20000; i++) {
        plait_uuid7_new(&cur);
        assert_true(memcmp(prev.b, cur.b, 16) < 0 || memcmp(prev.b, cur.b, 8) < 0);
        assert_true(memcmp(prev.b, cur.b, 8) < 0); /* ms+counter strictly increase */
        prev = cur;
    }
    plait_uuid_format(&cur, s);
    assert_int_equal(s[14], '7');
    plait_uuid back;
    assert_int_equal(plait_uuid7_parse(s, &back), 0);
    plait_uuid_format(&back, t);
    assert_string_equal(s, t);
    assert_int_equal(plait_uuid7_parse("not-a-uuid", &back), -1);
    assert_int_equal(plait_uuid7_parse("01890a5d-ac96-474a-a123-123456789abc", &back), -1); /* v4 */
}

struct qarg { plait_queue *q; long sum; };
static void *consumer(void *p)
{
    struct qarg *a = p;
    void *it;
    while ((it = plait_queue_pop(a->q))) a->sum += (long)(intptr_t)it;
    return NULL;
}

static void test_queue_bounded(void **state)
{
    (void)state;
    plait_queue *q = plait_queue_new(4);
    struct qarg a = {q, 0}, b = {q, 0};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, consumer, &a);
    pthread_create(&t2, NULL, consumer, &b);
    long want = 0;
    for (long i = 1; i <= 10000; i++) {
        assert_int_equal(plait_queue_push(q, (void *)(intptr_t)i), 0);
        want += i;
        assert_true(plait_queue_len(q) <= 4);
    }
    plait_queue_close(q);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(a.sum + b.sum, want);
    assert_int_equal(plait_queue_push(q, (void *)1), -1);
    plait_queue_free(q);
}

/* The same map behaviour with keys malloc'd and with keys in an arena. */
static void check_strmap(plait_arena *arena)
{
    plait_strmap m;
    if (arena) plait_strmap_init_arena(&m, arena);
    else plait_strmap_init(&m);
    char key[32];
    for (long i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%ld", i);
        assert_null(plait_strmap_put(&m, key, (void *)(intptr_t)(i + 1)));
    }
    assert_int_equal((intptr_t)plait_strmap_put(&m, "k7", (void *)(intptr_t)70), 8); /* replaced */
    assert_int_equal(m.len, 5000);
    for (long i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%ld", i);
        assert_int_equal((intptr_t)plait_strmap_get(&m, key), i == 7 ? 70 : i + 1);
    }
    assert_null(plait_strmap_get(&m, "absent"));
    size_t pos = 0, n = 0;
    const char *k;
    while (plait_strmap_next(&m, &pos, &k, NULL)) n++, assert_int_equal(k[0], 'k');
    assert_int_equal(n, 5000);
    plait_strmap_free(&m);
    assert_ptr_equal(m.arena, arena); /* still set up as it was */
    assert_null(plait_strmap_get(&m, "k1"));
}

static void test_strmap(void **state)
{
    (void)state;
    check_strmap(NULL);
    plait_arena a;
    plait_arena_init(&a);
    check_strmap(&a);
    assert_true(a.used >= 5000 * 3);
    plait_arena_free(&a);
}

/* Alignment, strings, large requests beside small ones, reuse after free.  Run under ASan in
 * the suite, so a block overrun or a leak of a block fails here. */
static void test_arena(void **state)
{
    (void)state;
    plait_arena a;
    plait_arena_init(&a);
    for (int round = 0; round < 2; round++) {
        char *prev = NULL;
        for (int i = 0; i < 20000; i++) {
            size_t n = (size_t)(i % 97) + 1;
            unsigned char *p = plait_arena_alloc(&a, n);
            assert_int_equal((uintptr_t)p % 16, 0);
            memset(p, i & 0xff, n);
            char buf[32];
            snprintf(buf, sizeof buf, "s%d", i);
            char *s = plait_arena_strdup(&a, buf);
            assert_string_equal(s, buf);
            if (prev) assert_int_equal(prev[0], 's'); /* earlier memory is untouched */
            prev = s;
            if (i % 5000 == 0) { /* bigger than a block: a block of its own */
                unsigned char *big = plait_arena_alloc(&a, (2u << 20) + (size_t)i);
                big[0] = 1, big[(2u << 20) + (size_t)i - 1] = 2;
            }
        }
        char *t = plait_arena_strndup(&a, "abcdef", 3);
        assert_string_equal(t, "abc");
        char *c = plait_arena_chars(&a, 5); /* unaligned room the caller fills */
        memcpy(c, "wxyz", 5);
        assert_string_equal(c, "wxyz");
        assert_true(a.used > 20000u * 49);
        plait_arena_free(&a);
        assert_int_equal(a.used, 0);
        assert_null(a.head);
    }
}

static void test_paths(void **state)
{
    (void)state;
    struct { const char *in, *out; } cases[] = {
        {"a/./b//c/../d", "a/b/d"}, {"/x/../../y", "/y"}, {"../a/b/..", "../a"},
        {"./", "."}, {"src/foo/../bar.rs", "src/bar.rs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = xstrdup(cases[i].in);
        plait_path_normalise(p);
        assert_string_equal(p, cases[i].out);
        free(p);
    }
    char *d = plait_path_dirname("a/b/c.rs");
    assert_string_equal(d, "a/b");
    free(d);
    assert_string_equal(plait_path_basename("a/b/c.rs"), "c.rs");
    strbuf sb = {0};
    strbuf_printf(&sb, "%d-%s", 7, "x");
    strbuf_puts(&sb, "!");
    assert_string_equal(strbuf_str(&sb), "7-x!");
    strbuf_free(&sb);
}

int main(void)
{
    plait_hash_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_normalised), cmocka_unit_test(test_hash_key_parts),
        cmocka_unit_test(test_uuid7_monotonic), cmocka_unit_test(test_queue_bounded),
        cmocka_unit_test(test_strmap), cmocka_unit_test(test_arena),          cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
