/*
 * Unit tests for the HTTP embedder (src/embed/http.c, breaker.c) against a real HTTP server
 * on loopback (tserver.c, started per test on an ephemeral port) that injects errors,
 * slowness, wrong dimensions, malformed JSON, reordered rows and dropped connections.
 * Backoffs are a few ms so the whole program runs in a couple of seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "embed/breaker.h"
#include "embed/http_client.h"
#include "embed_http/tserver.h"
#include "plait/embed.h"
#include "plait/error.h"

#define DIMS 16
#define KEY_ENV "PLAIT_TEST_EMBED_KEY"
#define SECRET "sk-test-Zq8v1xYw0-very-secret"

static tserver *g_srv;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int srv_up(void **state)
{
    (void)state;
    unsetenv(KEY_ENV);
    g_srv = tserver_start(DIMS);
    return g_srv ? 0 : -1;
}

static int srv_down(void **state)
{
    (void)state;
    tserver_stop(g_srv);
    g_srv = NULL;
    return 0;
}

/* Options every test starts from: known dims, ms-scale backoffs, no jitter surprises. */
static plait_embed_http_opts base_opts(void)
{
    plait_embed_http_opts o = {0};
    o.url = tserver_url(g_srv);
    o.model = "test-model";
    o.api_key_env = KEY_ENV;
    o.dims = DIMS;
    o.timeout_ms = 2000;
    o.backoff_base_ms = 2;
    o.backoff_max_ms = 10;
    o.breaker_cooldown_ms = 200;
    return o;
}

static plait_embedder *open_or_fail(const plait_embed_http_opts *o)
{
    plait_embedder *e = NULL;
    int rc = plait_embed_open_http(o, &e);
    if (rc != PLAIT_OK) fail_msg("open_http: %s", plait_error_last());
    return e;
}

static void check_rows(const char *const *texts, size_t n, const float *out)
{
    float want[DIMS];
    for (size_t i = 0; i < n; i++) {
        tserver_vector_unit(texts[i], DIMS, want);
        double norm = 0;
        for (unsigned j = 0; j < DIMS; j++) {
            if (fabsf(out[i * DIMS + j] - want[j]) > 1e-5f)
                fail_msg("row %zu (\"%s\") component %u: got %g want %g", i, texts[i], j, out[i * DIMS + j], want[j]);
            norm += (double)out[i * DIMS + j] * out[i * DIMS + j];
        }
        assert_true(fabs(norm - 1.0) < 1e-5);
    }
}

static plait_embed_http_status state_of(plait_embedder *e)
{
    plait_embed_http_status st;
    assert_int_equal(plait_embed_http_state(e, &st), PLAIT_OK);
    return st;
}

static const char *const TEXTS[] = {"fn parse_file", "struct Graph", "impl Display for Node", "trait Store",
                                    "const MAX", "enum Kind", "mod lexer", "use std::io", "static COUNT",
                                    "macro_rules! try_opt"};
#define NTEXTS (sizeof TEXTS / sizeof *TEXTS)

/* ---- pure parts ---------------------------------------------------------------------- */

