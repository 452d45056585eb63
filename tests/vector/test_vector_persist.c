/*
 * Persistence tests for the vector index: save/load round trips are bit-identical and give
 * identical answers; deterministic builds give identical files; truncated, bit-flipped,
 * foreign, newer-version and structurally inconsistent (but correctly checksummed) files are
 * refused with a clear error, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "plait/error.h"
#include "plait/vector.h"
#include "vector/vx_internal.h"
#include "vtest.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/plait_vpersist_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *tpath(const char *name) { return plait_path_join(tmpdir, name); }

static plait_vindex *build(plait_vstorage st, int keep, unsigned n, unsigned dim, float **data_out)
{
    float *data = vt_data(n, dim, 6, 17);
    plait_vindex_params p;
    plait_vindex_params_init(&p, dim);
    p.metric = PLAIT_VMETRIC_COSINE;
    p.storage = st;
    p.keep_float = (uint32_t)keep;
    p.ef_construction = 50;
    p.M = 8;
    p.seed = 99;
    p.compact_threshold = 0;
    plait_vindex *ix;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    if (st == PLAIT_VSTORE_INT8 && n >= 1024) {
        /* A batch this large trains the int8 centroids (one thread: reproducible). */
        uint64_t *labels = malloc(n * sizeof *labels);
        for (unsigned i = 0; i < n; i++) labels[i] = 5000 + i;
        assert_int_equal(plait_vindex_add_batch(ix, labels, data, n, 1), PLAIT_OK);
        free(labels);
    } else {
        for (unsigned i = 0; i < n; i++) assert_int_equal(plait_vindex_add(ix, 5000 + i, data + (size_t)i * dim), PLAIT_OK);
    }
    if (data_out) *data_out = data;
    else free(data);
    return ix;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    char *buf;
    assert_int_equal(plait_read_file(path, 0, &buf, len), PLAIT_OK);
    return (uint8_t *)buf;
}

static void round_trip(plait_vstorage st, int keep)
{
    const unsigned n = 1500, dim = 24;
    float *data;
    plait_vindex *ix = build(st, keep, n, dim, &data);
    for (unsigned i = 0; i < n; i += 5) assert_int_equal(plait_vindex_remove(ix, 5000 + i), PLAIT_OK);
    assert_int_equal(plait_vindex_compact(ix), PLAIT_OK); /* free slots ... */
    for (unsigned i = 0; i < n; i += 10) assert_int_equal(plait_vindex_add(ix, 5000 + i, data + (size_t)i * dim), PLAIT_OK);
    for (unsigned i = 1; i < n; i += 50) assert_int_equal(plait_vindex_remove(ix, 5000 + i), PLAIT_OK); /* ... and tombstones */
    char *a = tpath("a.vix"), *b = tpath("b.vix");
    assert_int_equal(plait_vindex_save(ix, a, 42), PLAIT_OK);
    plait_vindex *lx;
    uint64_t gen = 0;
    assert_int_equal(plait_vindex_load(&lx, a, &gen), PLAIT_OK);
    assert_int_equal(gen, 42);
    assert_int_equal(plait_vindex_save(lx, b, 42), PLAIT_OK);
    size_t la, lb;
    uint8_t *ba = slurp(a, &la), *bb = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ba, bb, la);
    plait_vindex_stats s1, s2;
    plait_vindex_get_stats(ix, &s1);
    plait_vindex_get_stats(lx, &s2);
    assert_int_equal(s1.live, s2.live);
    assert_int_equal(s1.tombstones, s2.tombstones);
    assert_int_equal(s1.free_slots, s2.free_slots);
    assert_int_equal(s2.generation, 42);
    plait_vindex_params p1, p2;
    plait_vindex_get_params(ix, &p1);
    plait_vindex_get_params(lx, &p2);
    assert_memory_equal(&p1, &p2, sizeof p1);
    for (unsigned q = 0; q < n; q += 37) {
        plait_vindex_hit h1[10], h2[10];
        size_t n1, n2;
        assert_int_equal(plait_vindex_search(ix, data + (size_t)q * dim, 10, NULL, h1, &n1), PLAIT_OK);
        assert_int_equal(plait_vindex_search(lx, data + (size_t)q * dim, 10, NULL, h2, &n2), PLAIT_OK);
        assert_int_equal(n1, n2);
        for (size_t i = 0; i < n1; i++) {
            assert_int_equal(h1[i].label, h2[i].label);
            assert_true(h1[i].distance == h2[i].distance);
        }
    }
    /* The loaded index stays fully usable. */
    assert_int_equal(plait_vindex_add(lx, 1, data), PLAIT_OK);
    assert_true(plait_vindex_contains(lx, 1));
    free(ba);
    free(bb);
    free(a);
    free(b);
    plait_vindex_free(ix);
    plait_vindex_free(lx);
    free(data);
}

