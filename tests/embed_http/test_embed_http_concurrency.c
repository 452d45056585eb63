/*
 * Concurrency tests for the HTTP embedder: several threads embed through one handle at once
 * (shared curl handle pool, breaker, counters) while another reads its state; and a half-open
 * breaker under a crowd admits exactly one probe.  Labelled concurrency for the TSan run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed_http/tserver.h"
#include "plait/embed.h"
#include "plait/error.h"

#define DIMS 24
#define THREADS 8
#define CALLS 20
#define PER_CALL 5

static tserver *g_srv;
static plait_embedder *g_e;
static atomic_int g_bad, g_done;

static plait_embed_http_opts opts(void)
{
    plait_embed_http_opts o = {0};
    o.url = tserver_url(g_srv);
    o.model = "conc-model";
    o.api_key_env = "PLAIT_TEST_CONC_KEY_UNSET";
    o.dims = DIMS;
    o.batch_size = 2;
    o.timeout_ms = 5000;
    o.max_retries = 5;
    o.backoff_base_ms = 1;
    o.backoff_max_ms = 5;
    o.breaker_cooldown_ms = 150;
    return o;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char bufs[PER_CALL][64];
    const char *texts[PER_CALL];
    float out[PER_CALL * DIMS], want[DIMS];
    for (int c = 0; c < CALLS; c++) {
        for (int i = 0; i < PER_CALL; i++) {
            snprintf(bufs[i], sizeof bufs[i], "thread %d call %d text %d", id, c, i);
            texts[i] = bufs[i];
        }
        if (plait_embed_batch(g_e, texts, PER_CALL, out) != PLAIT_OK) {
            fprintf(stderr, "thread %d: %s\n", id, plait_error_last());
            atomic_fetch_add(&g_bad, 1);
            continue;
        }
        for (int i = 0; i < PER_CALL; i++) {
            tserver_vector_unit(texts[i], DIMS, want);
            for (int j = 0; j < DIMS; j++)
                if (fabsf(out[i * DIMS + j] - want[j]) > 1e-5f) {
                    atomic_fetch_add(&g_bad, 1);
                    break;
                }
        }
    }
    atomic_fetch_add(&g_done, 1);
    return NULL;
}

static void *watcher(void *arg)
{
    (void)arg;
    while (atomic_load(&g_done) < THREADS) {
        plait_embed_http_status st;
        if (plait_embed_http_state(g_e, &st) != PLAIT_OK) atomic_fetch_add(&g_bad, 1);
        usleep(500);
    }
    return NULL;
}

static void test_many_threads_one_embedder(void **state)
{
    (void)state;
    g_srv = tserver_start(DIMS);
    assert_non_null(g_srv);
    plait_embed_http_opts o = opts();
    o.breaker_threshold = 50;
    assert_int_equal(plait_embed_open_http(&o, &g_e), PLAIT_OK);
    /* sprinkle transient failures through the run: every few requests fails once */
    for (int i = 0; i < 60; i++) {
        ts_action a = {.kind = TS_OK};
        if (i % 5 == 1) a = (ts_action){.kind = TS_STATUS, .status = 503};
        if (i % 7 == 3) a = (ts_action){.kind = TS_REVERSE};
        if (i % 11 == 4) a = (ts_action){.kind = TS_DROP};
        tserver_push(g_srv, a);
    }
    atomic_store(&g_bad, 0);
    atomic_store(&g_done, 0);
    pthread_t th[THREADS], w;
    pthread_create(&w, NULL, watcher, NULL);
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    pthread_join(w, NULL);
    assert_int_equal(atomic_load(&g_bad), 0);
    plait_embed_http_status st;
    assert_int_equal(plait_embed_http_state(g_e, &st), PLAIT_OK);
    /* 8 threads x 20 calls x 3 requests (5 texts, batches of 2) succeeded, after retries */
    assert_int_equal(st.successes, THREADS * CALLS * 3);
    /* The queue holds 10 503s and 6 dropped connections.  Each 503 costs one retry of ours; a
     * drop on a reused connection may instead be resent inside libcurl (once, on a fresh
     * connection), which the server sees but our counter does not. */
    assert_true(st.retries >= 10);
    assert_true(st.requests >= THREADS * CALLS * 3 + 10);
    assert_int_equal(st.state, PLAIT_BREAKER_CLOSED);
    assert_true(tserver_requests(g_srv) >= THREADS * CALLS * 3 + 16);
    plait_embed_free(g_e);
    g_e = NULL;
    tserver_stop(g_srv);
}

static atomic_int g_ok, g_fast;
static pthread_barrier_t g_bar;

static void *crowd(void *arg)
{
    (void)arg;
    const char *t[1] = {"probe me"};
    float out[DIMS];
    pthread_barrier_wait(&g_bar);
    int rc = plait_embed_batch(g_e, t, 1, out);
    if (rc == PLAIT_OK) atomic_fetch_add(&g_ok, 1);
    else if (strstr(plait_error_last(), "circuit breaker")) atomic_fetch_add(&g_fast, 1);
    return NULL;
}

static void test_half_open_single_probe(void **state)
{
    (void)state;
    g_srv = tserver_start(DIMS);
    assert_non_null(g_srv);
    plait_embed_http_opts o = opts();
    o.breaker_threshold = 1;
    o.max_retries = PLAIT_EMBED_HTTP_NONE;
    assert_int_equal(plait_embed_open_http(&o, &g_e), PLAIT_OK);
    const char *t[1] = {"x"};
    float out[DIMS];
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 500});
    assert_int_equal(plait_embed_batch(g_e, t, 1, out), PLAIT_EIO);
    plait_embed_http_status st;
    plait_embed_http_state(g_e, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_OPEN);
    usleep(180 * 1000);
    /* the probe is slow, so the rest of the crowd arrives while it is in flight */
    tserver_push(g_srv, (ts_action){.kind = TS_SLOW, .delay_ms = 300});
    atomic_store(&g_ok, 0);
    atomic_store(&g_fast, 0);
    pthread_barrier_init(&g_bar, NULL, THREADS);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, crowd, NULL);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&g_bar);
    assert_int_equal(atomic_load(&g_ok), 1);
    assert_int_equal(atomic_load(&g_fast), THREADS - 1);
    assert_int_equal(tserver_requests(g_srv), 2); /* the first failure and the one probe */
    plait_embed_http_state(g_e, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_CLOSED);
    plait_embed_free(g_e);
    g_e = NULL;
    tserver_stop(g_srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_threads_one_embedder),
        cmocka_unit_test(test_half_open_single_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
