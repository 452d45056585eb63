/* embed_stage.c - `plait index`'s embedding stage (see embed_stage.h). */
#include "search/embed_stage.h"
#include "search/text.h"
#include "search/vecs.h"
#include "store/store.h"
#include "core/fsutil.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BATCH 128

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

typedef struct {
    const plait_embed_stage_opts *o;
    plait_embed_stage_stats *st;
    plait_embedder *e;
    plait_store *store;
    sqlite3 *db;
    const char *model;
    uint32_t dims;
    size_t budget;
    char *root, *hnsw_path;
    uint64_t gen;
    plait_vindex *ix;
    int ix_dirty;
    int64_t cur_fid; /* the source file read last, for function bodies */
    char *cur_buf;
    size_t cur_len;
    uint64_t t0;
} stage;

/* One node of a batch. */
typedef struct {
    char *key, *stamp, *text;
    plait_hash th;
    float *vec;  /* points into the batch's vector buffer */
    int cached;
} item;

static int db_fail(stage *s, const char *what)
{
    return plait_error_set(PLAIT_EDB, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(stage *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? PLAIT_OK : db_fail(s, sql);
}

static char *meta(stage *s, const char *k) { return plait_store_meta_get(s->store, k); }

static int meta_is(stage *s, const char *k, const char *want)
{
    char *v = meta(s, k);
    int same = v && want && !strcmp(v, want);
    free(v);
    return same;
}

/* Commits one change to the vectors: the generation moves on inside the same transaction. */
static int bump_and_commit(stage *s)
{
    int rc = plait_vecs_set_generation(s->db, ++s->gen);
    if (rc == PLAIT_OK) rc = plait_store_commit(s->store);
    else plait_store_rollback(s->store);
    if (rc == PLAIT_OK) s->st->changed = 1;
    return rc;
}

/* Loads the HNSW file, or rebuilds it from SQLite when it is missing, stale or damaged. */
static int open_index(stage *s)
{
    const char *why = NULL;
    if (plait_vecs_load(s->hnsw_path, s->gen, s->dims, &s->ix, &why) == PLAIT_OK) return PLAIT_OK;
    size_t n = 0;
    uint64_t t = plait_now_ns();
    int rc = plait_vecs_rebuild(s->db, s->model, s->dims, s->o->jobs, &s->ix, &n);
    if (rc) return rc;
    s->ix_dirty = 1;
    s->st->rebuilt = n > 0 || strcmp(why, "missing") != 0;
    if (!s->o->quiet && s->st->rebuilt)
        fprintf(stderr, "vector index %s: rebuilt from the database (%zu vectors, %.1fs)\n", why, n,
                (double)(plait_now_ns() - t) / 1e9);
    return PLAIT_OK;
}

/* Step 1: vectors of nodes that changed or went away leave SQLite and the HNSW. */
static int prune(stage *s)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT v.key, l.label FROM node_vecs v LEFT JOIN vec_labels l ON l.key = v.key "
                                  "WHERE v.model = ?1 AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.key = v.key AND "
                                  "n.stamp = v.stamp AND n." PLAIT_TEXT_KIND_SQL ")", -1, &q, NULL) != SQLITE_OK)
        return db_fail(s, "finding changed vectors");
    sqlite3_bind_text(q, 1, s->model, -1, SQLITE_STATIC);
    PLAIT_VEC(char *) keys = {0};
    PLAIT_VEC(int64_t) labels = {0};
    while (sqlite3_step(q) == SQLITE_ROW) {
        PLAIT_VEC_PUSH(&keys, xstrdup((const char *)sqlite3_column_text(q, 0)));
        PLAIT_VEC_PUSH(&labels, sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 1));
    }
    sqlite3_finalize(q);
    int rc = PLAIT_OK;
    if (keys.len) {
        rc = plait_store_begin(s->store);
        if (rc == PLAIT_OK && sqlite3_prepare_v2(s->db, "DELETE FROM node_vecs WHERE key = ?1 AND model = ?2", -1, &q, NULL) != SQLITE_OK)
            rc = db_fail(s, "deleting vectors");
        for (size_t i = 0; rc == PLAIT_OK && i < keys.len; i++) {
            sqlite3_bind_text(q, 1, keys.items[i], -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, s->model, -1, SQLITE_STATIC);
            if (sqlite3_step(q) != SQLITE_DONE) rc = db_fail(s, "deleting vectors");
            sqlite3_reset(q);
        }
        if (rc == PLAIT_OK) sqlite3_finalize(q);
        rc = rc == PLAIT_OK ? bump_and_commit(s) : (plait_store_rollback(s->store), rc);
        for (size_t i = 0; rc == PLAIT_OK && i < labels.len; i++)
            if (labels.items[i] >= 0 && plait_vindex_remove(s->ix, (uint64_t)labels.items[i]) == PLAIT_OK) s->ix_dirty = 1;
        s->st->removed = (long)keys.len;
    }
    for (size_t i = 0; i < keys.len; i++) free(keys.items[i]);
    PLAIT_VEC_FREE(&keys);
    PLAIT_VEC_FREE(&labels);
    return rc;
}

