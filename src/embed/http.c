/*
 * http.c - the remote embedding provider: an OpenAI-compatible /v1/embeddings client.
 *
 * One plait_embed_batch call is cut into requests of at most batch_size texts, sent one after
 * another.  Each request passes the circuit breaker (breaker.c), then is tried up to
 * 1 + max_retries times: connection errors, timeouts, HTTP 408/429/5xx are retried after a
 * full-jitter exponential backoff (or the server's Retry-After); other answers are final.  A
 * request's final outcome is reported to the breaker once.  The response is read with
 * jansson: every row is placed by its "index", checked against the dimension and
 * L2-normalised.  The first failing request fails the whole call (all rows or none).
 *
 * Threads: the provider state is read-only after open except the counters (atomics), the
 * breaker (its own mutex) and a small pool of curl easy handles (a mutex); a handle is used by
 * one request at a time, and is returned to the pool so its connection is reused.
 *
 * The API key lives in one curl header list and one copy kept only to scrub it from any text
 * that could reach an error message (server bodies are echoed in errors, shortened).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "embed/breaker.h"
#include "embed/http_client.h"
#include "plait/embed.h"
#include "plait/error.h"

#define DEFAULT_KEY_ENV "PLAIT_EMBED_API_KEY"
#define DEFAULT_BATCH 64
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_RETRIES 3
#define DEFAULT_BACKOFF_BASE_MS 200
#define DEFAULT_BACKOFF_MAX_MS 10000
#define DEFAULT_RETRY_AFTER_MAX_MS 60000
#define DEFAULT_BREAKER_N 5
#define DEFAULT_COOLDOWN_MS 30000
#define MAX_BODY (256u << 20) /* a response larger than this is refused */
#define POOL_MAX 16
#define PROBE_TEXT "plait dimension probe"

static const char HTTP_KIND[] = "http";

typedef struct http_impl {
    char *endpoint;  /* the URL requests go to (query kept) */
    char *shown_url; /* for messages: scheme://host[:port]/path, no credentials or query */
    char *model;
    char *key;       /* NULL when none; only for scrubbing */
    struct curl_slist *headers;
    unsigned batch_size, timeout_ms, max_retries, backoff_base_ms, backoff_max_ms, retry_after_max_ms;
    uint32_t dims; /* 0 only during the open-time probe */
    plait_breaker br;
    atomic_uint_fast64_t rng;
    atomic_uint_fast64_t requests, retries;
    pthread_mutex_t pool_mu;
    CURL *pool[POOL_MAX];
    size_t npool;
    const plait_embedder *handle;
    struct http_impl *reg_next;
} http_impl;

/* ---- time, randomness ---------------------------------------------------------------- */

static int64_t now_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* splitmix64 over an atomic counter: thread-safe without a lock. */
static uint64_t next_random(http_impl *h)
{
    uint64_t z = atomic_fetch_add(&h->rng, 0x9e3779b97f4a7c15ull) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t plait_http_backoff_ms(unsigned base_ms, unsigned max_ms, unsigned retry, uint64_t rnd)
{
    uint64_t ceiling = base_ms;
    for (unsigned i = 0; i < retry && ceiling < max_ms; i++) ceiling *= 2;
    if (ceiling > max_ms) ceiling = max_ms;
    return ceiling ? rnd % (ceiling + 1) : 0; /* full jitter: uniform in [0, ceiling] */
}

/* ---- URL ----------------------------------------------------------------------------- */

int plait_http_resolve_url(const char *url, char **endpoint, char **shown, char **host_port)
{
    *endpoint = *shown = *host_port = NULL;
    CURLU *u = curl_url();
    if (!u) return plait_error_set(PLAIT_ENOMEM, "out of memory parsing the embedding URL");
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *full = NULL;
    int rc = PLAIT_OK;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = plait_error_set(PLAIT_EINVALID,
                             "embedding URL is not a valid http(s) URL (expected e.g. http://localhost:11434/v1)");
        goto done;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        rc = plait_error_set(PLAIT_EINVALID, "embedding URL must use http or https, not %s", scheme);
        goto done;
    }
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) port = NULL; /* none given */
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) path = NULL;

    /* The endpoint path: as given when it already names .../embeddings, else base + v1. */
    strbuf p = {0};
    strbuf_puts(&p, path ? path : "/");
    while (p.len > 1 && p.buf[p.len - 1] == '/') p.buf[--p.len] = '\0';
    size_t l = p.len;
    if (l >= 11 && strcmp(p.buf + l - 11, "/embeddings") == 0) {
    } else if (l >= 3 && strcmp(p.buf + l - 3, "/v1") == 0) {
        strbuf_puts(&p, "/embeddings");
    } else {
        if (l == 1) strbuf_reset(&p);
        strbuf_puts(&p, "/v1/embeddings");
    }
    if (curl_url_set(u, CURLUPART_PATH, strbuf_str(&p), 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        strbuf_free(&p);
        rc = plait_error_set(PLAIT_EINVALID, "embedding URL: cannot form the /v1/embeddings endpoint");
        goto done;
    }
    *endpoint = xstrdup(full);
    *host_port = port ? xasprintf("%s:%s", host, port) : xstrdup(host);
    *shown = xasprintf("%s://%s%s", scheme, *host_port, strbuf_str(&p));
    strbuf_free(&p);
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(full);
    curl_url_cleanup(u);
    return rc;
}

