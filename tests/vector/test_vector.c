/*
 * Unit tests for the vector index: kernels against the portable reference, recall against
 * brute force for every metric and storage mode, deletes and replacements, recall after many
 * delete/insert rounds (slot reuse + repair), filtered search, parameter checks, batch insert.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plait/error.h"
#include "plait/vector.h"
#include "vector/distance.h"
#include "vtest.h"

static void check_family(const vx_kernels *k)
{
    const vx_kernels *ref = vx_kernels_portable();
    uint64_t s = 7;
    float a[517], b[517];
    int8_t x[517], y[517];
    int16_t qi[517];
    uint8_t bits[65];
    for (size_t n = 0; n <= 517; n = n < 40 ? n + 1 : n + 37) {
        for (size_t i = 0; i < sizeof bits; i++) bits[i] = (uint8_t)vt_next(&s);
        for (size_t i = 0; i < n; i++) {
            a[i] = vt_gauss(&s);
            b[i] = vt_gauss(&s);
            x[i] = (int8_t)(vt_next(&s) % 255 - 127);
            y[i] = (int8_t)(vt_next(&s) % 255 - 127);
        }
        double tol = 1e-4 * (double)(n + 1);
        assert_true(fabs(k->dot_f32(a, b, n) - ref->dot_f32(a, b, n)) <= tol);
        assert_true(fabs(k->l2_f32(a, b, n) - ref->l2_f32(a, b, n)) <= tol);
        assert_true(fabs(k->dot_f32_i8(a, x, n) - ref->dot_f32_i8(a, x, n)) <= tol * 127);
        assert_int_equal(k->dot_i8(x, y, n), ref->dot_i8(x, y, n));
        assert_true(fabs(k->dot_f32_i8b(a, x, bits, n) - ref->dot_f32_i8b(a, x, bits, n)) <= tol * 128);
        /* The int16-query kernel is integer arithmetic: every family gives the same sum. */
        for (size_t i = 0; i < n; i++) qi[i] = (int16_t)(vt_next(&s) % 65535 - 32767);
        assert_true(k->dot_i16_i9(qi, x, bits, n) == ref->dot_i16_i9(qi, x, bits, n));
    }
    /* Extremes (|q| 32767, codes -127 / 127, every bit set) over a length that crosses the
     * int32 widening blocks of the SIMD families, against a direct int64 sum. */
    static int16_t bq[5000];
    static int8_t bx[5000];
    static uint8_t bb[625];
    for (int pass = 0; pass < 3; pass++) {
        memset(bb, pass == 2 ? 0x5a : 0xff, sizeof bb);
        for (size_t i = 0; i < 5000; i++) {
            bq[i] = pass == 2 ? (int16_t)(vt_next(&s) % 65535 - 32767) : pass ? -32767 : 32767;
            bx[i] = pass == 2 ? (int8_t)(vt_next(&s) % 255 - 127) : 127;
        }
        for (size_t n = 4990; n <= 5000; n += 3) {
            int64_t e = 0;
            for (size_t i = 0; i < n; i++) e += (int64_t)bq[i] * (2 * bx[i] + ((bb[i >> 3] >> (i & 7)) & 1));
            assert_true(k->dot_i16_i9(bq, bx, bb, n) == e);
        }
    }
    /* The refinement-bit kernel against a direct double sum. */
    double e = 0;
    for (size_t i = 0; i < 400; i++) e += (double)a[i] * (x[i] + 0.5 * ((bits[i >> 3] >> (i & 7)) & 1));
    assert_true(fabs(ref->dot_f32_i8b(a, x, bits, 400) - e) < 0.05);
    /* The reference itself against a double-precision sum. */
    double d = 0;
    for (int i = 0; i < 100; i++) d += (double)a[i] * b[i];
    assert_true(fabs(ref->dot_f32(a, b, 100) - d) < 1e-3);
}

static void test_kernels_match_portable(void **state)
{
    (void)state;
    check_family(vx_kernels_portable());
    const vx_kernels *k2 = vx_kernels_avx2(), *k5 = vx_kernels_avx512();
    if (k2) check_family(k2);
    if (k5) check_family(k5);
    printf("kernels: avx2 %s, avx512 %s, chosen %s\n", k2 ? "yes" : "no", k5 ? "yes" : "no",
           plait_vindex_kernel_name());
}