/* The source of file `fid` if it still matches what was indexed (else no body is used). */
static void load_source(stage *s, int64_t fid, const char *rel, const void *hash, int hash_len)
{
    if (fid == s->cur_fid) return;
    free(s->cur_buf);
    s->cur_buf = NULL;
    s->cur_len = 0;
    s->cur_fid = fid;
    char *abs = plait_path_join(s->root ? s->root : ".", rel);
    char *buf = NULL;
    size_t len = 0;
    if (plait_read_file(abs, 0, &buf, &len) == PLAIT_OK) {
        plait_hash h;
        plait_hash_bytes(&h, buf, len);
        if (hash_len == PLAIT_HASH_BYTES && !memcmp(h.b, hash, PLAIT_HASH_BYTES)) {
            s->cur_buf = buf;
            s->cur_len = len;
            buf = NULL;
        }
    }
    free(buf);
    free(abs);
}

/* Fills it->key, stamp, text and hash from node row `rowid`; 0 if the row is gone. */
static int build_item(stage *s, sqlite3_stmt *q, int64_t rowid, item *it)
{
    sqlite3_bind_int64(q, 1, rowid);
    int found = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        found = 1;
        int64_t b0 = sqlite3_column_int64(q, 7), b1 = sqlite3_column_int64(q, 8);
        load_source(s, sqlite3_column_int64(q, 9), (const char *)sqlite3_column_text(q, 10), sqlite3_column_blob(q, 11),
                    sqlite3_column_bytes(q, 11));
        plait_text_node tn = {(const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3),
                              (const char *)sqlite3_column_text(q, 4), (const char *)sqlite3_column_text(q, 5),
                              (const char *)sqlite3_column_text(q, 6), NULL, 0};
        if (s->cur_buf && b0 >= 0 && b0 <= b1 && (size_t)b1 <= s->cur_len) {
            tn.source = s->cur_buf + b0;
            tn.source_len = (size_t)(b1 - b0);
        }
        it->key = xstrdup((const char *)sqlite3_column_text(q, 0));
        it->stamp = xstrdup((const char *)sqlite3_column_text(q, 1));
        it->text = plait_text_build(&tn, s->budget);
        plait_text_hash(it->text, &it->th);
    }
    sqlite3_reset(q);
    return found;
}

/* Looks the items' texts up in vec_cache; what is missing is embedded in one call. */
static int fill_vectors(stage *s, item *items, size_t n, float *vecs)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT vec FROM vec_cache WHERE model = ?1 AND text_hash = ?2", -1, &q, NULL) != SQLITE_OK)
        return db_fail(s, "reading cached vectors");
    const char **texts = xmalloc(n * sizeof *texts);
    size_t *which = xmalloc(n * sizeof *which), nm = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].vec = vecs + i * s->dims;
        sqlite3_bind_text(q, 1, s->model, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, items[i].th.b, PLAIT_HASH_BYTES, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW &&
            plait_vecs_decode(sqlite3_column_blob(q, 0), sqlite3_column_bytes(q, 0), s->dims, items[i].vec) == PLAIT_OK) {
            items[i].cached = 1;
        } else {
            texts[nm] = items[i].text;
            which[nm++] = i;
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    int rc = PLAIT_OK;
    if (nm) {
        float *out = xmalloc(nm * s->dims * sizeof *out);
        rc = plait_embed_batch(s->e, texts, nm, out);
        if (rc == PLAIT_OK)
            for (size_t j = 0; j < nm; j++) memcpy(items[which[j]].vec, out + j * s->dims, s->dims * sizeof *out);
        free(out);
    }
    if (rc == PLAIT_OK) {
        s->st->embedded += (long)nm;
        s->st->cached += (long)(n - nm);
    }
    free(texts);
    free(which);
    return rc;
}

