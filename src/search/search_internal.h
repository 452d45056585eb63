/* search_internal.h - shared between search.c and dense.c only. */
#ifndef PLAIT_SEARCH_INTERNAL_H
#define PLAIT_SEARCH_INTERNAL_H

#include "search/search.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "plait/embed.h"
#include "plait/vector.h"

typedef struct {
    char *key;    /* node key (owned) */
    char *group;  /* "path\x1fkind" (owned): copies of one item (cfg twins, impl copies) fold */
    double score; /* bm25, inner product or boost, per list */
    int64_t label; /* the node's vector label, -1 if none (lexical list only) */
    double dense;  /* lexical list: inner product of the node's vector with the query */
    int has_dense; /* 1 if dense was computed (the node has a vector, the mode embeds) */
} cand;
typedef PLAIT_VEC(cand) cand_list;

/* Appends a candidate unless its item (path and kind) or its site (file, byte offset and
 * kind: one file reached from several crates) is already in the list; `seen` is the list's
 * own set of both.  1 if appended. */
int plait_search_cand_push(cand_list *l, plait_strmap *seen, const char *key, const char *path, const char *kind,
                           const char *file, long long byte, double score);

/* plait's own BM25 over nodes_fts's postings (bm25.c): FTS5's bm25() with column weights
 * name 10, words 6, path 2, signature 3, doc 1, term at a time. */
typedef struct plait_bm25 plait_bm25;
/* NULL if this SQLite's FTS5 lacks what it needs (the caller then ranks with bm25()). */
plait_bm25 *plait_bm25_open(sqlite3 *db);
void plait_bm25_free(plait_bm25 *b);
/* Scores the rows matching any term of `match` (plait_search_fts_query's form), pruned as
 * described in bm25.c; plait_bm25_next then gives them best first, 0 when there are no more. */
int plait_bm25_query(plait_bm25 *b, const char *match);
int plait_bm25_next(plait_bm25 *b, int64_t *rowid, double *score);

/* A helper thread that may take one task at a time off the caller (worker.c). */
typedef struct plait_search_worker plait_search_worker;
plait_search_worker *plait_search_worker_new(void); /* NULL if no thread could start */
void plait_search_worker_free(plait_search_worker *w);
/* Offers fn(arg) to the helper; returns at once. */
void plait_search_worker_offer(plait_search_worker *w, void (*fn)(void *), void *arg);
/* Returns when the offered task has run: here, now, if the helper had not started it (0), or
 * on the helper, waited for (1). */
int plait_search_worker_finish(plait_search_worker *w);

struct plait_searcher {
    sqlite3 *db;
    plait_embedder *e;  /* NULL: no semantic search */
    plait_vindex *ix;   /* NULL with e set: exact scan of SQLite (the file was not usable) */
    char *model;
    uint32_t dims;
    long long fts_total; /* FTS rows, for the share of rows a term matches */
    plait_bm25 *bm25;    /* NULL: FTS5's bm25() ranks */
    plait_search_worker *worker; /* runs a hybrid query's lexical part beside its embedding */
    /* statements kept across the queries of a --batch (prepared on first use) */
    sqlite3_stmt *lex_row, *hit_row, *label_row;
    char note[512];
};

/* *slot, prepared from `sql` on first use (reset and unbound after each use by the caller);
 * NULL with the error set if it cannot be prepared. */
sqlite3_stmt *plait_search_stmt(plait_searcher *s, sqlite3_stmt **slot, const char *sql);

/* Labels of vectors whose node passes the filter, sorted (caller frees). */
int plait_search_filter_labels(sqlite3 *db, const plait_search_filter *f, uint64_t **out, size_t *n);

/* Nearest nodes to `qvec` (the query's vector), best first, at most `depth`. */
int plait_search_dense(plait_searcher *s, const float *qvec, const plait_search_filter *f, size_t depth, cand_list *out);

/* Sets dense/has_dense of each candidate of `l` that has a vector label: its inner product
 * with the query vector (the stored vector, read from the HNSW or SQLite). */
void plait_search_rescore(plait_searcher *s, const float *qvec, cand_list *l);

/* Opens the embedder recorded in meta and the HNSW file; sets s->note on any shortfall. */
void plait_search_open_dense(plait_searcher *s, const char *db_path);

#endif