/* Builds an index over `data` and returns mean recall@10 over nq held-out queries. */
static double recall_at(plait_vmetric m, plait_vstorage st, int keep, unsigned clusters, unsigned dim,
                        unsigned n, unsigned nq, unsigned ef, uint64_t seed)
{
    const unsigned k = 10;
    float *data = vt_data(n + nq, dim, clusters, seed);
    uint64_t *labels = malloc(sizeof(uint64_t) * n);
    for (unsigned i = 0; i < n; i++) labels[i] = 1000 + i * 7;
    plait_vindex_params p;
    plait_vindex_params_init(&p, dim);
    p.metric = m;
    p.storage = st;
    p.keep_float = (uint32_t)keep;
    p.ef_construction = 100;
    plait_vindex *ix;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    assert_int_equal(plait_vindex_add_batch(ix, labels, data, n, 1), PLAIT_OK);
    size_t hit = 0;
    for (unsigned q = 0; q < nq; q++) {
        uint64_t truth[10];
        plait_vindex_hit hits[10];
        size_t nh, nt = vt_brute(m, data, labels, NULL, n, dim, data + (size_t)(n + q) * dim, k, NULL, NULL, truth);
        plait_vindex_query opt = {.ef = ef};
        assert_int_equal(plait_vindex_search(ix, data + (size_t)(n + q) * dim, k, &opt, hits, &nh), PLAIT_OK);
        assert_int_equal(nh, k);
        for (size_t i = 1; i < nh; i++) assert_true(hits[i - 1].distance <= hits[i].distance);
        hit += vt_overlap(truth, nt, hits, nh);
    }
    plait_vindex_free(ix);
    free(data);
    free(labels);
    return (double)hit / (nq * k);
}

static double recall_for(plait_vmetric m, plait_vstorage st, int keep, unsigned clusters, unsigned dim)
{
    return recall_at(m, st, keep, clusters, dim, 3000, 100, 32, 42 + dim);
}

static void test_recall_metrics(void **state)
{
    (void)state;
    const plait_vmetric ms[] = {PLAIT_VMETRIC_L2, PLAIT_VMETRIC_IP, PLAIT_VMETRIC_COSINE};
    const char *names[] = {"l2", "ip", "cosine"};
    for (int i = 0; i < 3; i++) {
        double r = recall_for(ms[i], PLAIT_VSTORE_F32, 0, 20, 32);
        printf("recall@10 %s f32 clustered: %.3f\n", names[i], r);
        assert_true(r >= (ms[i] == PLAIT_VMETRIC_IP ? 0.90 : 0.95));
    }
    double u = recall_for(PLAIT_VMETRIC_L2, PLAIT_VSTORE_F32, 0, 0, 32);
    printf("recall@10 l2 f32 uniform: %.3f\n", u);
    assert_true(u >= 0.90);
}

static void test_recall_int8(void **state)
{
    (void)state;
    /* int8 codes are residuals of centroids trained on the first batch, so they keep the fine
     * detail that separates neighbours inside a cluster; re-ranking with kept floats is exact. */
    double f = recall_for(PLAIT_VMETRIC_COSINE, PLAIT_VSTORE_F32, 0, 20, 128);
    double q = recall_for(PLAIT_VMETRIC_COSINE, PLAIT_VSTORE_INT8, 0, 20, 128);
    double r = recall_for(PLAIT_VMETRIC_COSINE, PLAIT_VSTORE_INT8, 1, 20, 128);
    double l = recall_for(PLAIT_VMETRIC_L2, PLAIT_VSTORE_INT8, 1, 20, 32);
    printf("recall@10 128-d cosine f32 %.3f int8 %.3f int8+rerank %.3f; 32-d l2 int8+rerank %.3f\n", f, q, r, l);
    assert_true(q >= f - 0.01);
    assert_true(r >= f - 0.01);
    assert_true(l >= 0.93);
}

static void test_int8_matches_f32(void **state)
{
    (void)state;
    /* The int8 target: recall@10 within 0.01 of float32 at the same ef, without float copies.
     * 4,000 x 128-d in 8 Gaussian clusters (seeded), ef 64, built by one batch (which trains
     * the centroids).  The retired per-vector codes measured here: l2 0.9605 and cosine
     * 0.8910 against float32 0.998; centroid residuals with a refinement bit: 0.9925 both. */
    const plait_vmetric ms[] = {PLAIT_VMETRIC_L2, PLAIT_VMETRIC_COSINE};
    for (int i = 0; i < 2; i++) {
        double f = recall_at(ms[i], PLAIT_VSTORE_F32, 0, 8, 128, 4000, 200, 64, 5);
        double q = recall_at(ms[i], PLAIT_VSTORE_INT8, 0, 8, 128, 4000, 200, 64, 5);
        printf("recall@10 128-d %s ef 64: f32 %.4f int8 %.4f\n", i ? "cosine" : "l2", f, q);
        assert_true(q >= f - 0.01);
    }
}