/* Writes one batch (one transaction) and adds it to the HNSW. */
static int store_batch(stage *s, item *items, size_t n)
{
    static const char *const sql[3] = {
        "INSERT OR IGNORE INTO vec_cache(model, text_hash, vec) VALUES (?1, ?2, ?3)",
        "INSERT OR REPLACE INTO node_vecs(key, model, stamp, text_hash) VALUES (?1, ?2, ?3, ?4)",
        "INSERT INTO vec_labels(key) VALUES (?1) ON CONFLICT(key) DO UPDATE SET key = key RETURNING label"};
    sqlite3_stmt *q[3] = {0};
    int rc = plait_store_begin(s->store);
    for (int k = 0; rc == PLAIT_OK && k < 3; k++)
        if (sqlite3_prepare_v2(s->db, sql[k], -1, &q[k], NULL) != SQLITE_OK) rc = db_fail(s, sql[k]);
    uint64_t *labels = xmalloc(n * sizeof *labels);
    float *vecs = xmalloc(n * s->dims * sizeof *vecs);
    for (size_t i = 0; rc == PLAIT_OK && i < n; i++) {
        item *it = &items[i];
        sqlite3_bind_text(q[0], 1, s->model, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q[0], 2, it->th.b, PLAIT_HASH_BYTES, SQLITE_STATIC);
        sqlite3_bind_blob(q[0], 3, it->vec, (int)(s->dims * sizeof(float)), SQLITE_STATIC);
        sqlite3_bind_text(q[1], 1, it->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[1], 2, s->model, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[1], 3, it->stamp, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q[1], 4, it->th.b, PLAIT_HASH_BYTES, SQLITE_STATIC);
        sqlite3_bind_text(q[2], 1, it->key, -1, SQLITE_STATIC);
        if ((!it->cached && sqlite3_step(q[0]) != SQLITE_DONE) || sqlite3_step(q[1]) != SQLITE_DONE ||
            sqlite3_step(q[2]) != SQLITE_ROW)
            rc = db_fail(s, "writing vectors");
        else labels[i] = (uint64_t)sqlite3_column_int64(q[2], 0);
        for (int k = 0; k < 3; k++) sqlite3_reset(q[k]);
        memcpy(vecs + i * s->dims, it->vec, s->dims * sizeof *vecs);
    }
    for (int k = 0; k < 3; k++) sqlite3_finalize(q[k]);
    rc = rc == PLAIT_OK ? bump_and_commit(s) : (plait_store_rollback(s->store), rc);
    if (rc == PLAIT_OK) {
        rc = plait_vindex_add_batch(s->ix, labels, vecs, n, 1);
        s->ix_dirty = 1;
    }
    free(labels);
    free(vecs);
    return rc;
}

/* The rowids of embeddable nodes that have no vector for the model, file by file. */
static int todo_list(stage *s, int64_t **out, size_t *n)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT n.rowid FROM nodes n WHERE n." PLAIT_TEXT_KIND_SQL " AND NOT EXISTS "
                                  "(SELECT 1 FROM node_vecs v WHERE v.key = n.key AND v.model = ?1) ORDER BY n.file_id, n.byte_start",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(s, "finding nodes to embed");
    sqlite3_bind_text(q, 1, s->model, -1, SQLITE_STATIC);
    PLAIT_VEC(int64_t) v = {0};
    while (sqlite3_step(q) == SQLITE_ROW) PLAIT_VEC_PUSH(&v, sqlite3_column_int64(q, 0));
    sqlite3_finalize(q);
    *out = v.items;
    *n = v.len;
    return PLAIT_OK;
}

static void progress(stage *s, size_t done, size_t total, int final)
{
    if (!s->o->progress || s->o->quiet) return;
    double secs = (double)(plait_now_ns() - s->t0) / 1e9;
    fprintf(stderr, "\rembedding %zu/%zu nodes  %.0f/s ", done, total, secs > 0 ? (double)done / secs : 0);
    if (final) fputc('\n', stderr);
}

/* What the model said when it failed, for status; 1 if embedding should stop. */
static int note_failure(stage *s, char *why, size_t cap)
{
    plait_embed_http_status hs;
    snprintf(why, cap, "%s", plait_error_last());
    if (plait_embed_http_state(s->e, &hs) != PLAIT_OK) return 1; /* local: a failure is not transient */
    return hs.state == PLAIT_BREAKER_OPEN || hs.threshold == 0;
}

