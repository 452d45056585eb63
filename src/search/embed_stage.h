/*
 * embed_stage.h - `plait index`'s embedding stage, run after the structural index committed
 * (find and show work while it runs).
 *
 * It gives every node of an embedded kind (text.h) a vector for the embedder's model:
 *   1. vectors of nodes that changed (new stamp) or went away are deleted from SQLite and
 *      from the HNSW, in one commit;
 *   2. the rest is embedded in batches: the node's text (text.h) is hashed and looked up in
 *      vec_cache (model, text hash), so identical text is never embedded twice; misses go to
 *      the model; each batch is one commit that bumps the vector generation;
 *   3. the HNSW file is saved stamped with the final generation.  A missing, stale or damaged
 *      file is rebuilt from SQLite first.
 * SIGINT/SIGTERM stop it between batches (committed work is kept; the next run resumes).  A
 * model failure stops it and is recorded for `plait status` (meta embed_status,
 * embed_breaker); the structural index is untouched.  Nothing is written when there is
 * nothing to do.
 */
#ifndef PLAIT_SEARCH_EMBED_STAGE_H
#define PLAIT_SEARCH_EMBED_STAGE_H

#include <stdint.h>

#include "plait/embed.h"

typedef struct {
    const char *db_path;      /* index.db; the HNSW file goes beside it */
    /* What to embed with, as text ("local", "http <url> <model>"); NULL = embedding off
     * (--embed none).  When it, the text version and the tree are unchanged and the last
     * run completed, the stage returns without opening the model. */
    const char *config;
    /* Opens the embedder when needed; the stage frees it.  A failure is recorded for
     * `plait status` and ends the stage (not an error). */
    int (*open_embedder)(void *ctx, plait_embedder **out);
    void *open_ctx;
    const char *provider;     /* "local" or "http", recorded for search */
    const char *http_url, *http_model; /* recorded so search can embed queries alike */
    unsigned jobs;            /* threads for embedding and HNSW builds */
    int structural_changed;   /* the structural run wrote something */
    int quiet, progress;
} plait_embed_stage_opts;

typedef struct {
    long embedded;     /* texts sent to the model */
    long cached;       /* nodes whose text was found in vec_cache */
    long removed;      /* vectors deleted (changed or removed nodes) */
    long missing;      /* embeddable nodes still without a vector */
    int rebuilt;       /* the HNSW file was rebuilt from SQLite */
    int changed;       /* anything was written */
    int interrupted;
    double seconds;
    const char *status; /* "complete", "interrupted", "failed", "disabled", "unchanged" (static) */
} plait_embed_stage_stats;

/* PLAIT_OK when the stage ran or was skipped as asked (a model failure is not an error: it
 * is recorded and reported in stats); PLAIT_EINTERRUPTED after a signal; an error for
 * database or file trouble. */
int plait_embed_stage_run(const plait_embed_stage_opts *o, plait_embed_stage_stats *st);

#endif