/* ---- messages ------------------------------------------------------------------------ */

/* s with every occurrence of the API key replaced by "[redacted]", in a fresh string. */
static char *scrub(const http_impl *h, const char *s)
{
    if (!h->key || !*h->key) return xstrdup(s);
    strbuf out = {0};
    size_t kl = strlen(h->key);
    const char *p = s, *hit;
    while ((hit = strstr(p, h->key)) != NULL) {
        strbuf_add(&out, p, (size_t)(hit - p));
        strbuf_puts(&out, "[redacted]");
        p = hit + kl;
    }
    strbuf_puts(&out, p);
    return strbuf_detach(&out);
}

/* A short, printable excerpt of a server's error answer: its JSON error message when there
 * is one, else the start of the body. */
static char *server_message(const char *body, size_t len)
{
    const char *msg = NULL;
    json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
    if (root) {
        json_t *err = json_object_get(root, "error");
        if (json_is_string(err)) msg = json_string_value(err);
        else if (json_is_object(err) && json_is_string(json_object_get(err, "message")))
            msg = json_string_value(json_object_get(err, "message"));
        else if (json_is_string(json_object_get(root, "message")))
            msg = json_string_value(json_object_get(root, "message"));
        else if (json_is_string(json_object_get(root, "detail")))
            msg = json_string_value(json_object_get(root, "detail"));
    }
    size_t n = msg ? strlen(msg) : len;
    const char *src = msg ? msg : body;
    if (n > 200) n = 200;
    char *s = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        s[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    s[n] = '\0';
    plait_utf8_sanitize(s, n); /* the cut may split a character */
    json_decref(root);
    return s;
}

/* ---- the response -------------------------------------------------------------------- */

/* Parses an embeddings response for n inputs into *rows (n * dims floats, malloc'd), learning
 * *dims when it is 0.  On failure returns a fresh message in *err. */
static int parse_response(const char *body, size_t len, size_t n, uint32_t *dims, float **rows, char **err)
{
    json_error_t jerr;
    *rows = NULL;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        *err = xasprintf("malformed JSON in the response (line %d: %s)", jerr.line, jerr.text);
        return PLAIT_EIO;
    }
    int rc = PLAIT_EIO;
    float *out = NULL;
    bool *seen = NULL;
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        *err = xstrdup("response has no \"data\" array");
        goto done;
    }
    if (json_array_size(data) != n) {
        *err = xasprintf("response has %zu embeddings for %zu inputs", json_array_size(data), n);
        goto done;
    }
    seen = xcalloc(n ? n : 1, sizeof *seen);
    uint32_t d = *dims;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(data, i);
        json_t *emb = json_object_get(item, "embedding");
        json_t *ix = json_object_get(item, "index");
        if (!json_is_array(emb)) {
            *err = json_is_string(emb)
                       ? xstrdup("response embeddings are strings (base64?); the server must send float arrays")
                       : xasprintf("response item %zu has no \"embedding\" array", i);
            goto done;
        }
        size_t idx = i;
        if (ix) {
            if (!json_is_integer(ix) || json_integer_value(ix) < 0 || (size_t)json_integer_value(ix) >= n) {
                *err = xasprintf("response item %zu has an invalid \"index\" (want an integer in 0..%zu)", i, n - 1);
                goto done;
            }
            idx = (size_t)json_integer_value(ix);
        }
        if (seen[idx]) {
            *err = xasprintf("response gives index %zu twice", idx);
            goto done;
        }
        seen[idx] = true;
        size_t m = json_array_size(emb);
        if (d == 0) {
            if (m == 0 || m > (1u << 20)) {
                *err = xasprintf("response embedding has %zu dimensions", m);
                goto done;
            }
            d = (uint32_t)m;
        }
        if (m != d) {
            rc = PLAIT_EINVALID;
            *err = xasprintf("dimension mismatch: the server returned %zu-dimensional vectors, expected %u "
                             "(wrong model, or set the expected dimension to match it)", m, d);
            goto done;
        }
        if (!out) out = xmalloc((n ? n : 1) * (size_t)d * sizeof *out);
        float *row = out + idx * d;
        double norm = 0;
        for (size_t j = 0; j < m; j++) {
            json_t *v = json_array_get(emb, j);
            if (!json_is_number(v)) {
                *err = xasprintf("response item %zu: component %zu is not a number", i, j);
                goto done;
            }
            double x = json_number_value(v);
            row[j] = (float)x;
            norm += x * x;
        }
        if (!(norm > 0) || !isfinite(norm)) {
            *err = xasprintf("response item %zu is a zero or non-finite vector", i);
            goto done;
        }
        float inv = (float)(1.0 / sqrt(norm));
        for (size_t j = 0; j < m; j++) row[j] *= inv;
    }
    *dims = d;
    *rows = out;
    out = NULL;
    rc = PLAIT_OK;