static void test_round_trip_f32(void **state) { (void)state; round_trip(PLAIT_VSTORE_F32, 0); }
static void test_round_trip_int8(void **state) { (void)state; round_trip(PLAIT_VSTORE_INT8, 0); }
static void test_round_trip_int8_keep(void **state) { (void)state; round_trip(PLAIT_VSTORE_INT8, 1); }

static void test_empty_round_trip(void **state)
{
    (void)state;
    plait_vindex_params p;
    plait_vindex_params_init(&p, 3);
    plait_vindex *ix, *lx;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    char *a = tpath("empty.vix");
    assert_int_equal(plait_vindex_save(ix, a, 7), PLAIT_OK);
    assert_int_equal(plait_vindex_load(&lx, a, NULL), PLAIT_OK);
    float v[3] = {1, 2, 3};
    plait_vindex_hit h;
    size_t nh;
    assert_int_equal(plait_vindex_search(lx, v, 1, NULL, &h, &nh), PLAIT_OK);
    assert_int_equal(nh, 0);
    plait_vindex_free(ix);
    plait_vindex_free(lx);
    free(a);
}

static void test_deterministic_build(void **state)
{
    (void)state;
    plait_vindex *x = build(PLAIT_VSTORE_F32, 0, 800, 16, NULL), *y = build(PLAIT_VSTORE_F32, 0, 800, 16, NULL);
    char *a = tpath("d1.vix"), *b = tpath("d2.vix");
    assert_int_equal(plait_vindex_save(x, a, 1), PLAIT_OK);
    assert_int_equal(plait_vindex_save(y, b, 1), PLAIT_OK);
    size_t la, lb;
    uint8_t *ba = slurp(a, &la), *bb = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ba, bb, la);
    free(ba);
    free(bb);
    free(a);
    free(b);
    plait_vindex_free(x);
    plait_vindex_free(y);
}

static int load_bytes(const uint8_t *b, size_t len)
{
    plait_vindex *ix = NULL;
    int rc = plait_vindex_load_buffer(&ix, b, len, NULL);
    if (rc == PLAIT_OK) plait_vindex_free(ix);
    else assert_null(ix);
    return rc;
}

