/*
 * search.h - `plait search`: lexical (FTS5 BM25), semantic (HNSW over node vectors) and
 * hybrid (BM25's candidates re-scored by their stored vectors' similarity to the query,
 * fused with BM25 and joined by the HNSW's own hits, plus an exact-name boost) retrieval of
 * nodes.
 *
 * Filters (kind, crate, file-path glob) are pushed into both searches: a WHERE clause on the
 * FTS query and an allow-predicate on the HNSW search, never a cut after the top k.  A file
 * reached from several crates is indexed once per crate; its copies are folded into one hit
 * (the best-ranked), as `plait find` does.
 */
#ifndef PLAIT_SEARCH_SEARCH_H
#define PLAIT_SEARCH_SEARCH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PLAIT_SEARCH_HYBRID, PLAIT_SEARCH_LEXICAL, PLAIT_SEARCH_SEMANTIC } plait_search_mode;

typedef struct {
    const char *kind, *crate, *path_glob; /* NULL = any; path_glob is SQLite GLOB on the file */
} plait_search_filter;

typedef struct plait_searcher plait_searcher;

/* Opens what a search needs on a read-only index connection `db` (borrowed; must outlive the
 * searcher) whose file is `db_path`: the model the vectors were made with (recorded by
 * `plait index`) and the HNSW file.  Never fails for want of vectors: the searcher then does
 * lexical search only, and plait_searcher_note says why.  Caller frees with
 * plait_searcher_free. */
int plait_searcher_open(sqlite3 *db, const char *db_path, plait_searcher **out);
void plait_searcher_free(plait_searcher *s);
/* Why semantic search is unavailable or degraded ("" if it is not); valid for the
 * searcher's lifetime. */
const char *plait_searcher_note(const plait_searcher *s);
/* 1 if semantic search is available. */
int plait_searcher_has_vectors(const plait_searcher *s);

typedef struct {
    char *key, *name, *path, *kind, *file;
    int64_t line;
    double score;       /* fused score (higher is better): hybrid 0.3 x lex_norm + 0.7 x dense
                         * + name_boost; lexical lex_norm, semantic dense (+ boost) */
    int lex_rank;       /* 1-based rank in the BM25 list, 0 = absent */
    double lex_score;   /* bm25() as SQLite gives it (lower is better) */
    int sem_rank;       /* 1-based rank in the vector list, 0 = absent */
    double lex_norm;    /* bm25 relative to the best of the list (1 = the best), 0 = absent */
    double sem_score;   /* inner product with the query, as the HNSW list gave it */
    double dense;       /* the similarity fusion used: exact inner product of the node's stored
                         * vector with the query's (or the list's lowest, the node having none) */
    int has_dense;      /* 1 if the node's own vector gave `dense` */
    double name_boost;  /* exact-name boost added */
} plait_search_hit;

typedef struct {
    plait_search_hit *hits;
    size_t n;
    plait_search_mode mode; /* the mode that ran (semantic/hybrid fall back to lexical) */
    double ms_total, ms_embed; /* wall clock: the whole query, the query's embedding (which runs
                                * on its own thread beside the lexical search) */
    double ms_cpu, ms_cpu_embed; /* CPU time of the query's threads, and of the embedding alone */
} plait_search_result;

/* Runs one query.  out->hits (caller frees with plait_search_result_free) holds at most k
 * hits, best first. */
int plait_search_run(plait_searcher *s, const char *query, plait_search_mode mode, const plait_search_filter *f,
                     size_t k, plait_search_result *out);
void plait_search_result_free(plait_search_result *r);

/* The FTS5 MATCH expression for a query: its words (identifiers split, lowercase) and its
 * unsplit identifiers, quoted and OR'd, common English stop words left out; NULL if the
 * query has no words.  Caller frees. */
char *plait_search_fts_query(const char *query);

#endif
