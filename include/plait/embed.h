/*
 * plait/embed.h - text embedders: turn texts into fixed-size float vectors.
 *
 * An embedder is an opaque handle with a fixed dimension and a model id.  The model id names
 * the exact, verified model (for the local model: "use-lite@sha256:<hex>", a hash over the
 * pinned hashes of every model file), so a vector stored under a model id is always comparable
 * with a fresh one made under the same id.
 *
 * Providers: the local USE-lite model (plait_embed_open_local) runs in-process with plait's
 * own inference code.  Other providers (an HTTP client, a test double) implement
 * plait_embedder_vtable and wrap themselves with plait_embedder_new(); callers then use the
 * same plait_embed_* calls whatever sits behind the handle.
 *
 * Threads: plait_embed_batch and plait_embed_tokenize may be called from several threads at
 * once on one handle (the local provider keeps no per-call state in the handle); setting the
 * thread count and freeing must not race with them.
 *
 * Errors: functions returning int give PLAIT_OK or a negative plait_error_code, with the
 * message available from plait_error_last() (see plait/error.h).
 */
#ifndef PLAIT_EMBED_H
#define PLAIT_EMBED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct plait_embedder plait_embedder;

/* What a provider implements.  `impl` is the provider's own state, handed to
 * plait_embedder_new and passed back on every call. */
typedef struct {
    const char *kind; /* short provider name: "local", "http", ... (static string) */
    /* Writes n * dims floats to `out` (row i = texts[i]), each row L2-normalised.  texts[i]
     * are NUL-terminated UTF-8 (invalid bytes are tolerated, never fatal).  Either every row
     * is written and PLAIT_OK returned, or an error is returned and `out` is unspecified. */
    int (*embed_batch)(void *impl, const char *const *texts, size_t n, float *out);
    /* Optional (NULL if the provider has no tokenizer): token ids of `text` (len bytes)
     * before any truncation, in a malloc'd array the caller frees. */
    int (*tokenize)(void *impl, const char *text, size_t len, int32_t **ids, size_t *n);
    /* Optional: how many threads one embed_batch call may use (>= 1). */
    int (*set_threads)(void *impl, unsigned threads);
    /* Releases `impl`.  Called once, by plait_embed_free. */
    void (*destroy)(void *impl);
} plait_embedder_vtable;

/* Wraps a provider in a handle.  `vt` must outlive the handle (normally a static const);
 * `model_id` is copied; `max_tokens` is the provider's input limit in its own tokens (0 =
 * unknown).  On success the handle owns `impl` (destroy runs at plait_embed_free); on
 * failure the caller still owns it. */
int plait_embedder_new(const plait_embedder_vtable *vt, void *impl, uint32_t dims,
                       const char *model_id, uint32_t max_tokens, plait_embedder **out);

/* Options for the local model.  Zero-initialise, then set what you need. */
typedef struct {
    unsigned threads; /* worker threads per batch call; 0 = 1 */
} plait_embed_local_opts;

/* Opens the local USE-lite model from `model_dir` (the package's dist/ folder holding
 * model.json, vocab.json and the weight shards), or, when NULL, from the first of:
 * $PLAIT_MODEL_DIR; <directory of the executable>/../share/plait/use-lite; the source
 * tree's third_party/use-lite/dist.  Every file is checked against the sha256 pins compiled
 * into plait before use; a changed, truncated or missing file is refused (PLAIT_ECORRUPT /
 * PLAIT_ENOTFOUND) with a message naming the file and the fix.  `opts` may be NULL.
 * The caller owns *out and frees it with plait_embed_free. */
int plait_embed_open_local(const char *model_dir, const plait_embed_local_opts *opts,
                           plait_embedder **out);

/* The directory plait_embed_open_local(NULL, ...) would use, in a fresh string the caller
 * frees; PLAIT_ENOTFOUND when no candidate holds a model.json. */
int plait_embed_default_model_dir(char **out);

/* Embeds n texts into out[n * dims].  n = 0 is allowed and does nothing. */
int plait_embed_batch(plait_embedder *e, const char *const *texts, size_t n, float *out);

/* Token ids of one text, before truncation (caller frees *ids).  PLAIT_EINVALID if the
 * provider has no tokenizer. */
int plait_embed_tokenize(plait_embedder *e, const char *text, size_t len, int32_t **ids,
                         size_t *n);

/* Threads used by later batch calls (>= 1).  PLAIT_EINVALID if the provider has no such
 * setting or threads is 0. */
int plait_embed_set_threads(plait_embedder *e, unsigned threads);

uint32_t plait_embed_dims(const plait_embedder *e);
/* Valid for the handle's lifetime. */
const char *plait_embed_model_id(const plait_embedder *e);
/* Provider kind ("local", "http", ...). */
const char *plait_embed_kind(const plait_embedder *e);
/* Tokens the model reads; later tokens are ignored (0 = unknown).  Local USE-lite: 128. */
uint32_t plait_embed_max_tokens(const plait_embedder *e);