static void test_breaker_machine(void **state)
{
    (void)state;
    plait_breaker b;
    plait_breaker_init(&b, 3, 100);
    plait_breaker_ticket t, t2, old;
    plait_embed_http_status st;
    int64_t wait;

    for (int i = 0; i < 2; i++) {
        assert_true(plait_breaker_admit(&b, 0, &t, NULL));
        plait_breaker_record(&b, &t, PLAIT_BREAKER_FAILURE, "boom", 0, 1000);
    }
    assert_true(plait_breaker_admit(&b, 0, &t, NULL)); /* a success ends the run */
    plait_breaker_record(&b, &t, PLAIT_BREAKER_SUCCESS, NULL, 0, 1000);
    plait_breaker_snapshot(&b, 0, &st);
    assert_int_equal(st.consecutive_failures, 0);

    assert_true(plait_breaker_admit(&b, 5, &old, NULL)); /* a slow call admitted while closed */
    for (int i = 0; i < 3; i++) {
        assert_true(plait_breaker_admit(&b, 10, &t, NULL));
        plait_breaker_record(&b, &t, PLAIT_BREAKER_FAILURE, "boom", 10, 5000);
    }
    plait_breaker_snapshot(&b, 10, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_OPEN);
    assert_int_equal(st.opens, 1);
    assert_int_equal(st.opened_at_ms, 5000);
    assert_int_equal(st.probe_in_ms, 100);
    assert_string_equal(st.last_error, "boom");
    /* The late success of a call admitted before the opening moves nothing. */
    plait_breaker_record(&b, &old, PLAIT_BREAKER_SUCCESS, NULL, 20, 5010);
    plait_breaker_snapshot(&b, 20, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_OPEN);

    assert_false(plait_breaker_admit(&b, 50, &t, &wait));
    assert_int_equal(wait, 60);
    /* Cool-down over: one probe, everyone else refused while it runs. */
    assert_true(plait_breaker_admit(&b, 110, &t, NULL));
    assert_true(t.probe);
    assert_false(plait_breaker_admit(&b, 111, &t2, &wait));
    assert_int_equal(wait, 0);
    plait_breaker_snapshot(&b, 111, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_HALF_OPEN);
    plait_breaker_record(&b, &t, PLAIT_BREAKER_FAILURE, "still down", 120, 6000);
    plait_breaker_snapshot(&b, 120, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_OPEN); /* probe failed: open again, new cool-down */
    assert_int_equal(st.opens, 2);
    assert_int_equal(st.probe_in_ms, 100);
    assert_false(plait_breaker_admit(&b, 200, &t, NULL));
    assert_true(plait_breaker_admit(&b, 220, &t, NULL));
    assert_true(t.probe);
    plait_breaker_record(&b, &t, PLAIT_BREAKER_SUCCESS, NULL, 230, 6100);
    plait_breaker_snapshot(&b, 230, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_CLOSED);
    assert_int_equal(st.consecutive_failures, 0);
    assert_int_equal(st.rejected, 3);
    assert_true(plait_breaker_admit(&b, 231, &t, NULL));
    assert_false(t.probe);
    plait_breaker_destroy(&b);

    /* threshold 0: never opens */
    plait_breaker_init(&b, 0, 100);
    for (int i = 0; i < 50; i++) {
        assert_true(plait_breaker_admit(&b, i, &t, NULL));
        plait_breaker_record(&b, &t, PLAIT_BREAKER_FAILURE, "x", i, i);
    }
    plait_breaker_snapshot(&b, 50, &st);
    assert_int_equal(st.state, PLAIT_BREAKER_CLOSED);
    assert_int_equal(st.consecutive_failures, 50);
    plait_breaker_destroy(&b);
    assert_string_equal(plait_breaker_state_name(PLAIT_BREAKER_HALF_OPEN), "half-open");
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    uint64_t seen_max[6] = {0};
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for (unsigned r = 0; r < 6; r++) {
            uint64_t b = plait_http_backoff_ms(100, 1000, r, x);
            uint64_t cap = 100u << r;
            if (cap > 1000) cap = 1000;
            assert_true(b <= cap);
            if (b > seen_max[r]) seen_max[r] = b;
        }
    }
    /* full jitter reaches near the ceiling */
    assert_true(seen_max[0] >= 95);
    assert_true(seen_max[2] >= 380);
    assert_true(seen_max[5] >= 950);
    assert_int_equal(plait_http_backoff_ms(0, 0, 3, 12345), 0);
    assert_true(plait_http_backoff_ms(200, 10000, 60, ~0ull) <= 10000); /* no overflow */
}