static void test_corruption(void **state)
{
    (void)state;
    plait_vindex *ix = build(PLAIT_VSTORE_INT8, 1, 300, 8, NULL);
    char *a = tpath("c.vix");
    assert_int_equal(plait_vindex_save(ix, a, 3), PLAIT_OK);
    plait_vindex_free(ix);
    size_t len;
    uint8_t *b = slurp(a, &len);
    assert_int_equal(load_bytes(b, len), PLAIT_OK);
    /* Truncation anywhere. */
    for (size_t cut = 0; cut < len; cut += (cut < 400 ? 1 : 97)) {
        int rc = load_bytes(b, cut);
        assert_true(rc == PLAIT_EINVALID || rc == PLAIT_ECORRUPT);
    }
    /* Any single flipped byte is caught (every byte is checksummed or checked). */
    uint8_t *c = malloc(len);
    for (size_t i = 0; i < len; i += (i < 400 ? 1 : 13)) {
        memcpy(c, b, len);
        c[i] ^= 0x5a;
        int rc = load_bytes(c, len);
        if (rc == PLAIT_OK) fail_msg("flip at byte %zu accepted", i);
    }
    /* Extra bytes at the end. */
    uint8_t *d = calloc(1, len + 64);
    memcpy(d, b, len);
    assert_int_equal(load_bytes(d, len + 64), PLAIT_ECORRUPT);
    free(d);
    /* Foreign file and empty file on disk. */
    char *f = tpath("foreign.txt");
    assert_int_equal(plait_write_file_atomic(f, "hello, world\n", 13), PLAIT_OK);
    plait_vindex *lx;
    assert_int_equal(plait_vindex_load(&lx, f, NULL), PLAIT_EINVALID);
    assert_non_null(strstr(plait_error_last(), "not a plait vector index"));
    assert_int_equal(plait_write_file_atomic(f, "", 0), PLAIT_OK);
    assert_int_equal(plait_vindex_load(&lx, f, NULL), PLAIT_EINVALID);
    char *missing = tpath("nope.vix");
    assert_int_equal(plait_vindex_load(&lx, missing, NULL), PLAIT_ENOTFOUND);
    /* A newer format is reported as such, even with valid checksums. */
    memcpy(c, b, len);
    c[8] = 3;
    assert_int_equal(vx_persist_reseal(c, len), 0);
    assert_int_equal(load_bytes(c, len), PLAIT_EVERSION);
    assert_non_null(strstr(plait_error_last(), "format 3"));
    /* Format 1 with int8 storage (the retired per-vector quantisation) is refused clearly. */
    memcpy(c, b, len);
    c[8] = 1;
    assert_int_equal(vx_persist_reseal(c, len), 0);
    assert_int_equal(load_bytes(c, len), PLAIT_EVERSION);
    assert_non_null(strstr(plait_error_last(), "format 1 with int8"));
    /* Structural lies behind valid checksums: a neighbour id out of range, a bad level, a
     * bad entry point, a dimension that does not fit the sections. */
    size_t links_off, nodes_off;
    memcpy(&nodes_off, b + 80 + 8, 8);
    memcpy(&links_off, b + 80 + 56 + 8, 8);
    const struct { size_t at; uint32_t val; } lies[] = {
        {links_off + 4, 100000}, {nodes_off + 8, 200}, {68, 1000}, {24, 9}, {40, 1}, {64, 301},
    };
    for (size_t i = 0; i < sizeof lies / sizeof *lies; i++) {
        memcpy(c, b, len);
        if (lies[i].at == nodes_off + 8) c[lies[i].at] = (uint8_t)lies[i].val;
        else memcpy(c + lies[i].at, &lies[i].val, 4);
        assert_int_equal(vx_persist_reseal(c, len), 0);
        int rc = load_bytes(c, len);
        if (rc != PLAIT_ECORRUPT) fail_msg("lie %zu: rc %d (%s)", i, rc, plait_error_last());
    }
    /* Format 1 float32 files (same layout) still load. */
    {
        plait_vindex *fx = build(PLAIT_VSTORE_F32, 0, 200, 8, NULL);
        char *fp = tpath("v1.vix");
        assert_int_equal(plait_vindex_save(fx, fp, 3), PLAIT_OK);
        size_t fl;
        uint8_t *fb = slurp(fp, &fl);
        fb[8] = 1;
        assert_int_equal(vx_persist_reseal(fb, fl), 0);
        plait_vindex *lx1;
        assert_int_equal(plait_vindex_load_buffer(&lx1, fb, fl, NULL), PLAIT_OK);
        plait_vindex_stats st1;
        plait_vindex_get_stats(lx1, &st1);
        assert_int_equal(st1.live, 200);
        plait_vindex_free(lx1);
        plait_vindex_free(fx);
        free(fb);
        free(fp);
    }
    /* Trained int8 index: a vector naming a missing centroid, a bad centroid count. */
    {
        plait_vindex *tx = build(PLAIT_VSTORE_INT8, 0, 1200, 8, NULL);
        char *tp = tpath("trained.vix");
        assert_int_equal(plait_vindex_save(tx, tp, 3), PLAIT_OK);
        size_t tl;
        uint8_t *tb = slurp(tp, &tl);
        assert_int_equal(load_bytes(tb, tl), PLAIT_OK);
        size_t pay_off, flt_off;
        memcpy(&pay_off, tb + 80 + 2 * 56 + 8, 8);
        memcpy(&flt_off, tb + 80 + 3 * 56 + 8, 8);
        uint32_t ncent;
        memcpy(&ncent, tb + flt_off, 4);
        assert_true(ncent >= 32);
        const struct { size_t at; uint32_t val; } clies[] = {
            {pay_off + 8, ncent}, {pay_off + 8, 7777}, {flt_off, ncent + 1}, {flt_off, 100000}, {flt_off + 4, 1},
        };
        for (size_t i = 0; i < sizeof clies / sizeof *clies; i++) {
            uint8_t *tc = malloc(tl);
            memcpy(tc, tb, tl);
            memcpy(tc + clies[i].at, &clies[i].val, 4);
            assert_int_equal(vx_persist_reseal(tc, tl), 0);
            int rc = load_bytes(tc, tl);
            if (rc != PLAIT_ECORRUPT) fail_msg("centroid lie %zu: rc %d (%s)", i, rc, plait_error_last());
            free(tc);
        }
        plait_vindex_free(tx);
        free(tb);
        free(tp);
    }
    /* Saving into a directory that does not exist fails cleanly. */
    ix = build(PLAIT_VSTORE_F32, 0, 10, 4, NULL);
    assert_int_equal(plait_vindex_save(ix, "/nonexistent-dir/x.vix", 1), PLAIT_EIO);
    plait_vindex_free(ix);
    free(c);
    free(b);
    free(a);
    free(f);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_f32),   cmocka_unit_test(test_round_trip_int8),
        cmocka_unit_test(test_round_trip_int8_keep), cmocka_unit_test(test_empty_round_trip),
        cmocka_unit_test(test_deterministic_build), cmocka_unit_test(test_corruption),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
