/*
 * The concurrency stress test from the architecture review: mutator threads insert, replace
 * and delete vectors while a searcher queries and a saver takes snapshots (and compacts) at
 * the same time; auto-compaction fires along the way.  Run under ThreadSanitizer in the suite.
 *
 * What is checked, with each mutator's progress published through an atomic op counter:
 *  - a search never returns a label whose delete finished before the search began, nor one
 *    whose add had not begun when it ended (no resurrection, no phantoms);
 *  - every snapshot, loaded back, holds exactly the labels the op log says were present at
 *    some moment during the save (no lost or resurrected vectors), with the right versions;
 *  - at the end the index holds exactly the expected labels and vectors, and finds them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plait/error.h"
#include "plait/vector.h"
#include "vtest.h"

#define MUTATORS 2
#define PER_THREAD 2500
#define DIM 16
#define NEVER UINT32_MAX

enum { OP_ADD, OP_DEL, OP_UPD };
typedef struct { uint8_t kind; uint32_t i; } op;
typedef struct { uint32_t add, del, upd; } life; /* op index of each event, NEVER if none */

static op ops[MUTATORS][PER_THREAD * 3];
static uint32_t nops[MUTATORS];
static life lives[MUTATORS][PER_THREAD];
static _Atomic uint32_t done[MUTATORS];
static _Atomic int stop, errors, snapshots, searches;
static plait_vindex *ix;
static char snap_path[256];

static uint64_t label_of(int t, uint32_t i) { return ((uint64_t)(t + 1) << 40) | i; }

static void vec_of(uint64_t label, int version, float *v)
{
    uint64_t s = label * 2 + (uint64_t)version;
    for (int d = 0; d < DIM; d++) v[d] = vt_gauss(&s);
}

static void plan(void)
{
    for (int t = 0; t < MUTATORS; t++) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < PER_THREAD; i++) lives[t][i] = (life){NEVER, NEVER, NEVER};
        for (uint32_t i = 0; i < PER_THREAD; i++) {
            lives[t][i].add = k;
            ops[t][k++] = (op){OP_ADD, i};
            if (i >= 2 && (i - 2) % 3 == 0) {
                lives[t][i - 2].del = k;
                ops[t][k++] = (op){OP_DEL, i - 2};
            }
            if (i >= 1 && (i - 1) % 3 != 0 && (i - 1) % 4 == 1) {
                lives[t][i - 1].upd = k;
                ops[t][k++] = (op){OP_UPD, i - 1};
            }
        }
        nops[t] = k;
    }
}

static int present_at(const life *l, uint32_t p) { return l->add < p && !(l->del < p); }

static void report(const char *what, uint64_t label)
{
    fprintf(stderr, "stress: %s (label %llx)\n", what, (unsigned long long)label);
    atomic_fetch_add(&errors, 1);
}

static void *mutator(void *arg)
{
    int t = (int)(intptr_t)arg;
    float v[DIM];
    for (uint32_t k = 0; k < nops[t]; k++) {
        uint64_t label = label_of(t, ops[t][k].i);
        int rc;
        if (ops[t][k].kind == OP_DEL) rc = plait_vindex_remove(ix, label);
        else {
            vec_of(label, ops[t][k].kind == OP_UPD ? 2 : 1, v);
            rc = plait_vindex_add(ix, label, v);
        }
        if (rc) report(plait_error_last(), label);
        atomic_store_explicit(&done[t], k + 1, memory_order_release);
    }
    return NULL;
}

static void *searcher(void *arg)
{
    (void)arg;
    uint64_t s = 1;
    float q[DIM];
    while (!atomic_load(&stop)) {
        uint32_t c0[MUTATORS], c1[MUTATORS];
        for (int t = 0; t < MUTATORS; t++) c0[t] = atomic_load_explicit(&done[t], memory_order_acquire);
        vec_of(label_of((int)(vt_next(&s) % MUTATORS), (uint32_t)(vt_next(&s) % PER_THREAD)), 1, q);
        plait_vindex_hit hits[10];
        size_t nh;
        if (plait_vindex_search(ix, q, 10, NULL, hits, &nh)) report("search failed", 0);
        for (int t = 0; t < MUTATORS; t++) c1[t] = atomic_load_explicit(&done[t], memory_order_acquire);
        for (size_t h = 0; h < nh; h++) {
            int t = (int)(hits[h].label >> 40) - 1;
            uint32_t i = (uint32_t)(hits[h].label & 0xffffffffffull);
            if (t < 0 || t >= MUTATORS || i >= PER_THREAD) {
                report("unknown label returned", hits[h].label);
                continue;
            }
            if (lives[t][i].del < c0[t]) report("deleted label returned", hits[h].label);
            if (lives[t][i].add > c1[t]) report("label returned before its add began", hits[h].label);
        }
        atomic_fetch_add(&searches, 1);
    }
    return NULL;
}

/* The snapshot of thread t must equal the state after some prefix p of its ops with
 * cb <= p <= ca + 1 (op ca may have finished inside the save before its counter moved):
 * every label present exactly when added and not yet deleted by p, at the version p implies. */