done:
    free(out);
    free(seen);
    json_decref(root);
    return rc;
}

/* ---- one HTTP attempt ---------------------------------------------------------------- */

static CURL *take_handle(http_impl *h)
{
    CURL *c = NULL;
    pthread_mutex_lock(&h->pool_mu);
    if (h->npool) c = h->pool[--h->npool];
    pthread_mutex_unlock(&h->pool_mu);
    if (c) curl_easy_reset(c); /* keeps the connection cache */
    else c = curl_easy_init();
    return c;
}

static void give_handle(http_impl *h, CURL *c)
{
    pthread_mutex_lock(&h->pool_mu);
    if (h->npool < POOL_MAX) {
        h->pool[h->npool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->pool_mu);
    if (c) curl_easy_cleanup(c);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    strbuf *sb = ud;
    size_t n = size * nmemb;
    if (sb->len + n > MAX_BODY) return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    strbuf_add(sb, data, n);
    return n;
}

typedef struct {
    CURLcode cc;
    long status;
    long retry_after_s; /* 0 when absent */
    char curl_err[CURL_ERROR_SIZE];
} attempt_result;

static void attempt(http_impl *h, const char *req, size_t req_len, strbuf *body, attempt_result *r)
{
    memset(r, 0, sizeof *r);
    strbuf_reset(body);
    CURL *c = take_handle(h);
    if (!c) {
        r->cc = CURLE_OUT_OF_MEMORY;
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, h->endpoint);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl can decode */
    curl_easy_setopt(c, CURLOPT_USERAGENT, "plait/" "0.1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err);
    atomic_fetch_add(&h->requests, 1);
    r->cc = curl_easy_perform(c);
    if (r->cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_off_t ra = 0;
        if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
            r->retry_after_s = ra > 86400 * 365 ? 86400 * 365 : (long)ra;
    }
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
    give_handle(h, c);
}

/* Transport errors worth another try: the network, the server going away, timeouts. */
static bool transient_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

static bool transient_status(long s) { return s == 408 || s == 429 || (s >= 500 && s <= 599); }

/* A 4xx that says "this input is unacceptable": the server itself is healthy. */
static bool input_rejected(long s) { return s == 400 || s == 413 || s == 422; }

/* ---- one request (a slice of the batch) ---------------------------------------------- */

static int request(http_impl *h, const char *const *texts, size_t n, float *out)
{
    /* The request body, built by jansson.  Texts are made valid UTF-8 ('?' for bad bytes);
     * an empty text is sent as one space (OpenAI-style servers refuse empty inputs). */
    json_t *input = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(texts[i]);
        json_t *s;
        if (l == 0) {
            s = json_string(" ");
        } else {
            char *copy = xstrndup(texts[i], l);
            plait_utf8_sanitize(copy, l);
            s = json_stringn(copy, l);
            free(copy);
        }
        json_array_append_new(input, s);
    }
    json_t *reqj = json_pack("{s:s, s:o}", "model", h->model, "input", input);
    char *req = reqj ? json_dumps(reqj, JSON_COMPACT) : NULL;
    json_decref(reqj);
    if (!req) return plait_error_set(PLAIT_ENOMEM, "cannot build the embedding request");
    size_t req_len = strlen(req);

    int64_t wait = 0;
    plait_breaker_ticket t;
    if (!plait_breaker_admit(&h->br, now_mono_ms(), &t, &wait)) {
        plait_embed_http_status st;
        plait_breaker_snapshot(&h->br, now_mono_ms(), &st);
        free(req);
        if (wait > 0)
            return plait_error_set(PLAIT_EIO,
                                   "embedding server %s: circuit breaker open after %u consecutive failures, "
                                   "next try in %lld ms (last error: %s)",
                                   h->shown_url, st.consecutive_failures, (long long)wait, st.last_error);
        return plait_error_set(PLAIT_EIO,
                               "embedding server %s: circuit breaker half-open, a probe request is in flight "
                               "(last error: %s)",
                               h->shown_url, st.last_error);
    }

    unsigned max_attempts = t.probe ? 1 : 1 + h->max_retries;
    strbuf body = {0};
    attempt_result r;
    char *msg = NULL; /* the failure, unscrubbed */
    int code = PLAIT_EIO;
    plait_breaker_outcome outcome = PLAIT_BREAKER_FAILURE;
    unsigned tries = 0;
    for (;;) {
        attempt(h, req, req_len, &body, &r);
        tries++;
        free(msg);
        msg = NULL;
        bool retry = false;
        if (r.cc != CURLE_OK) {
            msg = xasprintf("%s (%s)", curl_easy_strerror(r.cc), r.curl_err[0] ? r.curl_err : "no detail");
            retry = transient_curl(r.cc);
        } else if (r.status >= 200 && r.status <= 299) {
            uint32_t d = h->dims;
            float *rows = NULL;
            code = parse_response(body.buf ? body.buf : "", body.len, n, &d, &rows, &msg);
            if (code == PLAIT_OK) {
                if (h->dims == 0) h->dims = d; /* only during open, single-threaded */
                if (out) memcpy(out, rows, n * (size_t)d * sizeof *out);
                free(rows);
                outcome = PLAIT_BREAKER_SUCCESS;
                break;
            }
        } else {
            char *sm = server_message(body.buf ? body.buf : "", body.len);
            msg = xasprintf("HTTP %ld%s%s", r.status, *sm ? ": " : "", sm);
            free(sm);
            retry = transient_status(r.status);
            if (!retry) {
                code = PLAIT_EINVALID;
                if (input_rejected(r.status)) outcome = PLAIT_BREAKER_SUCCESS;
            }
        }
        if (!retry) break;
        if (tries >= max_attempts) break;
        uint64_t pause = plait_http_backoff_ms(h->backoff_base_ms, h->backoff_max_ms, tries - 1, next_random(h));
        if (r.retry_after_s > 0) {
            uint64_t ra = (uint64_t)r.retry_after_s * 1000;
            if (ra > h->retry_after_max_ms) {
                char *m2 = xasprintf("%s; server asked to retry after %ld s, more than the %u ms allowed",
                                     msg, r.retry_after_s, h->retry_after_max_ms);
                free(msg);
                msg = m2;
                break;
            }
            pause = ra;
        }
        atomic_fetch_add(&h->retries, 1);
        sleep_ms(pause);
    }
    free(req);
    strbuf_free(&body);

    if (outcome == PLAIT_BREAKER_SUCCESS && !msg) {
        plait_breaker_record(&h->br, &t, outcome, NULL, now_mono_ms(), now_wall_ms());
        return PLAIT_OK;
    }
    char *full = tries > 1 ? xasprintf("embedding server %s (model %s): %s [after %u attempts]", h->shown_url,
                                       h->model, msg, tries)
                           : xasprintf("embedding server %s (model %s): %s", h->shown_url, h->model, msg);
    char *clean = scrub(h, full);
    plait_breaker_record(&h->br, &t, outcome, clean, now_mono_ms(), now_wall_ms());
    int rc = plait_error_set(code, "%s", clean);
    free(clean);
    free(full);
    free(msg);
    return rc;
}

static int http_embed_batch(void *impl, const char *const *texts, size_t n, float *out)
{
    http_impl *h = impl;
    for (size_t at = 0; at < n; at += h->batch_size) {
        size_t m = n - at < h->batch_size ? n - at : h->batch_size;
        int rc = request(h, texts + at, m, out + at * (size_t)h->dims);
        if (rc != PLAIT_OK) return rc;
    }
    return PLAIT_OK;
}

/* ---- the handle ---------------------------------------------------------------------- */

static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static http_impl *g_reg;

static void http_free_impl(http_impl *h)
{
    for (size_t i = 0; i < h->npool; i++) curl_easy_cleanup(h->pool[i]);
    pthread_mutex_destroy(&h->pool_mu);
    plait_breaker_destroy(&h->br);
    /* The header list holds the key too: wipe it before freeing. */
    for (struct curl_slist *s = h->headers; s; s = s->next) memset(s->data, 0, strlen(s->data));
    curl_slist_free_all(h->headers);
    if (h->key) {
        memset(h->key, 0, strlen(h->key));
        free(h->key);
    }
    free(h->endpoint);
    free(h->shown_url);
    free(h->model);
    free(h);
}

static void http_destroy(void *impl)
{
    http_impl *h = impl;
    pthread_mutex_lock(&g_reg_mu);
    for (http_impl **p = &g_reg; *p; p = &(*p)->reg_next)
        if (*p == h) {
            *p = h->reg_next;
            break;
        }
    pthread_mutex_unlock(&g_reg_mu);
    http_free_impl(h);
}

static const plait_embedder_vtable HTTP_VT = {
    .kind = HTTP_KIND,
    .embed_batch = http_embed_batch,
    .tokenize = NULL,
    .set_threads = NULL,
    .destroy = http_destroy,
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_init_rc;
static void global_init(void)
{
    g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    json_object_seed(0);
}

int plait_embed_open_http(const plait_embed_http_opts *o, plait_embedder **out)
{
    if (!o || !out) return plait_error_set(PLAIT_EINVALID, "plait_embed_open_http: NULL argument");
    *out = NULL;
    if (!o->url || !*o->url) return plait_error_set(PLAIT_EINVALID, "an HTTP embedder needs a URL (--embed-url)");
    if (!o->model || !*o->model)
        return plait_error_set(PLAIT_EINVALID, "an HTTP embedder needs a model name (--embed-model)");
    if (o->max_retries < PLAIT_EMBED_HTTP_NONE || o->breaker_threshold < PLAIT_EMBED_HTTP_NONE)
        return plait_error_set(PLAIT_EINVALID, "plait_embed_open_http: max_retries and breaker_threshold "
                                               "take 0 (default), PLAIT_EMBED_HTTP_NONE or a positive count");
    pthread_once(&g_once, global_init);
    if (g_init_rc != CURLE_OK)
        return plait_error_set(PLAIT_ERR, "libcurl failed to initialise: %s", curl_easy_strerror(g_init_rc));

    char *endpoint, *shown, *host;
    int rc = plait_http_resolve_url(o->url, &endpoint, &shown, &host);
    if (rc != PLAIT_OK) return rc;

    http_impl *h = xcalloc(1, sizeof *h);
    h->endpoint = endpoint;
    h->shown_url = shown;
    h->model = xstrdup(o->model);
    h->batch_size = o->batch_size ? o->batch_size : DEFAULT_BATCH;
    h->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    h->max_retries = o->max_retries == PLAIT_EMBED_HTTP_NONE ? 0
                     : o->max_retries ? (unsigned)o->max_retries : DEFAULT_RETRIES;
    h->backoff_base_ms = o->backoff_base_ms ? o->backoff_base_ms : DEFAULT_BACKOFF_BASE_MS;
    h->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
    if (h->backoff_max_ms < h->backoff_base_ms) h->backoff_max_ms = h->backoff_base_ms;
    h->retry_after_max_ms = o->retry_after_max_ms ? o->retry_after_max_ms : DEFAULT_RETRY_AFTER_MAX_MS;
    uint32_t threshold = o->breaker_threshold == PLAIT_EMBED_HTTP_NONE ? 0
                         : o->breaker_threshold ? (uint32_t)o->breaker_threshold : DEFAULT_BREAKER_N;
    plait_breaker_init(&h->br, threshold, o->breaker_cooldown_ms ? o->breaker_cooldown_ms : DEFAULT_COOLDOWN_MS);
    pthread_mutex_init(&h->pool_mu, NULL);
    atomic_init(&h->rng, (uint64_t)now_wall_ms() ^ ((uint64_t)(uintptr_t)h << 16));
    atomic_init(&h->requests, 0);
    atomic_init(&h->retries, 0);
    h->dims = o->dims;

    h->headers = curl_slist_append(NULL, "Content-Type: application/json");
    h->headers = curl_slist_append(h->headers, "Accept: application/json");
    h->headers = curl_slist_append(h->headers, "Expect:"); /* no 100-continue round trip */
    const char *key = getenv(o->api_key_env && *o->api_key_env ? o->api_key_env : DEFAULT_KEY_ENV);
    if (key && *key) {
        h->key = xstrdup(key);
        char *line = xasprintf("Authorization: Bearer %s", key);
        h->headers = curl_slist_append(h->headers, line);
        memset(line, 0, strlen(line));
        free(line);
    }
    if (!h->headers) {
        free(host);
        http_free_impl(h);
        return plait_error_set(PLAIT_ENOMEM, "out of memory building HTTP headers");
    }

    if (h->dims == 0) { /* learn the dimension from one small request */
        const char *texts[1] = {PROBE_TEXT};
        rc = request(h, texts, 1, NULL);
        if (rc != PLAIT_OK) {
            free(host);
            http_free_impl(h);
            return rc;
        }
    }

    char *model_id = xasprintf("http:%s@%s", o->model, host);
    free(host);
    plait_embedder *e = NULL;
    rc = plait_embedder_new(&HTTP_VT, h, h->dims, model_id, o->max_tokens, &e);
    free(model_id);
    if (rc != PLAIT_OK) {
        http_free_impl(h);
        return rc;
    }
    h->handle = e;
    pthread_mutex_lock(&g_reg_mu);
    h->reg_next = g_reg;
    g_reg = h;
    pthread_mutex_unlock(&g_reg_mu);
    *out = e;
    return PLAIT_OK;
}

int plait_embed_http_state(const plait_embedder *e, plait_embed_http_status *st)
{
    if (!e || !st) return plait_error_set(PLAIT_EINVALID, "plait_embed_http_state: NULL argument");
    int rc = plait_error_set(PLAIT_EINVALID, "not an HTTP embedder (%s)", plait_embed_kind(e));
    pthread_mutex_lock(&g_reg_mu);
    for (http_impl *h = g_reg; h; h = h->reg_next)
        if (h->handle == e) {
            memset(st, 0, sizeof *st);
            plait_breaker_snapshot(&h->br, now_mono_ms(), st);
            st->requests = atomic_load(&h->requests);
            st->retries = atomic_load(&h->retries);
            rc = PLAIT_OK;
            break;
        }
    pthread_mutex_unlock(&g_reg_mu);
    if (rc == PLAIT_OK) plait_error_clear();
    return rc;
}