static plait_vindex *small_index(unsigned n, unsigned dim, float **data_out, float compact)
{
    float *data = vt_data(n, dim, 8, 9);
    plait_vindex_params p;
    plait_vindex_params_init(&p, dim);
    p.compact_threshold = compact;
    p.ef_construction = 64;
    plait_vindex *ix;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    for (unsigned i = 0; i < n; i++) assert_int_equal(plait_vindex_add(ix, i, data + (size_t)i * dim), PLAIT_OK);
    *data_out = data;
    return ix;
}

static void test_deleted_never_returned(void **state)
{
    (void)state;
    const unsigned n = 2000, dim = 16;
    float *data;
    plait_vindex *ix = small_index(n, dim, &data, 0.0f);
    for (unsigned i = 0; i < n; i += 3) assert_int_equal(plait_vindex_remove(ix, i), PLAIT_OK);
    assert_int_equal(plait_vindex_remove(ix, 0), PLAIT_ENOTFOUND);
    assert_false(plait_vindex_contains(ix, 3));
    assert_true(plait_vindex_contains(ix, 4));
    for (int round = 0; round < 2; round++) {
        for (unsigned q = 0; q < n; q += 7) {
            plait_vindex_hit hits[50];
            size_t nh;
            assert_int_equal(plait_vindex_search(ix, data + (size_t)q * dim, 50, NULL, hits, &nh), PLAIT_OK);
            assert_int_equal(nh, 50);
            for (size_t i = 0; i < nh; i++) assert_true(hits[i].label % 3 != 0);
            if (q % 3) assert_int_equal(hits[0].label, q); /* a live vector finds itself */
        }
        plait_vindex_stats st;
        plait_vindex_get_stats(ix, &st);
        assert_int_equal(st.live, n - (n + 2) / 3);
        if (round == 0) {
            assert_int_equal(st.tombstones, (n + 2) / 3);
            assert_int_equal(plait_vindex_compact(ix), PLAIT_OK);
        } else {
            assert_int_equal(st.tombstones, 0);
            assert_int_equal(st.free_slots, (n + 2) / 3);
        }
    }
    /* Reinserting reuses the freed slots. */
    for (unsigned i = 0; i < n; i += 3) assert_int_equal(plait_vindex_add(ix, i, data + (size_t)i * dim), PLAIT_OK);
    plait_vindex_stats st;
    plait_vindex_get_stats(ix, &st);
    assert_int_equal(st.slots, n);
    assert_int_equal(st.live, n);
    plait_vindex_hit h;
    size_t nh;
    assert_int_equal(plait_vindex_search(ix, data + 300 * dim, 1, NULL, &h, &nh), PLAIT_OK);
    assert_int_equal(h.label, 300);
    plait_vindex_free(ix);
    free(data);
}

static void test_update_replaces(void **state)
{
    (void)state;
    const unsigned n = 500, dim = 16;
    float *data;
    plait_vindex *ix = small_index(n, dim, &data, 0.0f);
    float v[16], got[16];
    for (unsigned d = 0; d < dim; d++) v[d] = data[7 * dim + d]; /* label 5 takes row 7's vector */
    assert_int_equal(plait_vindex_add(ix, 5, v), PLAIT_OK);
    assert_int_equal(plait_vindex_get(ix, 5, got), PLAIT_OK);
    assert_memory_equal(got, v, sizeof v);
    plait_vindex_hit hits[5];
    size_t nh;
    assert_int_equal(plait_vindex_search(ix, data + 5 * dim, 5, NULL, hits, &nh), PLAIT_OK);
    for (size_t i = 0; i < nh; i++) assert_true(hits[i].label != 5 || hits[i].distance > 0);
    assert_int_equal(plait_vindex_search(ix, v, 2, NULL, hits, &nh), PLAIT_OK);
    assert_true((hits[0].label == 5 || hits[0].label == 7) && hits[0].distance == 0);
    assert_true((hits[1].label == 5 || hits[1].label == 7) && hits[1].distance == 0);
    plait_vindex_stats st;
    plait_vindex_get_stats(ix, &st);
    assert_int_equal(st.live, n);
    assert_int_equal(st.tombstones, 1);
    assert_int_equal(plait_vindex_get(ix, 99999, got), PLAIT_ENOTFOUND);
    plait_vindex_free(ix);
    free(data);
}

