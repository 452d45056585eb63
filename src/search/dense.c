/* dense.c - the semantic half of search: the query model, the HNSW file (or an exact scan of
 * SQLite when the file cannot be trusted) and filtered nearest-neighbour search. */
#include "search/search_internal.h"
#include "search/vecs.h"
#include "core/fsutil.h"
#include "plait/error.h"
#include "store/words.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *meta(sqlite3 *db, const char *key)
{
    sqlite3_stmt *q;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &q, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) v = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return v;
}

static long long count_vectors(sqlite3 *db, const char *model)
{
    sqlite3_stmt *q;
    long long n = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM node_vecs WHERE model = ?1", -1, &q, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_text(q, 1, model, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* The embedder `plait index` used, opened the same way (the HTTP key from the environment). */
static int open_model(plait_searcher *s, const char *provider)
{
    if (!strcmp(provider, "http")) {
        char *url = meta(s->db, "embed_url"), *name = meta(s->db, "embed_name");
        plait_embed_http_opts ho = {.url = url, .model = name, .dims = s->dims, .max_retries = 1, .timeout_ms = 10000};
        int rc = url && name ? plait_embed_open_http(&ho, &s->e) : plait_error_set(PLAIT_EINVALID, "no server recorded");
        free(url);
        free(name);
        return rc;
    }
    plait_embed_local_opts lo = {.threads = 1};
    return plait_embed_open_local(NULL, &lo, &s->e);
}

void plait_search_open_dense(plait_searcher *s, const char *db_path)
{
    char *provider = meta(s->db, "embed_provider"), *model = meta(s->db, "embed_model"), *dims = meta(s->db, "embed_dims");
    char *status = meta(s->db, "embed_status");
    if (!provider || !model || !dims || !count_vectors(s->db, model)) {
        snprintf(s->note, sizeof s->note, "no vectors in this index (%s): lexical search only",
                 status ? status : "run `plait index` with --embed local or http");
    } else {
        s->model = xstrdup(model);
        s->dims = (uint32_t)atoi(dims);
        if (open_model(s, provider) != PLAIT_OK) {
            snprintf(s->note, sizeof s->note, "the model could not be opened (%s): lexical search only", plait_error_last());
        } else if (strcmp(plait_embed_model_id(s->e), model) != 0 || plait_embed_dims(s->e) != s->dims) {
            snprintf(s->note, sizeof s->note, "the vectors were made by %s, the model now is %s: lexical search only; "
                     "run `plait index` to embed again", model, plait_embed_model_id(s->e));
            plait_embed_free(s->e);
            s->e = NULL;
        } else {
            char *dir = plait_path_dirname(db_path);
            char *path = plait_vecs_file(dir[0] ? dir : ".", model);
            const char *why = "";
            if (plait_vecs_load(path, plait_vecs_generation(s->db), s->dims, &s->ix, &why) != PLAIT_OK)
                snprintf(s->note, sizeof s->note, "the vector index file is %s: searching the stored vectors exactly "
                         "(slower); `plait index` rebuilds it", why);
            free(path);
            free(dir);
        }
    }
    free(provider);
    free(model);
    free(dims);
    free(status);
}

/* Words in s that say something: identifier words, without Rust keywords and without the
 * node's own name words (counted once, in `seen`). */
static int count_words(const char *s, plait_strmap *seen)
{
    if (!s) return 0;
    static const char *const skip[] = {"pub", "crate", "type", "fn", "self", "mut", "const", "let", "struct", "enum",
                                       "where", "impl", "dyn", "ref", "static", "super", NULL};
    strbuf w = {0};
    plait_words_append(&w, s, strlen(s));
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(w.buf ? w.buf : (char[]){0}, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int sk = t[0] >= '0' && t[0] <= '9';
        for (int i = 0; !sk && skip[i]; i++) sk = !strcmp(skip[i], t);
        if (sk || plait_strmap_has(seen, t)) continue;
        plait_strmap_put(seen, t, NULL);
        n++;
    }
    strbuf_free(&w);
    return n;
}

/* A field or type alias whose embedded text carries almost nothing (a tuple field `0: T`,
 * `type Item;`): such vectors sit near the centre of the space and come up for unrelated
 * queries, so dense search does not return them.  Other kinds are never thin: a struct,
 * enum or variant named by one word is still what its path says (`syn::stmt::Block`). */
static int thin(const char *kind, const char *name, const char *signature, const char *doc)
{
    if (!kind || (strcmp(kind, "field") != 0 && strcmp(kind, "type_alias") != 0)) return 0;
    if (doc && *doc) return 0;
    plait_strmap seen;
    plait_strmap_init(&seen);
    int n = count_words(name, &seen) + count_words(signature, &seen);
    plait_strmap_free(&seen);
    return n < 2;
}

typedef struct { const uint64_t *labels; size_t n; } label_set;

static int allow_label(uint64_t label, void *ctx)
{
    const label_set *ls = ctx;
    size_t lo = 0, hi = ls->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ls->labels[mid] < label) lo = mid + 1;
        else hi = mid;
    }
    return lo < ls->n && ls->labels[lo] == label;
}

static int hit_cmp(const void *a, const void *b)
{
    const plait_vindex_hit *x = a, *y = b;
    return x->distance < y->distance ? -1 : x->distance > y->distance ? 1 : x->label < y->label ? -1 : x->label > y->label;
}

