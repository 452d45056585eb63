/*
 * Unit tests for src/embed against the reference runtime.
 *
 * data/use_lite_golden.json (the six shared goldens) and data/extra_golden.json (edge cases:
 * empty, separator only, NFKC compatibility forms, combining accents, unknown runs, astral
 * characters, tabs/newlines/NBSP, punctuation-heavy code, a text past the 128-token clip)
 * hold token ids and 512-d vectors made by TF.js with the reference tokenizer
 * (bench/embed/reference.js golden ...).  Ids must match exactly, vectors within 1e-4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/xalloc.h"
#include "embed/pins.h"
#include "embed/tokenizer.h"
#include "plait/embed.h"
#include "plait/error.h"

#define DIMS 512
#define MODEL_DIR PLAIT_SOURCE_DIR "/third_party/use-lite/dist"
#define DATA_DIR PLAIT_SOURCE_DIR "/tests/embed/data"

static plait_embedder *g_emb;

static int setup(void **state)
{
    (void)state;
    int rc = plait_embed_open_local(MODEL_DIR, NULL, &g_emb);
    if (rc != PLAIT_OK) fprintf(stderr, "open: %s\n", plait_error_last());
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    plait_embed_free(g_emb);
    return 0;
}

static json_t *load_json(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DATA_DIR, name);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j) fail_msg("%s: %s", path, err.text);
    return j;
}

/* Checks every text of a golden file: exact ids, vectors within 1e-4 per component. */
static void check_golden(const char *name)
{
    json_t *g = load_json(name);
    json_t *texts = json_object_get(g, "texts"), *ids = json_object_get(g, "ids"), *embs = json_object_get(g, "embeddings");
    size_t n = json_array_size(texts);
    assert_true(n > 0);
    const char **tv = xcalloc(n, sizeof *tv);
    for (size_t i = 0; i < n; i++) tv[i] = json_string_value(json_array_get(texts, i));
    for (size_t i = 0; i < n; i++) {
        int32_t *got;
        size_t ng;
        assert_int_equal(plait_embed_tokenize(g_emb, tv[i], strlen(tv[i]), &got, &ng), PLAIT_OK);
        json_t *want = json_array_get(ids, i);
        if (ng != json_array_size(want)) fail_msg("%s text %zu: %zu ids, golden has %zu", name, i, ng, json_array_size(want));
        for (size_t k = 0; k < ng; k++)
            if (got[k] != json_integer_value(json_array_get(want, k)))
                fail_msg("%s text %zu id %zu: %d, golden %d", name, i, k, got[k], (int)json_integer_value(json_array_get(want, k)));
        free(got);
    }
    float *out = xmalloc(n * DIMS * sizeof(float));
    double worst_all = 0;
    assert_int_equal(plait_embed_batch(g_emb, tv, n, out), PLAIT_OK);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(embs, i);
        assert_int_equal(json_array_size(row), DIMS);
        double worst = 0;
        for (size_t k = 0; k < DIMS; k++) {
            double d = fabs(out[i * DIMS + k] - json_real_value(json_array_get(row, k)));
            if (d > worst) worst = d;
        }
        if (worst > 1e-4) fail_msg("%s text %zu: max component error %g > 1e-4", name, i, worst);
        if (worst > worst_all) worst_all = worst;
    }
    print_message("%s: %zu texts, ids exact, max component error %.2g\n", name, n, worst_all);
    free(out);
    free(tv);
    json_decref(g);
}

static void test_shared_goldens(void **state)
{
    (void)state;
    check_golden("use_lite_golden.json");
}

static void test_edge_goldens(void **state)
{
    (void)state;
    check_golden("extra_golden.json");
}

static void test_properties(void **state)
{
    (void)state;
    assert_int_equal(plait_embed_dims(g_emb), DIMS);
    assert_int_equal(plait_embed_max_tokens(g_emb), 128);
    assert_string_equal(plait_embed_kind(g_emb), "local");
    const char *id = plait_embed_model_id(g_emb);
    assert_int_equal(strncmp(id, "use-lite@sha256:", 16), 0);
    assert_int_equal(strlen(id), 16 + 64);
    /* Stored vectors are keyed by this id: it changes only when the pins do (docs/embed.md). */
    assert_string_equal(id, "use-lite@sha256:d5a914c2585cb44445fc9d5c68a3f2b926027f332871e7d376e31bbfaae89328");
    assert_int_equal(plait_embed_batch(g_emb, NULL, 0, NULL), PLAIT_OK);
}