static void url_case(const char *in, const char *endpoint, const char *shown, const char *host)
{
    char *ep, *sh, *hp;
    if (plait_http_resolve_url(in, &ep, &sh, &hp) != PLAIT_OK) fail_msg("%s: %s", in, plait_error_last());
    assert_string_equal(ep, endpoint);
    assert_string_equal(sh, shown);
    assert_string_equal(hp, host);
    free(ep);
    free(sh);
    free(hp);
}

static void test_url_forms(void **state)
{
    (void)state;
    url_case("http://localhost:11434", "http://localhost:11434/v1/embeddings", "http://localhost:11434/v1/embeddings",
             "localhost:11434");
    url_case("http://localhost:11434/", "http://localhost:11434/v1/embeddings", "http://localhost:11434/v1/embeddings",
             "localhost:11434");
    url_case("http://h:8080/v1", "http://h:8080/v1/embeddings", "http://h:8080/v1/embeddings", "h:8080");
    url_case("http://h:8080/v1/", "http://h:8080/v1/embeddings", "http://h:8080/v1/embeddings", "h:8080");
    url_case("https://api.example.com/v1/embeddings", "https://api.example.com/v1/embeddings",
             "https://api.example.com/v1/embeddings", "api.example.com");
    url_case("https://gw.example.com/openai", "https://gw.example.com/openai/v1/embeddings",
             "https://gw.example.com/openai/v1/embeddings", "gw.example.com");
    /* credentials and query never reach the shown URL or the host */
    url_case("https://user:pw@api.example.com/x/embeddings?api-version=2&key=abc",
             "https://user:pw@api.example.com/x/embeddings?api-version=2&key=abc",
             "https://api.example.com/x/embeddings", "api.example.com");
    url_case("http://[::1]:9000", "http://[::1]:9000/v1/embeddings", "http://[::1]:9000/v1/embeddings", "[::1]:9000");
    char *a, *b, *c;
    assert_int_equal(plait_http_resolve_url("ftp://h/v1", &a, &b, &c), PLAIT_EINVALID);
    assert_int_equal(plait_http_resolve_url("file:///etc/passwd", &a, &b, &c), PLAIT_EINVALID);
    assert_int_equal(plait_http_resolve_url("not a url", &a, &b, &c), PLAIT_EINVALID);
}

static void test_open_invalid(void **state)
{
    (void)state;
    plait_embedder *e = NULL;
    plait_embed_http_opts o = base_opts();
    o.model = NULL;
    assert_int_equal(plait_embed_open_http(&o, &e), PLAIT_EINVALID);
    assert_non_null(strstr(plait_error_last(), "model"));
    o = base_opts();
    o.url = "";
    assert_int_equal(plait_embed_open_http(&o, &e), PLAIT_EINVALID);
    o = base_opts();
    o.max_retries = -7;
    assert_int_equal(plait_embed_open_http(&o, &e), PLAIT_EINVALID);
    assert_null(e);
    assert_int_equal(tserver_requests(g_srv), 0);
}

/* ---- against the server -------------------------------------------------------------- */

