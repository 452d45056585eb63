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

#ifdef __cplusplus
}
#endif

#endif