/* The empty string has no tokens, yet still gets the model's (normalised) vector. */
static void test_empty_string(void **state)
{
    (void)state;
    int32_t *ids = (int32_t *)1;
    size_t n = 99;
    assert_int_equal(plait_embed_tokenize(g_emb, "", 0, &ids, &n), PLAIT_OK);
    assert_int_equal(n, 0);
    assert_null(ids);
    const char *t[] = {""};
    float v[DIMS];
    assert_int_equal(plait_embed_batch(g_emb, t, 1, v), PLAIT_OK);
    double sq = 0;
    for (int i = 0; i < DIMS; i++) sq += (double)v[i] * v[i];
    assert_true(fabs(sq - 1.0) < 1e-5);
}

/* Only the first 128 tokens count: a text and the same text with more appended agree. */
static void test_long_text_clipped(void **state)
{
    (void)state;
    char *base = xmalloc(20000);
    base[0] = '\0';
    for (int i = 0; i < 200; i++) strcat(base, "open file read lines ");
    size_t blen = strlen(base);
    int32_t *ids;
    size_t n;
    assert_int_equal(plait_embed_tokenize(g_emb, base, blen, &ids, &n), PLAIT_OK);
    assert_true(n > 128 * 3);
    free(ids);
    char *longer = xasprintf("%s and then something else entirely different", base);
    const char *t[] = {base, longer};
    float v[2 * DIMS];
    assert_int_equal(plait_embed_batch(g_emb, t, 2, v), PLAIT_OK);
    /* Same tokens, different rows of one chunk: equal up to sgemm rounding. */
    for (int i = 0; i < DIMS; i++) assert_true(fabsf(v[i] - v[DIMS + i]) < 1e-6f);
    free(longer);
    free(base);
}

/* A multi-megabyte text is embedded (only its start matters) without blowing up. */
static void test_huge_text(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    char *huge = xmalloc(n + 1);
    const char *unit = "open file read lines \xE2\x80\x94 ";
    size_t ul = strlen(unit), k = 0;
    while (k + ul <= n) {
        memcpy(huge + k, unit, ul);
        k += ul;
    }
    huge[k] = '\0';
    char *small = xstrndup(huge, 40 * ul);
    const char *t[] = {huge, small};
    float v[2 * DIMS];
    assert_int_equal(plait_embed_batch(g_emb, t, 2, v), PLAIT_OK);
    for (int i = 0; i < DIMS; i++) assert_true(fabsf(v[i] - v[DIMS + i]) < 1e-6f);
    free(small);
    free(huge);
}

static void embed_one_by_one(const char *const *t, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++) assert_int_equal(plait_embed_batch(g_emb, t + i, 1, out + i * DIMS), PLAIT_OK);
}

/* A batch gives the same vectors as one call per text, and the thread count changes no bit. */
static void test_batch_matches_single(void **state)
{
    (void)state;
    enum { N = 150 };
    const char **t = xcalloc(N, sizeof *t);
    char **own = xcalloc(N, sizeof *own);
    for (size_t i = 0; i < N; i++) {
        own[i] = xasprintf("fn item_%zu parse %s value %zu into buffer %s", i, i % 3 ? "config" : "token stream", i * 7,
                           i % 5 ? "" : "with a much longer tail of words so chunk sizes vary across the batch");
        t[i] = own[i];
    }
    float *a = xmalloc(N * DIMS * sizeof(float)), *b = xmalloc(N * DIMS * sizeof(float));
    float *c = xmalloc(N * DIMS * sizeof(float));
    assert_int_equal(plait_embed_set_threads(g_emb, 1), PLAIT_OK);
    assert_int_equal(plait_embed_batch(g_emb, t, N, a), PLAIT_OK);
    embed_one_by_one(t, N, b);
    for (size_t i = 0; i < N * DIMS; i++)
        if (fabsf(a[i] - b[i]) > 1e-6f) fail_msg("component %zu: batch %g, single %g", i, a[i], b[i]);
    assert_int_equal(plait_embed_set_threads(g_emb, 2), PLAIT_OK);
    assert_int_equal(plait_embed_batch(g_emb, t, N, c), PLAIT_OK);
    assert_memory_equal(a, c, N * DIMS * sizeof(float));
    assert_int_equal(plait_embed_set_threads(g_emb, 1), PLAIT_OK);
    for (size_t i = 0; i < N; i++) free(own[i]);
    free(own);
    free(t);
    free(a);
    free(b);
    free(c);
}