static void test_batches_and_order(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    o.batch_size = 4;
    plait_embedder *e = open_or_fail(&o);
    char id[128];
    snprintf(id, sizeof id, "http:test-model@127.0.0.1:%d", tserver_port(g_srv));
    assert_string_equal(plait_embed_model_id(e), id);
    assert_string_equal(plait_embed_kind(e), "http");
    assert_int_equal(plait_embed_dims(e), DIMS);
    assert_int_equal(tserver_requests(g_srv), 0); /* dims given: open sends nothing */

    float out[NTEXTS * DIMS];
    /* rows come back reversed in the middle request: placed by "index" */
    tserver_push(g_srv, (ts_action){.kind = TS_OK});
    tserver_push(g_srv, (ts_action){.kind = TS_REVERSE});
    assert_int_equal(plait_embed_batch(e, TEXTS, NTEXTS, out), PLAIT_OK);
    check_rows(TEXTS, NTEXTS, out);
    assert_int_equal(tserver_requests(g_srv), 3); /* 4 + 4 + 2 */
    assert_int_equal(tserver_max_batch(g_srv), 4);
    assert_int_equal(tserver_last_batch(g_srv), 2);
    char buf[256];
    tserver_last_path(g_srv, buf, sizeof buf);
    assert_string_equal(buf, "/v1/embeddings");
    tserver_last_model(g_srv, buf, sizeof buf);
    assert_string_equal(buf, "test-model");
    tserver_last_auth(g_srv, buf, sizeof buf);
    assert_string_equal(buf, ""); /* no key in the environment: no header */

    /* a whole batch reversed, and a single text */
    tserver_set_default(g_srv, (ts_action){.kind = TS_REVERSE});
    assert_int_equal(plait_embed_batch(e, TEXTS, 4, out), PLAIT_OK);
    check_rows(TEXTS, 4, out);
    assert_int_equal(plait_embed_batch(e, TEXTS + 5, 1, out), PLAIT_OK);
    check_rows(TEXTS + 5, 1, out);

    plait_embed_http_status st = state_of(e);
    assert_int_equal(st.state, PLAIT_BREAKER_CLOSED);
    assert_int_equal(st.requests, 5);
    assert_int_equal(st.successes, 5);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.retries, 0);
    assert_int_equal(st.threshold, 5);
    plait_embed_free(e);
}

static void test_learn_dims(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    o.dims = 0;
    o.url = NULL;
    char url[128];
    snprintf(url, sizeof url, "%s/v1/", tserver_url(g_srv));
    o.url = url;
    plait_embedder *e = open_or_fail(&o);
    assert_int_equal(plait_embed_dims(e), DIMS);
    assert_int_equal(tserver_requests(g_srv), 1); /* the probe */
    float out[3 * DIMS];
    assert_int_equal(plait_embed_batch(e, TEXTS, 3, out), PLAIT_OK);
    check_rows(TEXTS, 3, out);
    /* learnt dims are enforced afterwards */
    tserver_push(g_srv, (ts_action){.kind = TS_WRONG_DIMS});
    assert_int_equal(plait_embed_batch(e, TEXTS, 3, out), PLAIT_EINVALID);
    assert_non_null(strstr(plait_error_last(), "dimension mismatch"));
    plait_embed_free(e);

    /* learning fails cleanly when the server is broken */
    tserver_set_default(g_srv, (ts_action){.kind = TS_STATUS, .status = 503});
    o.max_retries = 1;
    plait_embedder *e2 = NULL;
    assert_int_equal(plait_embed_open_http(&o, &e2), PLAIT_EIO);
    assert_null(e2);
    assert_non_null(strstr(plait_error_last(), "HTTP 503"));
}

static void test_dims_mismatch(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    plait_embedder *e = open_or_fail(&o);
    float out[2 * DIMS];
    tserver_set_default(g_srv, (ts_action){.kind = TS_WRONG_DIMS});
    assert_int_equal(plait_embed_batch(e, TEXTS, 2, out), PLAIT_EINVALID);
    const char *m = plait_error_last();
    assert_non_null(strstr(m, "dimension mismatch"));
    assert_non_null(strstr(m, "17-dimensional"));
    assert_non_null(strstr(m, "expected 16"));
    assert_int_equal(tserver_requests(g_srv), 1); /* not retried */
    plait_embed_http_status st = state_of(e);
    assert_int_equal(st.consecutive_failures, 1); /* counts as a failure */
    assert_int_equal(st.failures, 1);
    assert_non_null(strstr(st.last_error, "dimension mismatch"));
    plait_embed_free(e);
}