/* Step 2: embeds every node that lacks a vector, batch by batch. */
static int embed_missing(stage *s, char *why, size_t cap)
{
    int64_t *todo = NULL;
    size_t n = 0;
    int rc = todo_list(s, &todo, &n);
    if (rc) return rc;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT n.key, n.stamp, n.kind, n.name, n.path, n.signature, n.doc, n.byte_start, "
                                  "n.byte_end, n.file_id, f.path, f.hash FROM nodes n JOIN files f ON f.id = n.file_id "
                                  "WHERE n.rowid = ?1", -1, &q, NULL) != SQLITE_OK) {
        free(todo);
        return db_fail(s, "reading nodes");
    }
    item *items = xcalloc(BATCH, sizeof *items);
    float *vecs = xmalloc((size_t)BATCH * s->dims * sizeof *vecs);
    int failed = 0, halt = 0;
    for (size_t at = 0, next; at < n && rc == PLAIT_OK && !stop_requested; at = next) {
        next = at + BATCH;
        size_t m = 0;
        for (size_t i = at; i < n && i < at + BATCH; i++)
            if (build_item(s, q, todo[i], &items[m])) m++;
        int erc = fill_vectors(s, items, m, vecs);
        if (erc == PLAIT_OK) {
            failed = 0;
            why[0] = '\0'; /* an earlier failure was transient */
            rc = store_batch(s, items, m);
        } else if (erc == PLAIT_EDB) {
            rc = erc;
        } else {
            /* the same batch again until the breaker opens (a local model is not retried) */
            failed++;
            int stop = note_failure(s, why, cap);
            if (!s->o->quiet) fprintf(stderr, "%splait: embedding failed: %s\n", s->o->progress ? "\n" : "", why);
            halt = stop || failed >= 100;
            next = at;
        }
        for (size_t i = 0; i < m; i++) {
            free(items[i].key);
            free(items[i].stamp);
            free(items[i].text);
        }
        memset(items, 0, (size_t)BATCH * sizeof *items);
        if (halt) break;
        progress(s, at + m, n, 0);
    }
    if (n) progress(s, n, n, 1);
    sqlite3_finalize(q);
    free(items);
    free(vecs);
    free(todo);
    return rc;
}