/* Invalid UTF-8 never fails: each bad byte is U+FFFD, an unknown, and unknown runs merge. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    const char bad[] = "x\xff\xfe\xc3 \xed\xa0\x80y";
    int32_t *ids;
    size_t n;
    assert_int_equal(plait_embed_tokenize(g_emb, bad, sizeof bad - 1, &ids, &n), PLAIT_OK);
    const char good[] = "x\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBDy";
    int32_t *ids2;
    size_t n2;
    assert_int_equal(plait_embed_tokenize(g_emb, good, sizeof good - 1, &ids2, &n2), PLAIT_OK);
    assert_int_equal(n, n2);
    assert_memory_equal(ids, ids2, n * sizeof *ids);
    int zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == 0) zeros++;
        if (i && ids[i] == 0) assert_int_not_equal(ids[i - 1], 0);
    }
    assert_true(zeros >= 1);
    free(ids);
    free(ids2);
    const char *t[] = {bad};
    float v[DIMS];
    assert_int_equal(plait_embed_batch(g_emb, t, 1, v), PLAIT_OK);
}

/* NFKC: compatibility forms tokenize like their plain equivalents. */
static void test_nfkc_equivalence(void **state)
{
    (void)state;
    const char *pairs[][2] = {
        {"\xEF\xAC\x81le", "file"},                                /* U+FB01 ligature */
        {"\xEF\xBD\x86\xEF\xBD\x95\xEF\xBD\x8C\xEF\xBD\x8C", "full"}, /* fullwidth */
        {"cafe\xCC\x81", "caf\xC3\xA9"},                           /* combining acute composes */
        {"a\xC2\xA0" "b", "a b"},                                  /* NBSP -> space -> U+2581 */
    };
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        int32_t *a, *b;
        size_t na, nb;
        assert_int_equal(plait_embed_tokenize(g_emb, pairs[p][0], strlen(pairs[p][0]), &a, &na), PLAIT_OK);
        assert_int_equal(plait_embed_tokenize(g_emb, pairs[p][1], strlen(pairs[p][1]), &b, &nb), PLAIT_OK);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof *a);
        free(a);
        free(b);
    }
}

/* A model directory in /tmp whose files link to the real ones, except `victim`, which is a
 * copy changed by `mode`: 'f' flips one byte, 't' truncates, 'g' appends, 'm' is missing. */
static char *fake_model_dir(const char *victim, char mode)
{
    char tmpl[] = "/tmp/plait-embed-test-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    for (size_t i = 0; i < use_pin_count; i++) {
        char *src = plait_path_join(MODEL_DIR, use_pins[i].name), *dst = plait_path_join(tmpl, use_pins[i].name);
        if (strcmp(use_pins[i].name, victim) != 0) {
            assert_int_equal(symlink(src, dst), 0);
        } else if (mode != 'm') {
            char *buf;
            size_t len;
            assert_int_equal(plait_read_file(src, 0, &buf, &len), PLAIT_OK);
            if (mode == 'f') buf[len / 2] ^= 0x01;
            if (mode == 't') len -= 4096;
            if (mode == 'g') {
                buf = xrealloc(buf, len + 1);
                buf[len++] = '\n';
            }
            assert_int_equal(plait_write_file_atomic(dst, buf, len), PLAIT_OK);
            free(buf);
        }
        free(src);
        free(dst);
    }
    return xstrdup(tmpl);
}

static void remove_dir(char *dir)
{
    for (size_t i = 0; i < use_pin_count; i++) {
        char *p = plait_path_join(dir, use_pins[i].name);
        unlink(p);
        free(p);
    }
    rmdir(dir);
    free(dir);
}