static void test_retry_then_success(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    plait_embedder *e = open_or_fail(&o);
    float out[3 * DIMS];
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 500});
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 502});
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 429});
    assert_int_equal(plait_embed_batch(e, TEXTS, 3, out), PLAIT_OK);
    check_rows(TEXTS, 3, out);
    assert_int_equal(tserver_requests(g_srv), 4);
    plait_embed_http_status st = state_of(e);
    assert_int_equal(st.retries, 3);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.consecutive_failures, 0);
    assert_int_equal(st.successes, 1);
    plait_embed_free(e);
}

static void test_retries_exhausted(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    o.max_retries = 2;
    plait_embedder *e = open_or_fail(&o);
    float out[DIMS];
    tserver_set_default(g_srv, (ts_action){.kind = TS_STATUS, .status = 500});
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    const char *m = plait_error_last();
    assert_non_null(strstr(m, "HTTP 500"));
    assert_non_null(strstr(m, "injected status 500")); /* the server's own message */
    assert_non_null(strstr(m, "after 3 attempts"));
    assert_non_null(strstr(m, "/v1/embeddings"));
    assert_int_equal(tserver_requests(g_srv), 3);
    plait_embed_free(e);

    /* NONE: a single attempt */
    tserver_reset(g_srv);
    tserver_set_default(g_srv, (ts_action){.kind = TS_STATUS, .status = 503});
    o.max_retries = PLAIT_EMBED_HTTP_NONE;
    e = open_or_fail(&o);
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    assert_int_equal(tserver_requests(g_srv), 1);
    plait_embed_free(e);
}

static void test_no_retry_on_4xx(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    plait_embedder *e = open_or_fail(&o);
    float out[DIMS];
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 400});
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EINVALID);
    assert_non_null(strstr(plait_error_last(), "HTTP 400"));
    assert_int_equal(tserver_requests(g_srv), 1);
    /* a rejected input says the server is up: it does not count toward the breaker */
    plait_embed_http_status st = state_of(e);
    assert_int_equal(st.consecutive_failures, 0);
    assert_int_equal(st.retries, 0);

    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 404});
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EINVALID);
    assert_int_equal(tserver_requests(g_srv), 2);
    st = state_of(e);
    assert_int_equal(st.consecutive_failures, 1); /* a wrong URL does */
    plait_embed_free(e);
}

static void test_batch_stops_at_failure(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    o.batch_size = 4;
    plait_embedder *e = open_or_fail(&o);
    float out[NTEXTS * DIMS];
    tserver_push(g_srv, (ts_action){.kind = TS_OK});
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 400});
    assert_int_equal(plait_embed_batch(e, TEXTS, NTEXTS, out), PLAIT_EINVALID);
    assert_int_equal(tserver_requests(g_srv), 2); /* the third request is never sent */
    assert_int_equal(plait_embed_batch(e, TEXTS, NTEXTS, out), PLAIT_OK);
    check_rows(TEXTS, NTEXTS, out);
    assert_int_equal(tserver_requests(g_srv), 5);
    plait_embed_free(e);
}

static void test_retry_after(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    plait_embedder *e = open_or_fail(&o);
    float out[DIMS];
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 429, .retry_after = 1});
    int64_t t0 = mono_ms();
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_OK);
    int64_t dt = mono_ms() - t0;
    check_rows(TEXTS, 1, out);
    assert_int_equal(tserver_requests(g_srv), 2);
    if (dt < 1000 || dt > 1800) fail_msg("Retry-After: 1 waited %lld ms", (long long)dt);
    plait_embed_free(e);

    /* longer than allowed: fail at once, no second request */
    tserver_reset(g_srv);
    o.retry_after_max_ms = 500;
    e = open_or_fail(&o);
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 503, .retry_after = 30});
    t0 = mono_ms();
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    assert_true(mono_ms() - t0 < 500);
    assert_non_null(strstr(plait_error_last(), "retry after 30 s"));
    assert_int_equal(tserver_requests(g_srv), 1);
    plait_embed_free(e);
}

