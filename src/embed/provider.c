/*
 * provider.c - the plait_embedder handle: a vtable, the provider's state, and the facts every
 * caller needs (dimension, model id, token limit).  All plait_embed_* calls dispatch here, so
 * the indexing pipeline never knows which provider it talks to.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "plait/embed.h"
#include "plait/error.h"

struct plait_embedder {
    const plait_embedder_vtable *vt;
    void *impl;
    uint32_t dims;
    uint32_t max_tokens;
    char *model_id;
};

int plait_embedder_new(const plait_embedder_vtable *vt, void *impl, uint32_t dims, const char *model_id,
                       uint32_t max_tokens, plait_embedder **out)
{
    if (!vt || !vt->embed_batch || !vt->destroy || !model_id || !*model_id || dims == 0 || !out)
        return plait_error_set(PLAIT_EINVALID, "plait_embedder_new: a provider needs embed_batch, destroy, a model id and dims > 0");
    plait_embedder *e = xcalloc(1, sizeof *e);
    e->vt = vt;
    e->impl = impl;
    e->dims = dims;
    e->max_tokens = max_tokens;
    e->model_id = xstrdup(model_id);
    *out = e;
    return PLAIT_OK;
}

int plait_embed_batch(plait_embedder *e, const char *const *texts, size_t n, float *out)
{
    if (!e || (n && (!texts || !out))) return plait_error_set(PLAIT_EINVALID, "plait_embed_batch: NULL argument");
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) return plait_error_set(PLAIT_EINVALID, "plait_embed_batch: text %zu is NULL", i);
    if (n == 0) return PLAIT_OK;
    return e->vt->embed_batch(e->impl, texts, n, out);
}

int plait_embed_tokenize(plait_embedder *e, const char *text, size_t len, int32_t **ids, size_t *n)
{
    if (!e || (!text && len) || !ids || !n) return plait_error_set(PLAIT_EINVALID, "plait_embed_tokenize: NULL argument");
    if (!e->vt->tokenize)
        return plait_error_set(PLAIT_EINVALID, "the %s embedder (%s) exposes no tokenizer", e->vt->kind, e->model_id);
    return e->vt->tokenize(e->impl, text ? text : "", len, ids, n);
}

int plait_embed_set_threads(plait_embedder *e, unsigned threads)
{
    if (!e || threads == 0) return plait_error_set(PLAIT_EINVALID, "plait_embed_set_threads: need a handle and threads >= 1");
    if (!e->vt->set_threads) return plait_error_set(PLAIT_EINVALID, "the %s embedder has no thread setting", e->vt->kind);
    return e->vt->set_threads(e->impl, threads);
}

uint32_t plait_embed_dims(const plait_embedder *e) { return e->dims; }
const char *plait_embed_model_id(const plait_embedder *e) { return e->model_id; }
const char *plait_embed_kind(const plait_embedder *e) { return e->vt->kind; }
uint32_t plait_embed_max_tokens(const plait_embedder *e) { return e->max_tokens; }

void plait_embed_free(plait_embedder *e)
{
    if (!e) return;
    e->vt->destroy(e->impl);
    free(e->model_id);
    free(e);
}