static void expect_refused(const char *victim, char mode, int code)
{
    char *dir = fake_model_dir(victim, mode);
    plait_embedder *e = (plait_embedder *)1;
    int rc = plait_embed_open_local(dir, NULL, &e);
    if (rc != code) fail_msg("%s mode %c: got %d (%s), want %d", victim, mode, rc, plait_error_last(), code);
    assert_null(e);
    const char *msg = plait_error_last();
    if (!strstr(msg, victim) || !strstr(msg, "scripts/setup.sh")) fail_msg("message lacks the file or the fix: %s", msg);
    remove_dir(dir);
}

static void test_changed_files_refused(void **state)
{
    (void)state;
    expect_refused("group1-shard3of7", 'f', PLAIT_ECORRUPT);
    expect_refused("group1-shard7of7", 't', PLAIT_ECORRUPT);
    expect_refused("group1-shard1of7", 'g', PLAIT_ECORRUPT);
    expect_refused("group1-shard5of7", 'm', PLAIT_ENOTFOUND);
    expect_refused("vocab.json", 'f', PLAIT_ECORRUPT);
    expect_refused("model.json", 't', PLAIT_ECORRUPT);
    /* and the untouched set opens */
    char *dir = fake_model_dir("none", 'f');
    plait_embedder *e;
    assert_int_equal(plait_embed_open_local(dir, NULL, &e), PLAIT_OK);
    assert_string_equal(plait_embed_model_id(e), plait_embed_model_id(g_emb));
    plait_embed_free(e);
    remove_dir(dir);
}

/* PLAIT_MODEL_DIR is honoured, and a wrong one fails loudly instead of falling back. */
static void test_default_dir(void **state)
{
    (void)state;
    char *dir;
    setenv("PLAIT_MODEL_DIR", "/nonexistent/plait-model", 1);
    assert_int_equal(plait_embed_default_model_dir(&dir), PLAIT_OK);
    assert_string_equal(dir, "/nonexistent/plait-model");
    free(dir);
    plait_embedder *e;
    assert_int_equal(plait_embed_open_local(NULL, NULL, &e), PLAIT_ENOTFOUND);
    unsetenv("PLAIT_MODEL_DIR");
    assert_int_equal(plait_embed_default_model_dir(&dir), PLAIT_OK);
    assert_string_equal(dir, MODEL_DIR);
    free(dir);
}

/* A provider is anything implementing the vtable: a fake one goes through the same calls. */
static int fake_embed(void *impl, const char *const *texts, size_t n, float *out)
{
    (*(int *)impl)++;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (float)strlen(texts[i]);
        out[2 * i + 1] = 1;
    }
    return PLAIT_OK;
}
static void fake_destroy(void *impl) { *(int *)impl = -1; }

static void test_custom_provider(void **state)
{
    (void)state;
    static const plait_embedder_vtable vt = {.kind = "fake", .embed_batch = fake_embed, .destroy = fake_destroy};
    int calls = 0;
    plait_embedder *e;
    assert_int_equal(plait_embedder_new(&vt, &calls, 2, "fake@1", 0, &e), PLAIT_OK);
    const char *t[] = {"abc", "de"};
    float v[4];
    assert_int_equal(plait_embed_batch(e, t, 2, v), PLAIT_OK);
    assert_int_equal(calls, 1);
    assert_true(v[0] == 3 && v[2] == 2);
    int32_t *ids;
    size_t n;
    assert_int_equal(plait_embed_tokenize(e, "x", 1, &ids, &n), PLAIT_EINVALID);
    assert_int_equal(plait_embed_set_threads(e, 2), PLAIT_EINVALID);
    assert_string_equal(plait_embed_kind(e), "fake");
    plait_embed_free(e);
    assert_int_equal(calls, -1);
    assert_int_equal(plait_embedder_new(&vt, &calls, 0, "x", 0, &e), PLAIT_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_goldens),
        cmocka_unit_test(test_edge_goldens),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_empty_string),
        cmocka_unit_test(test_long_text_clipped),
        cmocka_unit_test(test_huge_text),
        cmocka_unit_test(test_batch_matches_single),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nfkc_equivalence),
        cmocka_unit_test(test_changed_files_refused),
        cmocka_unit_test(test_default_dir),
        cmocka_unit_test(test_custom_provider),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