static void test_timeout(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    o.timeout_ms = 150;
    o.max_retries = 1;
    plait_embedder *e = open_or_fail(&o);
    float out[DIMS];
    tserver_set_default(g_srv, (ts_action){.kind = TS_SLOW, .delay_ms = 3000});
    int64_t t0 = mono_ms();
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    int64_t dt = mono_ms() - t0;
    assert_non_null(strstr(plait_error_last(), "Timeout"));
    assert_int_equal(tserver_requests(g_srv), 2);
    /* two attempts of 150 ms plus a backoff of at most 2 ms */
    if (dt < 290 || dt > 1000) fail_msg("two 150 ms timeouts took %lld ms", (long long)dt);

    /* slow but within the limit: fine */
    tserver_set_default(g_srv, (ts_action){.kind = TS_SLOW, .delay_ms = 30});
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_OK);
    check_rows(TEXTS, 1, out);
    plait_embed_free(e);
}

static void test_malformed(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    plait_embedder *e = open_or_fail(&o);
    float out[2 * DIMS];
    tserver_push(g_srv, (ts_action){.kind = TS_MALFORMED});
    assert_int_equal(plait_embed_batch(e, TEXTS, 2, out), PLAIT_EIO);
    assert_non_null(strstr(plait_error_last(), "malformed JSON"));
    assert_int_equal(tserver_requests(g_srv), 1);
    assert_int_equal(state_of(e).consecutive_failures, 1);
    /* and the next call works */
    assert_int_equal(plait_embed_batch(e, TEXTS, 2, out), PLAIT_OK);
    check_rows(TEXTS, 2, out);
    assert_int_equal(state_of(e).consecutive_failures, 0);
    plait_embed_free(e);
}

static void test_dropped_connections(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    plait_embedder *e = open_or_fail(&o);
    float out[3 * DIMS];
    tserver_push(g_srv, (ts_action){.kind = TS_DROP});
    tserver_push(g_srv, (ts_action){.kind = TS_DROP_MID});
    assert_int_equal(plait_embed_batch(e, TEXTS, 3, out), PLAIT_OK);
    check_rows(TEXTS, 3, out);
    assert_int_equal(tserver_requests(g_srv), 3);
    assert_int_equal(state_of(e).retries, 2);

    /* always dropped: the error names the transport failure */
    tserver_set_default(g_srv, (ts_action){.kind = TS_DROP});
    assert_int_equal(plait_embed_batch(e, TEXTS, 3, out), PLAIT_EIO);
    assert_non_null(strstr(plait_error_last(), "after 4 attempts"));
    plait_embed_free(e);
}

static void test_connection_refused(void **state)
{
    (void)state;
    /* a port nobody listens on: start and stop a second server */
    tserver *tmp = tserver_start(DIMS);
    char url[64];
    snprintf(url, sizeof url, "%s", tserver_url(tmp));
    tserver_stop(tmp);
    plait_embed_http_opts o = base_opts();
    o.url = url;
    o.max_retries = 2;
    plait_embedder *e = open_or_fail(&o);
    float out[DIMS];
    int64_t t0 = mono_ms();
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    assert_true(mono_ms() - t0 < 500);
    assert_non_null(strstr(plait_error_last(), "onnect")); /* "Couldn't connect" */
    plait_embed_http_status st = state_of(e);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.retries, 2);
    plait_embed_free(e);
}

