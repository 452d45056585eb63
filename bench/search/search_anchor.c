/*
 * search_anchor.c - the anchors for `plait search`, run on the same index and queries:
 *
 *   search_anchor DB_DIR QUERIES.txt exact|fts [--k N]
 *
 * exact: embeds each query with the local model (one thread, as a search does) and scans
 *        every stored vector of that model (brute-force dot product, exact top k): what the
 *        semantic mode's HNSW approximates, in quality and in time.
 * fts:   a bare FTS5 query over plait's own nodes_fts table: the query's words OR'ed, ranked
 *        by bm25() with FTS5's default (equal) column weights, no boosts, no stop words.
 *
 * Prints one JSON line per query in `plait search --batch --json`'s shape: query, results
 * [{key, name, path, kind, file, line, score}], ms_total, ms_embed (exact: the query's
 * embedding; fts: 0).  Timing covers the work after the query text is read: embedding,
 * scan or FTS query, and the lookup of the k result rows.  The vectors are loaded once
 * before the first query (stderr says how many and how long).
 */
#include <ctype.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/xalloc.h"
#include "plait/embed.h"
#include "plait/error.h"

typedef struct {
    char *key;
    float score;
} hit;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "search_anchor: %s: %s\n", what, msg);
    exit(1);
}

/* Keeps the k best (highest score) in hits[0..*n), sorted descending. */
static void top_push(hit *hits, size_t *n, size_t k, char *key, float s)
{
    if (*n == k && s <= hits[k - 1].score) return;
    size_t i = *n < k ? (*n)++ : k - 1;
    while (i > 0 && hits[i - 1].score < s) {
        hits[i] = hits[i - 1];
        i--;
    }
    hits[i].key = key;
    hits[i].score = s;
}

static json_t *result_rows(sqlite3 *db, sqlite3_stmt *look, const hit *hits, size_t n)
{
    (void)db;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(look);
        sqlite3_bind_text(look, 1, hits[i].key, -1, SQLITE_STATIC);
        if (sqlite3_step(look) != SQLITE_ROW) continue;
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:f}", "key", hits[i].key, "name",
                           (const char *)sqlite3_column_text(look, 0), "path",
                           (const char *)sqlite3_column_text(look, 1), "kind",
                           (const char *)sqlite3_column_text(look, 2), "file",
                           (const char *)sqlite3_column_text(look, 3), "line",
                           sqlite3_column_int(look, 4), "score", (double)hits[i].score));
    }
    return arr;
}

/* "w1" OR "w2" ... over the query's ASCII alphanumeric runs, lower-cased, each once (one
 * token each for unicode61, so no phrase: the table is detail=column). */