/* Frees the handle and its provider; NULL is a no-op. */
void plait_embed_free(plait_embedder *e);


/* ======================================================================================
 * Remote models: an OpenAI-compatible /v1/embeddings client (src/embed/http.c).
 *
 * Speaks to any server with the OpenAI embeddings API (Ollama, llama.cpp server, vLLM,
 * hosted APIs).  Texts are sent in requests of at most `batch_size` inputs; rows come back
 * in input order (placed by each response item's "index") and are L2-normalised here.
 * Connection errors, timeouts, HTTP 429 and 5xx are retried with exponential backoff and
 * full jitter (Retry-After honoured); other 4xx are not retried.  A circuit breaker guards
 * the server: after `breaker_threshold` consecutive failed requests it opens and every call
 * fails at once, without touching the network, until `breaker_cooldown_ms` have passed; then
 * one call is let through as a probe (a single attempt): success closes the breaker, failure
 * opens it again.  The API key is read from the environment once, at open, sent as
 * "Authorization: Bearer <key>", and never logged nor written into an error message.
 * ====================================================================================== */

/* Give to an int option to mean "none" (no retries, breaker disabled). */
#define PLAIT_EMBED_HTTP_NONE (-1)

/* Options for the HTTP provider.  Zero-initialise, then set what you need: every zero field
 * takes the default shown. */
typedef struct {
    /* Server URL: a base ("http://localhost:11434", ".../v1") or the full endpoint
     * (".../v1/embeddings"; any path ending in "/embeddings" is used as given).  Required. */
    const char *url;
    const char *model;        /* the "model" field of each request.  Required. */
    const char *api_key_env;  /* environment variable holding the key; NULL =
                               * "PLAIT_EMBED_API_KEY".  Unset or empty: no Authorization. */
    unsigned batch_size;      /* inputs per request; 0 = 64 */
    unsigned timeout_ms;      /* whole-request timeout per attempt; 0 = 30000 */
    int max_retries;          /* retries after the first attempt; 0 = 3, NONE = no retry */
    unsigned backoff_base_ms; /* first backoff ceiling; 0 = 200 (doubles per retry) */
    unsigned backoff_max_ms;  /* backoff ceiling cap; 0 = 10000 */
    unsigned retry_after_max_ms; /* longest Retry-After obeyed; a longer one fails the
                                  * request at once; 0 = 60000 */
    int breaker_threshold;    /* consecutive failed requests that open the breaker; 0 = 5,
                               * NONE = no breaker */
    unsigned breaker_cooldown_ms; /* open -> half-open after this long; 0 = 30000 */
    uint32_t dims;            /* expected dimension; 0 = learn it at open with one probe
                               * request (so open needs the server up), then enforce */
    uint32_t max_tokens;      /* the model's input limit in its tokens, if known (0) */
} plait_embed_http_opts;

/* Opens an HTTP embedder.  Model id: "http:<model>@<host>[:<port>]" (no credentials, path
 * or query).  Fails with PLAIT_EINVALID on bad options or a URL curl cannot parse, and, when
 * opts->dims is 0, with the probe request's error.  No tokenizer; set_threads is not
 * supported (calls already run concurrently).  The caller frees *out with plait_embed_free. */
int plait_embed_open_http(const plait_embed_http_opts *opts, plait_embedder **out);

typedef enum {
    PLAIT_BREAKER_CLOSED = 0,   /* requests flow */
    PLAIT_BREAKER_OPEN = 1,     /* failing fast until the cool-down ends */
    PLAIT_BREAKER_HALF_OPEN = 2 /* one probe request in flight */
} plait_breaker_state;

/* A snapshot of an HTTP embedder's health, for `plait status`. */
typedef struct {
    plait_breaker_state state;
    uint32_t consecutive_failures; /* failed requests since the last success */
    uint32_t threshold;            /* 0 when the breaker is disabled */
    uint64_t requests;             /* HTTP attempts sent (retries included) */
    uint64_t successes;            /* requests that returned usable vectors */
    uint64_t failures;             /* requests that failed after their retries */
    uint64_t retries;              /* attempts that were retries */
    uint64_t rejected;             /* requests refused at once by an open breaker */
    uint64_t opens;                /* times the breaker opened */
    int64_t opened_at_ms;          /* Unix time (ms) it last opened; 0 = never */
    int64_t probe_in_ms;           /* while open: ms until a probe is allowed (>= 0) */
    char last_error[256];          /* the last failure's message ("" = none) */
} plait_embed_http_status;

/* Fills *st for an embedder made by plait_embed_open_http; PLAIT_EINVALID for any other
 * handle.  Safe to call while other threads embed. */
int plait_embed_http_state(const plait_embedder *e, plait_embed_http_status *st);

/* A short constant name: "closed", "open", "half-open". */
const char *plait_breaker_state_name(plait_breaker_state s);

#ifdef __cplusplus
}
#endif

#endif