static void test_breaker_end_to_end(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    o.breaker_threshold = 3;
    o.breaker_cooldown_ms = 150;
    o.max_retries = 1;
    plait_embedder *e = open_or_fail(&o);
    float out[2 * DIMS];
    tserver_set_default(g_srv, (ts_action){.kind = TS_STATUS, .status = 500});
    int64_t wall0 = (int64_t)time(NULL) * 1000;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
        assert_int_equal(state_of(e).state, i < 2 ? PLAIT_BREAKER_CLOSED : PLAIT_BREAKER_OPEN);
    }
    assert_int_equal(tserver_requests(g_srv), 6); /* 3 calls x 2 attempts */
    plait_embed_http_status st = state_of(e);
    assert_int_equal(st.consecutive_failures, 3);
    assert_int_equal(st.opens, 1);
    assert_true(st.opened_at_ms >= wall0 - 1000 && st.opened_at_ms <= wall0 + 5000);
    assert_true(st.probe_in_ms > 0 && st.probe_in_ms <= 150);
    assert_non_null(strstr(st.last_error, "HTTP 500"));

    /* open: fails fast, nothing reaches the server */
    tserver_set_default(g_srv, (ts_action){.kind = TS_OK});
    for (int i = 0; i < 5; i++) {
        int64_t t0 = mono_ms();
        assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
        assert_true(mono_ms() - t0 < 20);
        assert_non_null(strstr(plait_error_last(), "circuit breaker open"));
        assert_non_null(strstr(plait_error_last(), "HTTP 500")); /* the cause is named */
    }
    assert_int_equal(tserver_requests(g_srv), 6);
    assert_int_equal(state_of(e).rejected, 5);

    /* after the cool-down a failed probe (one attempt, no retry) opens it again */
    usleep(170 * 1000);
    tserver_push(g_srv, (ts_action){.kind = TS_STATUS, .status = 503});
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    assert_int_equal(tserver_requests(g_srv), 7);
    st = state_of(e);
    assert_int_equal(st.state, PLAIT_BREAKER_OPEN);
    assert_int_equal(st.opens, 2);
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    assert_int_equal(tserver_requests(g_srv), 7);

    /* next probe succeeds: closed, traffic flows */
    usleep(170 * 1000);
    assert_int_equal(plait_embed_batch(e, TEXTS, 2, out), PLAIT_OK);
    check_rows(TEXTS, 2, out);
    st = state_of(e);
    assert_int_equal(st.state, PLAIT_BREAKER_CLOSED);
    assert_int_equal(st.consecutive_failures, 0);
    assert_int_equal(plait_embed_batch(e, TEXTS + 2, 1, out), PLAIT_OK);
    assert_int_equal(tserver_requests(g_srv), 9);
    plait_embed_free(e);
}

static void test_breaker_disabled(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    o.breaker_threshold = PLAIT_EMBED_HTTP_NONE;
    o.max_retries = PLAIT_EMBED_HTTP_NONE;
    plait_embedder *e = open_or_fail(&o);
    float out[DIMS];
    tserver_set_default(g_srv, (ts_action){.kind = TS_STATUS, .status = 500});
    for (int i = 0; i < 8; i++) assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    assert_int_equal(tserver_requests(g_srv), 8);
    plait_embed_http_status st = state_of(e);
    assert_int_equal(st.state, PLAIT_BREAKER_CLOSED);
    assert_int_equal(st.threshold, 0);
    plait_embed_free(e);
}