static char *fts_query(const char *q)
{
    size_t cap = strlen(q) * 8 + 16, len = 0;
    char *out = xmalloc(cap);
    out[0] = 0;
    const char *p = q;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p)) p++;
        const char *s = p;
        while (*p && isalnum((unsigned char)*p)) p++;
        if (p == s) continue;
        char w[256];
        size_t wl = (size_t)(p - s) < sizeof w - 1 ? (size_t)(p - s) : sizeof w - 1;
        for (size_t i = 0; i < wl; i++) w[i] = (char)tolower((unsigned char)s[i]);
        w[wl] = 0;
        char quoted[300];
        snprintf(quoted, sizeof quoted, "\"%s\"", w);
        if (strstr(out, quoted)) continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " OR " : "", quoted);
    }
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: search_anchor DB_DIR QUERIES.txt exact|fts [--k N]\n");
        return 2;
    }
    const char *mode = argv[3];
    size_t k = 10;
    for (int i = 4; i + 1 < argc; i++)
        if (strcmp(argv[i], "--k") == 0) k = (size_t)atoi(argv[i + 1]);
    int exact = strcmp(mode, "exact") == 0;
    if (!exact && strcmp(mode, "fts") != 0) die(mode, "mode must be exact or fts");

    char path[4096];
    snprintf(path, sizeof path, "%s/index.db", argv[1]);
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) die(path, sqlite3_errmsg(db));
    sqlite3_stmt *look;
    if (sqlite3_prepare_v2(db,
                           "SELECT n.name, n.path, n.kind, f.path, n.line_start FROM nodes n"
                           " JOIN files f ON f.id = n.file_id WHERE n.key = ?1",
                           -1, &look, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));

    plait_embedder *e = NULL;
    size_t nv = 0, dims = 0;
    float *vecs = NULL;
    char **keys = NULL;
    if (exact) {
        plait_embed_local_opts o = {.threads = 1};
        if (plait_embed_open_local(NULL, &o, &e) != PLAIT_OK) die("model", plait_error_last());
        dims = plait_embed_dims(e);
        uint64_t t0 = plait_now_ns();
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT nv.key, vc.vec FROM node_vecs nv JOIN vec_cache vc"
                               " ON vc.model = nv.model AND vc.text_hash = nv.text_hash"
                               " WHERE nv.model = ?1",
                               -1, &st, NULL) != SQLITE_OK)
            die("prepare vectors", sqlite3_errmsg(db));
        sqlite3_bind_text(st, 1, plait_embed_model_id(e), -1, SQLITE_STATIC);
        size_t cap = 1024;
        vecs = xmalloc(cap * dims * sizeof *vecs);
        keys = xmalloc(cap * sizeof *keys);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if ((size_t)sqlite3_column_bytes(st, 1) != dims * sizeof(float)) die("vectors", "a vector of the wrong size");
            if (nv == cap) {
                cap *= 2;
                vecs = xrealloc(vecs, cap * dims * sizeof *vecs);
                keys = xrealloc(keys, cap * sizeof *keys);
            }
            memcpy(vecs + nv * dims, sqlite3_column_blob(st, 1), dims * sizeof(float)); /* LE float32 */
            keys[nv++] = xstrdup((const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
        fprintf(stderr, "search_anchor: %zu vectors of %zu dims loaded in %.0f ms\n", nv, dims,
                (plait_now_ns() - t0) / 1e6);
        if (nv == 0) die(path, "no vectors for the local model (index with --embed local)");
        float warm[512];
        const char *w = "warm up";
        plait_embed_batch(e, &w, 1, warm);
    }
    sqlite3_stmt *fts = NULL;
    if (!exact &&
        sqlite3_prepare_v2(db,
                           "SELECT n.key, -bm25(nodes_fts) FROM nodes_fts JOIN nodes n ON n.rowid = nodes_fts.rowid"
                           " WHERE nodes_fts MATCH ?1 ORDER BY bm25(nodes_fts) LIMIT ?2",
                           -1, &fts, NULL) != SQLITE_OK)
        die("prepare fts", sqlite3_errmsg(db));

    FILE *qf = fopen(argv[2], "r");
    if (!qf) die(argv[2], "cannot open");
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    hit *hits = xcalloc(k, sizeof *hits);
    float *qv = xmalloc((dims ? dims : 1) * sizeof *qv);
    while ((len = getline(&line, &lcap, qf)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        size_t n = 0;
        char **own = NULL;
        uint64_t t0 = plait_now_ns(), t_emb = 0;
        if (exact) {
            const char *t = line;
            if (plait_embed_batch(e, &t, 1, qv) != PLAIT_OK) die("embed", plait_error_last());
            t_emb = plait_now_ns() - t0;
            for (size_t i = 0; i < nv; i++) {
                const float *v = vecs + i * dims;
                float s = 0;
                for (size_t d = 0; d < dims; d++) s += v[d] * qv[d];
                top_push(hits, &n, k, keys[i], s);
            }
        } else {
            char *q = fts_query(line);
            own = xcalloc(k, sizeof *own);
            if (*q) {
                sqlite3_reset(fts);
                sqlite3_bind_text(fts, 1, q, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(fts, 2, (int)k);
                int rc;
                while ((rc = sqlite3_step(fts)) == SQLITE_ROW && n < k) {
                    own[n] = xstrdup((const char *)sqlite3_column_text(fts, 0));
                    hits[n].key = own[n];
                    hits[n].score = (float)sqlite3_column_double(fts, 1);
                    n++;
                }
                if (rc != SQLITE_ROW && rc != SQLITE_DONE) die("fts", sqlite3_errmsg(db));
            }
            free(q);
        }
        json_t *rows = result_rows(db, look, hits, n);
        double ms = (plait_now_ns() - t0) / 1e6;
        json_t *o = json_pack("{s:s, s:o, s:f, s:f}", "query", line, "results", rows, "ms_total", ms,
                              "ms_embed", t_emb / 1e6);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
        if (own) {
            for (size_t i = 0; i < n; i++) free(own[i]);
            free(own);
        }
    }
    free(line);
    fclose(qf);
    free(hits);
    free(qv);
    for (size_t i = 0; i < nv; i++) free(keys[i]);
    free(keys);
    free(vecs);
    if (fts) sqlite3_finalize(fts);
    sqlite3_finalize(look);
    sqlite3_close(db);
    plait_embed_free(e);
    return 0;
}