/* Replaces half the index in five rounds; recall must not decay and slots must be reused. */
static void test_replacement_rounds(void **state)
{
    (void)state;
    const unsigned n = 3000, dim = 24, nq = 100, rounds = 5, per = n / 10;
    const unsigned total = n + rounds * per;
    float *data = vt_data(total + nq, dim, 16, 5);
    uint64_t *labels = malloc(sizeof(uint64_t) * total);
    unsigned char *live = calloc(total, 1);
    for (unsigned i = 0; i < total; i++) labels[i] = i;
    plait_vindex_params p;
    plait_vindex_params_init(&p, dim);
    p.ef_construction = 100;
    p.compact_threshold = 0.05f;
    plait_vindex *ix;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(plait_vindex_add(ix, i, data + (size_t)i * dim), PLAIT_OK);
        live[i] = 1;
    }
    uint64_t rs = 77;
    double first = 0, last = 0;
    for (unsigned r = 0; r <= rounds; r++) {
        if (r) {
            for (unsigned d = 0; d < per;) { /* delete `per` random live rows */
                unsigned i = (unsigned)(vt_next(&rs) % (n + (r - 1) * per));
                if (!live[i]) continue;
                assert_int_equal(plait_vindex_remove(ix, i), PLAIT_OK);
                live[i] = 0;
                d++;
            }
            for (unsigned i = n + (r - 1) * per; i < n + r * per; i++) {
                assert_int_equal(plait_vindex_add(ix, i, data + (size_t)i * dim), PLAIT_OK);
                live[i] = 1;
            }
        }
        size_t hit = 0;
        for (unsigned q = 0; q < nq; q++) {
            uint64_t truth[10];
            plait_vindex_hit hits[10];
            size_t nh;
            const float *qv = data + (size_t)(total + q) * dim;
            size_t nt = vt_brute(p.metric, data, labels, live, total, dim, qv, 10, NULL, NULL, truth);
            plait_vindex_query opt = {.ef = 48};
            assert_int_equal(plait_vindex_search(ix, qv, 10, &opt, hits, &nh), PLAIT_OK);
            for (size_t i = 0; i < nh; i++) assert_true(live[hits[i].label]);
            hit += vt_overlap(truth, nt, hits, nh);
        }
        double rec = (double)hit / (nq * 10);
        if (!r) first = rec;
        last = rec;
        printf("replacement round %u: recall@10 %.3f\n", r, rec);
    }
    plait_vindex_stats st;
    plait_vindex_get_stats(ix, &st);
    printf("after %u%% replaced: live %llu slots %llu tombstones %llu free %llu\n", rounds * 10,
           (unsigned long long)st.live, (unsigned long long)st.slots, (unsigned long long)st.tombstones,
           (unsigned long long)st.free_slots);
    assert_int_equal(st.live, n);
    assert_true(st.slots <= n + 2 * per); /* slots were reused, not appended forever */
    assert_true(last >= first - 0.02);
    plait_vindex_free(ix);
    free(data);
    free(labels);
    free(live);
}

static int allow_mod(uint64_t label, void *ctx) { return label % *(unsigned *)ctx == 0; }

static void test_filtered_search(void **state)
{
    (void)state;
    const unsigned n = 4000, dim = 16, nq = 50;
    float *data;
    plait_vindex *ix = small_index(n, dim, &data, 0.0f);
    uint64_t *labels = malloc(sizeof(uint64_t) * n);
    for (unsigned i = 0; i < n; i++) labels[i] = i;
    float *queries = vt_data(nq, dim, 8, 1234);
    const unsigned mods[] = {2, 10, 100, 1000};
    for (int m = 0; m < 4; m++) {
        unsigned mod = mods[m];
        size_t hit = 0, want = 0;
        for (unsigned q = 0; q < nq; q++) {
            uint64_t truth[10];
            plait_vindex_hit hits[10];
            size_t nh;
            size_t nt = vt_brute(PLAIT_VMETRIC_L2, data, labels, NULL, n, dim, queries + q * dim, 10, allow_mod, &mod, truth);
            plait_vindex_query opt = {.ef = 32, .allow = allow_mod, .allow_ctx = &mod};
            assert_int_equal(plait_vindex_search(ix, queries + q * dim, 10, &opt, hits, &nh), PLAIT_OK);
            for (size_t i = 0; i < nh; i++) assert_int_equal(hits[i].label % mod, 0);
            hit += vt_overlap(truth, nt, hits, nh);
            want += nt;
        }
        printf("filtered search 1/%u: recall@10 %.3f\n", mod, (double)hit / want);
        assert_true((double)hit / want >= 0.95);
    }
    free(labels);
    free(queries);
    plait_vindex_free(ix);
    free(data);
}