static void test_api_key(void **state)
{
    (void)state;
    setenv(KEY_ENV, SECRET, 1);
    plait_embed_http_opts o = base_opts();
    o.max_retries = PLAIT_EMBED_HTTP_NONE;
    plait_embedder *e = open_or_fail(&o);
    unsetenv(KEY_ENV); /* read once, at open */
    assert_null(strstr(plait_embed_model_id(e), SECRET));
    float out[DIMS];
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_OK);
    char auth[512];
    tserver_last_auth(g_srv, auth, sizeof auth);
    assert_string_equal(auth, "Bearer " SECRET);

    /* a server that echoes the credentials back: the key never reaches an error text */
    tserver_push(g_srv, (ts_action){.kind = TS_ECHO_AUTH});
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EINVALID);
    const char *m = plait_error_last();
    assert_non_null(strstr(m, "HTTP 401"));
    assert_non_null(strstr(m, "Bearer [redacted]"));
    assert_null(strstr(m, SECRET));
    assert_null(strstr(m, "Zq8v1xYw0"));
    plait_embed_http_status st = state_of(e);
    assert_null(strstr(st.last_error, SECRET));
    assert_non_null(strstr(st.last_error, "[redacted]"));

    /* nor does it when the breaker reports the last error */
    for (int i = 0; i < 5; i++) tserver_push(g_srv, (ts_action){.kind = TS_ECHO_AUTH});
    for (int i = 0; i < 5; i++) plait_embed_batch(e, TEXTS, 1, out);
    assert_int_equal(state_of(e).state, PLAIT_BREAKER_OPEN);
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_EIO);
    assert_non_null(strstr(plait_error_last(), "circuit breaker open"));
    assert_null(strstr(plait_error_last(), SECRET));
    plait_embed_free(e);

    /* default variable name */
    setenv("PLAIT_EMBED_API_KEY", "k-default", 1);
    o.api_key_env = NULL;
    e = open_or_fail(&o);
    unsetenv("PLAIT_EMBED_API_KEY");
    tserver_reset(g_srv);
    assert_int_equal(plait_embed_batch(e, TEXTS, 1, out), PLAIT_OK);
    tserver_last_auth(g_srv, auth, sizeof auth);
    assert_string_equal(auth, "Bearer k-default");
    plait_embed_free(e);
}

static void test_odd_texts(void **state)
{
    (void)state;
    plait_embed_http_opts o = base_opts();
    plait_embedder *e = open_or_fail(&o);
    const char *texts[] = {"", "bad \xff\xfe bytes", "quote \" backslash \\ newline \n tab \t", "ünïcödé ✓ 😀"};
    float out[4 * DIMS];
    assert_int_equal(plait_embed_batch(e, texts, 4, out), PLAIT_OK);
    /* what the server saw: "" became " ", bad bytes became '?' */
    const char *seen[] = {" ", "bad ?? bytes", texts[2], texts[3]};
    check_rows(seen, 4, out);
    assert_int_equal(plait_embed_batch(e, texts, 0, out), PLAIT_OK); /* n = 0: nothing sent */
    assert_int_equal(tserver_requests(g_srv), 1);
    assert_int_equal(plait_embed_tokenize(e, "x", 1, &(int32_t *){NULL}, &(size_t){0}), PLAIT_EINVALID);
    assert_int_equal(plait_embed_set_threads(e, 2), PLAIT_EINVALID);
    plait_embed_free(e);
}

static int dummy_embed(void *impl, const char *const *t, size_t n, float *out)
{
    (void)impl;
    (void)t;
    for (size_t i = 0; i < n; i++) out[i] = 1;
    return PLAIT_OK;
}
static void dummy_destroy(void *impl) { (void)impl; }

static void test_state_other_provider(void **state)
{
    (void)state;
    static const plait_embedder_vtable vt = {.kind = "dummy", .embed_batch = dummy_embed, .destroy = dummy_destroy};
    plait_embedder *d = NULL;
    assert_int_equal(plait_embedder_new(&vt, NULL, 1, "dummy", 0, &d), PLAIT_OK);
    plait_embed_http_status st;
    assert_int_equal(plait_embed_http_state(d, &st), PLAIT_EINVALID);
    assert_non_null(strstr(plait_error_last(), "not an HTTP embedder"));
    plait_embed_free(d);
}

#define T(f) cmocka_unit_test_setup_teardown(f, srv_up, srv_down)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_machine),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_url_forms),
        T(test_open_invalid),
        T(test_batches_and_order),
        T(test_learn_dims),
        T(test_dims_mismatch),
        T(test_retry_then_success),
        T(test_retries_exhausted),
        T(test_no_retry_on_4xx),
        T(test_batch_stops_at_failure),
        T(test_retry_after),
        T(test_timeout),
        T(test_malformed),
        T(test_dropped_connections),
        T(test_connection_refused),
        T(test_breaker_end_to_end),
        T(test_breaker_disabled),
        T(test_api_key),
        T(test_odd_texts),
        cmocka_unit_test(test_state_other_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