static void check_snapshot(const uint32_t *cb, const uint32_t *ca, uint64_t gen)
{
    plait_vindex *sx;
    uint64_t g;
    if (plait_vindex_load(&sx, snap_path, &g)) {
        report(plait_error_last(), 0);
        return;
    }
    if (g != gen) report("snapshot generation mismatch", g);
    static signed char has[MUTATORS][PER_THREAD], ver[MUTATORS][PER_THREAD];
    float v[DIM], want[DIM];
    for (int t = 0; t < MUTATORS; t++)
        for (uint32_t i = 0; i < PER_THREAD; i++) {
            uint64_t label = label_of(t, i);
            has[t][i] = (signed char)plait_vindex_contains(sx, label);
            ver[t][i] = 0;
            if (!has[t][i]) continue;
            plait_vindex_get(sx, label, v);
            for (int k = 1; k <= 2 && !ver[t][i]; k++) {
                vec_of(label, k, want);
                if (!memcmp(v, want, sizeof v)) ver[t][i] = (signed char)k;
            }
            if (!ver[t][i]) report("snapshot vector is neither version", label);
        }
    for (int t = 0; t < MUTATORS; t++) {
        int ok = 0;
        for (uint32_t p = cb[t]; p <= ca[t] + 1 && !ok; p++) {
            ok = 1;
            for (uint32_t i = 0; i < PER_THREAD && ok; i++) {
                const life *l = &lives[t][i];
                int want_has = present_at(l, p);
                ok = has[t][i] == want_has && (!want_has || ver[t][i] == (l->upd < p ? 2 : 1));
            }
        }
        if (!ok) {
            fprintf(stderr, "thread %d: no prefix in [%u, %u] matches\n", t, cb[t], ca[t] + 1);
            report("snapshot lost or resurrected a vector", (uint64_t)t);
        }
    }
    plait_vindex_free(sx);
}

static void *saver(void *arg)
{
    (void)arg;
    for (uint64_t gen = 1; !atomic_load(&stop) || atomic_load(&snapshots) < 2; gen++) {
        uint32_t cb[MUTATORS], ca[MUTATORS];
        for (int t = 0; t < MUTATORS; t++) cb[t] = atomic_load_explicit(&done[t], memory_order_acquire);
        if (plait_vindex_save(ix, snap_path, gen)) report(plait_error_last(), 0);
        for (int t = 0; t < MUTATORS; t++) ca[t] = atomic_load_explicit(&done[t], memory_order_acquire);
        check_snapshot(cb, ca, gen);
        atomic_fetch_add(&snapshots, 1);
        if (gen % 3 == 0) plait_vindex_compact(ix);
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    return NULL;
}

static void test_stress(void **state)
{
    (void)state;
    plan();
    snprintf(snap_path, sizeof snap_path, "/tmp/plait_vstress_%d.vix", (int)getpid());
    plait_vindex_params p;
    plait_vindex_params_init(&p, DIM);
    p.M = 8;
    p.ef_construction = 32;
    p.compact_threshold = 0.1f;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    pthread_t mt[MUTATORS], st, sv;
    for (int t = 0; t < MUTATORS; t++) assert_int_equal(pthread_create(&mt[t], NULL, mutator, (void *)(intptr_t)t), 0);
    assert_int_equal(pthread_create(&st, NULL, searcher, NULL), 0);
    assert_int_equal(pthread_create(&sv, NULL, saver, NULL), 0);
    for (int t = 0; t < MUTATORS; t++) pthread_join(mt[t], NULL);
    atomic_store(&stop, 1);
    pthread_join(st, NULL);
    pthread_join(sv, NULL);
    unlink(snap_path);

    assert_int_equal(plait_vindex_compact(ix), PLAIT_OK); /* as a long-running index would, now and then */
    uint32_t final[MUTATORS];
    for (int t = 0; t < MUTATORS; t++) final[t] = nops[t];
    size_t expect = 0, found = 0, unreachable = 0;
    float v[DIM], w[DIM];
    for (int t = 0; t < MUTATORS; t++)
        for (uint32_t i = 0; i < PER_THREAD; i++) {
            const life *l = &lives[t][i];
            uint64_t label = label_of(t, i);
            int want = present_at(l, final[t]);
            assert_int_equal(plait_vindex_contains(ix, label), want);
            if (!want) continue;
            expect++;
            vec_of(label, l->upd != NEVER ? 2 : 1, w);
            assert_int_equal(plait_vindex_get(ix, label, v), PLAIT_OK);
            assert_memory_equal(v, w, sizeof v);
            plait_vindex_hit h;
            size_t nh;
            plait_vindex_query q = {.ef = 64};
            assert_int_equal(plait_vindex_search(ix, w, 1, &q, &h, &nh), PLAIT_OK);
            found += nh == 1 && h.label == label;
            if (!(nh == 1 && h.label == label)) { /* missed: is it reachable at all? */
                plait_vindex_query all = {.ef = 2 * MUTATORS * PER_THREAD}; /* more than there are nodes */
                assert_int_equal(plait_vindex_search(ix, w, 1, &all, &h, &nh), PLAIT_OK);
                unreachable += !(nh == 1 && h.label == label);
            }
        }
    plait_vindex_stats s;
    plait_vindex_get_stats(ix, &s);
    printf("stress: %d searches, %d snapshots, live %llu (expected %zu), slots %llu, free %llu, "
           "tombstones %llu, found themselves %zu/%zu, unreachable %zu\n",
           atomic_load(&searches), atomic_load(&snapshots), (unsigned long long)s.live, expect,
           (unsigned long long)s.slots, (unsigned long long)s.free_slots,
           (unsigned long long)s.tombstones, found, expect, unreachable);
    assert_int_equal(s.live, expect);
    assert_int_equal(atomic_load(&errors), 0);
    assert_true(atomic_load(&snapshots) >= 2);
    assert_true(found >= expect * 98 / 100);
    /* Churn used to leave 0.3-0.6% of the live nodes with no incoming link (stored, but no
     * search could reach them); compaction now relinks them (compact.c, step 4).  What can
     * remain is a rare pair or triple linked only to each other. */
    assert_true(unreachable * 400 <= expect);
    plait_vindex_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stress)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