static void test_invalid_input(void **state)
{
    (void)state;
    plait_vindex_params p;
    plait_vindex *ix = NULL;
    plait_vindex_params_init(&p, 0);
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_EINVALID);
    assert_non_null(strstr(plait_error_last(), "dimension"));
    plait_vindex_params_init(&p, 4);
    p.M = 1;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_EINVALID);
    plait_vindex_params_init(&p, 4);
    p.metric = (plait_vmetric)9;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_EINVALID);
    plait_vindex_params_init(&p, 4);
    p.metric = PLAIT_VMETRIC_COSINE;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    float zero[4] = {0}, nan[4] = {1, NAN, 0, 0}, ok[4] = {1, 2, 3, 4};
    assert_int_equal(plait_vindex_add(ix, 1, zero), PLAIT_EINVALID);
    assert_int_equal(plait_vindex_add(ix, 1, nan), PLAIT_EINVALID);
    plait_vindex_hit h;
    size_t nh = 9;
    assert_int_equal(plait_vindex_search(ix, ok, 1, NULL, &h, &nh), PLAIT_OK);
    assert_int_equal(nh, 0); /* empty index */
    assert_int_equal(plait_vindex_add(ix, 1, ok), PLAIT_OK);
    assert_int_equal(plait_vindex_search(ix, ok, 1, NULL, &h, &nh), PLAIT_OK);
    assert_int_equal(nh, 1);
    assert_true(fabsf(h.distance) < 1e-6f);
    assert_int_equal(plait_vindex_search(ix, zero, 1, NULL, &h, &nh), PLAIT_EINVALID);
    assert_int_equal(plait_vindex_remove(ix, 1), PLAIT_OK);
    assert_int_equal(plait_vindex_search(ix, ok, 1, NULL, &h, &nh), PLAIT_OK);
    assert_int_equal(nh, 0);
    plait_vindex_free(ix);
}

static void test_batch_threads(void **state)
{
    (void)state;
    const unsigned n = 3000, dim = 16;
    float *data = vt_data(n, dim, 10, 3);
    uint64_t *labels = malloc(sizeof(uint64_t) * n);
    for (unsigned i = 0; i < n; i++) labels[i] = (uint64_t)i << 32;
    plait_vindex_params p;
    plait_vindex_params_init(&p, dim);
    p.ef_construction = 64;
    plait_vindex *ix;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    assert_int_equal(plait_vindex_add_batch(ix, labels, data, n, 4), PLAIT_OK);
    unsigned self = 0;
    for (unsigned i = 0; i < n; i++) {
        assert_true(plait_vindex_contains(ix, labels[i]));
        plait_vindex_hit h;
        size_t nh;
        assert_int_equal(plait_vindex_search(ix, data + (size_t)i * dim, 1, NULL, &h, &nh), PLAIT_OK);
        self += h.label == labels[i];
    }
    printf("batch (4 threads): %u/%u find themselves\n", self, n);
    assert_true(self >= n * 99 / 100);
    float bad[16] = {[3] = INFINITY};
    memcpy(data + 5 * dim, bad, sizeof bad);
    assert_int_equal(plait_vindex_add_batch(ix, labels, data, n, 2), PLAIT_EINVALID);
    assert_non_null(strstr(plait_error_last(), "not finite"));
    plait_vindex_free(ix);
    free(labels);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_match_portable), cmocka_unit_test(test_recall_metrics),
        cmocka_unit_test(test_recall_int8),            cmocka_unit_test(test_int8_matches_f32),            cmocka_unit_test(test_deleted_never_returned),
        cmocka_unit_test(test_update_replaces),        cmocka_unit_test(test_replacement_rounds),
        cmocka_unit_test(test_filtered_search),        cmocka_unit_test(test_invalid_input),
        cmocka_unit_test(test_batch_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