static long count_missing(stage *s)
{
    sqlite3_stmt *q;
    long n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM nodes n WHERE n." PLAIT_TEXT_KIND_SQL " AND NOT EXISTS "
                                  "(SELECT 1 FROM node_vecs v WHERE v.key = n.key AND v.model = ?1)", -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(q, 1, s->model, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) n = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* The breaker as status shows it (HTTP only). */
static void record_breaker(stage *s)
{
    plait_embed_http_status hs;
    if (plait_embed_http_state(s->e, &hs) != PLAIT_OK) {
        plait_store_meta_set(s->store, "embed_breaker", "none (local model)");
        return;
    }
    char *v = xasprintf("%s, %u consecutive failures (opens at %u)%s%s", plait_breaker_state_name(hs.state),
                        hs.consecutive_failures, hs.threshold, hs.last_error[0] ? "; last error: " : "", hs.last_error);
    plait_store_meta_set(s->store, "embed_breaker", v);
    free(v);
}

/* Records the provider, so `plait search` embeds queries with the same model. */
static void record_provider(stage *s)
{
    const plait_embed_stage_opts *o = s->o;
    plait_store_meta_set(s->store, "embed_provider", o->provider ? o->provider : "local");
    plait_store_meta_set(s->store, "embed_model", s->model);
    char dims[16];
    snprintf(dims, sizeof dims, "%u", s->dims);
    plait_store_meta_set(s->store, "embed_dims", dims);
    if (o->http_url) plait_store_meta_set(s->store, "embed_url", o->http_url);
    if (o->http_model) plait_store_meta_set(s->store, "embed_name", o->http_model);
}

/* "size:mtime_ns" of the HNSW file as saved; NULL if it is missing.  A file rewritten or
 * touched since plait saved it is loaded and checked in full before it is trusted. */
static char *file_signature(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return NULL;
    return xasprintf("%lld:%lld", (long long)sb.st_size, (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec);
}

/* Nothing to do: the tree did not change, the last run finished with this configuration and
 * text version, and the model's HNSW file carries the database's generation.  Decided from
 * meta and the file header only, without opening the model. */
static int up_to_date(stage *s, const char *dir)
{
    uint64_t fgen;
    if (s->o->structural_changed || !meta_is(s, "embed_status", "complete") || !meta_is(s, "embed_config", s->o->config) ||
        !meta_is(s, "embed_text", PLAIT_TEXT_VERSION))
        return 0;
    char *model = meta(s, "embed_model");
    char *path = model ? plait_vecs_file(dir, model) : NULL;
    char *sig = path ? file_signature(path) : NULL;
    int ok = sig && meta_is(s, "vec_file", sig) && plait_vecs_peek(path, &fgen) == PLAIT_OK && fgen == s->gen;
    free(sig);
    free(model);
    free(path);
    return ok;
}

static int run_stage(stage *s)
{
    char why[512] = "";
    if (!meta_is(s, "embed_text", PLAIT_TEXT_VERSION)) { /* texts are built differently now: embed again */
        int rc = plait_store_begin(s->store);
        if (rc == PLAIT_OK) rc = exec(s, "DELETE FROM node_vecs");
        if (rc == PLAIT_OK) rc = plait_store_meta_set(s->store, "embed_text", PLAIT_TEXT_VERSION);
        rc = rc == PLAIT_OK ? bump_and_commit(s) : (plait_store_rollback(s->store), rc);
        if (rc) return rc;
    }
    int rc = open_index(s);
    if (rc == PLAIT_OK) rc = prune(s);
    if (rc == PLAIT_OK) rc = embed_missing(s, why, sizeof why);
    if (rc == PLAIT_OK && s->ix_dirty) rc = plait_vindex_save(s->ix, s->hnsw_path, s->gen);
    if (rc != PLAIT_OK) return rc;
    char *sig = file_signature(s->hnsw_path);
    if (sig) plait_store_meta_set(s->store, "vec_file", sig);
    free(sig);
    s->st->missing = count_missing(s);
    s->st->interrupted = stop_requested;
    s->st->status = why[0] ? "failed" : stop_requested ? "interrupted" : s->st->missing ? "incomplete" : "complete";
    char *status = why[0] ? xasprintf("failed: %s", why)
                   : stop_requested ? xstrdup("interrupted: run `plait index` again to finish")
                                    : xstrdup(s->st->status);
    plait_store_meta_set(s->store, "embed_status", status);
    free(status);
    record_breaker(s);
    return PLAIT_OK;
}

/* Opens the model and runs the stage; the signal handlers are ours meanwhile. */
static int open_and_run(stage *s, const char *dir)
{
    const plait_embed_stage_opts *o = s->o;
    if (o->open_embedder(o->open_ctx, &s->e) != PLAIT_OK) {
        char *v = xasprintf("failed: the model could not be opened: %s", plait_error_last());
        if (!o->quiet) fprintf(stderr, "plait: embedding skipped, %s\n", v + 8);
        plait_store_meta_set(s->store, "embed_status", v);
        plait_store_meta_set(s->store, "embed_breaker", "not started (the model did not open)");
        free(v);
        s->st->status = "failed";
        return PLAIT_OK;
    }
    s->model = plait_embed_model_id(s->e);
    s->dims = plait_embed_dims(s->e);
    s->budget = plait_text_budget(plait_embed_max_tokens(s->e));
    s->hnsw_path = plait_vecs_file(dir, s->model);
    if (o->jobs) plait_embed_set_threads(s->e, o->jobs); /* not every provider has threads */
    record_provider(s);
    stop_requested = 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = run_stage(s);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc == PLAIT_OK) plait_store_meta_set(s->store, "embed_config", o->config);
    if (rc == PLAIT_OK && stop_requested)
        rc = plait_error_set(PLAIT_EINTERRUPTED, "interrupted while embedding: what was embedded is committed; "
                             "run `plait index` again to finish");
    return rc;
}

int plait_embed_stage_run(const plait_embed_stage_opts *o, plait_embed_stage_stats *st)
{
    memset(st, 0, sizeof *st);
    stage s = {.o = o, .st = st, .cur_fid = -1, .t0 = plait_now_ns()};
    int rc = plait_store_open(o->db_path, 0, 0, &s.store);
    if (rc) return rc;
    s.db = plait_store_db(s.store);
    char *dir = plait_path_dirname(o->db_path);
    if (!dir[0]) {
        free(dir);
        dir = xstrdup(".");
    }
    s.gen = plait_vecs_generation(s.db);
    s.root = plait_store_meta_get(s.store, "root");
    if (!o->config) {
        plait_store_meta_set(s.store, "embed_status", "disabled: indexed with --embed none");
        st->status = "disabled";
    } else if (up_to_date(&s, dir)) {
        st->status = "unchanged";
    } else {
        rc = open_and_run(&s, dir);
    }
    st->seconds = (double)(plait_now_ns() - s.t0) / 1e9;
    plait_vindex_free(s.ix);
    plait_embed_free(s.e);
    free(s.cur_buf);
    free(s.root);
    free(s.hnsw_path);
    free(dir);
    plait_store_close(s.store);
    return rc;
}