/* Every stored vector of the model, scored exactly (the HNSW file is missing or stale). */
static int exact_scan(plait_searcher *s, const float *qvec, const label_set *allow, size_t depth, plait_vindex_hit *hits,
                      size_t *nh)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT l.label, c.vec FROM node_vecs v JOIN vec_labels l ON l.key = v.key JOIN vec_cache c "
                                  "ON c.model = v.model AND c.text_hash = v.text_hash WHERE v.model = ?1", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "reading vectors: %s", sqlite3_errmsg(s->db));
    sqlite3_bind_text(q, 1, s->model, -1, SQLITE_STATIC);
    PLAIT_VEC(plait_vindex_hit) all = {0};
    float *v = xmalloc(s->dims * sizeof *v);
    while (sqlite3_step(q) == SQLITE_ROW) {
        uint64_t label = (uint64_t)sqlite3_column_int64(q, 0);
        if (allow && !allow_label(label, (void *)allow)) continue;
        if (plait_vecs_decode(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1), s->dims, v) != PLAIT_OK) continue;
        double dot = 0;
        for (uint32_t i = 0; i < s->dims; i++) dot += (double)v[i] * qvec[i];
        plait_vindex_hit h = {label, (float)(1.0 - dot)};
        PLAIT_VEC_PUSH(&all, h);
    }
    sqlite3_finalize(q);
    free(v);
    if (all.len) qsort(all.items, all.len, sizeof *all.items, hit_cmp);
    *nh = all.len < depth ? all.len : depth;
    if (*nh) memcpy(hits, all.items, *nh * sizeof *hits);
    PLAIT_VEC_FREE(&all);
    return PLAIT_OK;
}

int plait_search_dense(plait_searcher *s, const float *qvec, const plait_search_filter *f, size_t depth, cand_list *out)
{
    label_set ls = {0};
    uint64_t *labels = NULL;
    int filtered = f && (f->kind || f->crate || f->path_glob);
    if (filtered) {
        int rc = plait_search_filter_labels(s->db, f, &labels, &ls.n);
        if (rc) return rc;
        ls.labels = labels;
        if (!ls.n) {
            free(labels);
            return PLAIT_OK;
        }
    }
    size_t fetch = depth * 3; /* room for the copies and thin items dropped below */
    plait_vindex_hit *hits = xmalloc(fetch * sizeof *hits);
    size_t nh = 0;
    int rc;
    if (s->ix) {
        plait_vindex_query vq = {.ef = 0, .allow = filtered ? allow_label : NULL, .allow_ctx = &ls};
        rc = plait_vindex_search(s->ix, qvec, fetch, &vq, hits, &nh);
    } else {
        rc = exact_scan(s, qvec, filtered ? &ls : NULL, fetch, hits, &nh);
    }
    sqlite3_stmt *q = NULL;
    if (rc == PLAIT_OK && !(q = plait_search_stmt(s, &s->label_row, "SELECT l.key, n.path, n.kind, f.path, n.byte_start, n.name, "
                                                                      "n.signature, n.doc FROM vec_labels l JOIN nodes n ON n.key = "
                                                                      "l.key JOIN files f ON f.id = n.file_id WHERE l.label = ?1")))
        rc = PLAIT_EDB;
    plait_strmap seen;
    plait_strmap_init(&seen);
    for (size_t i = 0; rc == PLAIT_OK && i < nh && out->len < depth; i++) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)hits[i].label);
        if (sqlite3_step(q) == SQLITE_ROW &&
            !thin((const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 5),
                  (const char *)sqlite3_column_text(q, 6), (const char *)sqlite3_column_text(q, 7)))
            plait_search_cand_push(out, &seen, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
                                   (const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3),
                                   sqlite3_column_int64(q, 4), 1.0 - hits[i].distance);
        sqlite3_reset(q);
    }
    plait_strmap_free(&seen);
    free(hits);
    free(labels);
    return rc;
}

void plait_search_rescore(plait_searcher *s, const float *qvec, cand_list *l)
{
    float *v = xmalloc(s->dims * sizeof *v);
    sqlite3_stmt *q = NULL;
    if (!s->ix && sqlite3_prepare_v2(s->db, "SELECT c.vec FROM vec_labels l JOIN node_vecs v ON v.key = l.key JOIN vec_cache c "
                                            "ON c.model = v.model AND c.text_hash = v.text_hash WHERE l.label = ?1 AND v.model = ?2",
                                     -1, &q, NULL) != SQLITE_OK) {
        free(v);
        return; /* no stored vectors to read: the candidates keep no dense score */
    }
    for (size_t i = 0; i < l->len; i++) {
        cand *c = &l->items[i];
        if (c->label < 0) continue;
        int ok;
        if (s->ix) {
            ok = plait_vindex_get(s->ix, (uint64_t)c->label, v) == PLAIT_OK;
        } else {
            sqlite3_bind_int64(q, 1, c->label);
            sqlite3_bind_text(q, 2, s->model, -1, SQLITE_STATIC);
            ok = sqlite3_step(q) == SQLITE_ROW &&
                 plait_vecs_decode(sqlite3_column_blob(q, 0), sqlite3_column_bytes(q, 0), s->dims, v) == PLAIT_OK;
            sqlite3_reset(q);
        }
        if (!ok) continue;
        double dot = 0;
        for (uint32_t d = 0; d < s->dims; d++) dot += (double)v[d] * qvec[d];
        c->dense = dot;
        c->has_dense = 1;
    }
    sqlite3_finalize(q);
    free(v);
}
