/* search.c - lexical, semantic and hybrid search over an index (see search.h). */
#include "search/search.h"
#include "search/search_internal.h"
#include "search/vecs.h"
#include "store/words.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <pthread.h>
#include <time.h>
#include <utf8proc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hybrid fusion (docs/ARCHITECTURE.md, "Search"; chosen on library/std's evaluation set of
 * docs/bench-search.md and confirmed on syn's): the top RESCORE_DEPTH lexical candidates are
 * scored by the exact inner product of their stored vector with the query's, and every
 * candidate gets LEX_WEIGHT x bm25 / best bm25 + (1 - LEX_WEIGHT) x similarity.  The dense
 * signal is weak as a retriever on code (half of BM25's MRR) but tells lexically plausible
 * candidates apart well; the HNSW list adds items lexical missed, with their similarity
 * alone.  A lexical candidate without a vector (impl blocks, use items) counts as the least
 * similar candidate: no evidence, not a penalty below every other. */
#define LEX_WEIGHT 0.3
#define RESCORE_DEPTH 100
#define BOOST_EXACT 1.0   /* name equals the query (or its last path component) exactly: first */
#define BOOST_NOCASE 0.5  /* the same, ignoring case */

static const char *const stop_words[] = {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "if", "in",
                                         "into", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to",
                                         "was", "which", "with", NULL};

static int is_stop(const char *w)
{
    for (int i = 0; stop_words[i]; i++)
        if (!strcmp(stop_words[i], w)) return 1;
    return 0;
}

/* Adds each space-separated word of `words` to `out` once (quoted, OR'd). */
static void add_terms(strbuf *out, plait_strmap *seen, const char *words, int keep_stop)
{
    char *copy = xstrdup(words), *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if ((!keep_stop && is_stop(w)) || plait_strmap_has(seen, w)) continue;
        plait_strmap_put(seen, w, NULL);
        strbuf_printf(out, "%s\"%s\"", out->len ? " OR " : "", w);
    }
    free(copy);
}

/* Length of the UTF-8 sequence at s (1 for a stray byte) and its code point. */
static size_t utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
    utf8proc_ssize_t len = utf8proc_iterate(s, (utf8proc_ssize_t)n, cp);
    if (len <= 0) {
        *cp = -1;
        return 1;
    }
    return (size_t)len;
}

/* A character the index's tokenizer (unicode61, default categories L* N* Co) keeps inside a
 * token; anything else separates tokens. */
static int token_char(int32_t cp)
{
    if (cp < 0) return 0;
    if (cp < 0x80) return (cp >= '0' && cp <= '9') || ((cp | 32) >= 'a' && (cp | 32) <= 'z');
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) || (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) ||
           c == UTF8PROC_CATEGORY_CO;
}

char *plait_search_fts_query(const char *query)
{
    /* The query is cut into runs of token characters exactly where the index's tokenizer
     * cuts text, so every term below is one token to FTS5 (a term of several tokens is a
     * phrase, which the detail=column table refuses).  Each run gives its identifier words
     * (`ParseStream` -> parse, stream) and itself lowercased ("parsestream"). */
    strbuf split = {0}, raw = {0}, out = {0};
    const unsigned char *q = (const unsigned char *)query;
    size_t n = strlen(query);
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t len = utf8_next(q + i, n - i, &cp);
        if (!token_char(cp)) {
            i += len;
            continue;
        }
        size_t b = i;
        while (i < n) {
            len = utf8_next(q + i, n - i, &cp);
            if (!token_char(cp)) break;
            i += len;
        }
        plait_words_append(&split, query + b, i - b);
        if (raw.len) strbuf_putc(&raw, ' ');
        for (size_t j = b; j < i; j++) strbuf_putc(&raw, query[j] >= 'A' && query[j] <= 'Z' ? (char)(query[j] | 32) : query[j]);
    }
    plait_strmap seen;
    plait_strmap_init(&seen);
    add_terms(&out, &seen, strbuf_str(&split), 0);
    add_terms(&out, &seen, strbuf_str(&raw), 0);
    if (!out.len) add_terms(&out, &seen, strbuf_str(&split), 1); /* only stop words: use them */
    plait_strmap_free(&seen);
    strbuf_free(&split);
    strbuf_free(&raw);
    if (!out.len) {
        strbuf_free(&out);
        return NULL;
    }
    return strbuf_detach(&out);
}

/* The filter as SQL over nodes n JOIN files f, binding ?2 kind, ?3 crate, ?4 glob. */
#define FILTER_SQL "(?2 IS NULL OR n.kind = ?2) AND (?3 IS NULL OR n.crate = ?3) AND (?4 IS NULL OR f.path GLOB ?4)"

static void bind_filter(sqlite3_stmt *q, const plait_search_filter *f)
{
    if (!f) return;
    if (f->kind) sqlite3_bind_text(q, 2, f->kind, -1, SQLITE_STATIC);
    if (f->crate) sqlite3_bind_text(q, 3, f->crate, -1, SQLITE_STATIC);
    if (f->path_glob) sqlite3_bind_text(q, 4, f->path_glob, -1, SQLITE_STATIC);
}

int plait_search_filter_labels(sqlite3 *db, const plait_search_filter *f, uint64_t **out, size_t *n)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT l.label FROM vec_labels l JOIN nodes n ON n.key = l.key JOIN files f ON f.id = n.file_id "
                               "WHERE ?1 IS NULL AND " FILTER_SQL " ORDER BY l.label", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "filtering vectors: %s", sqlite3_errmsg(db));
    bind_filter(q, f);
    PLAIT_VEC(uint64_t) v = {0};
    while (sqlite3_step(q) == SQLITE_ROW) PLAIT_VEC_PUSH(&v, (uint64_t)sqlite3_column_int64(q, 0));
    sqlite3_finalize(q);
    *out = v.items;
    *n = v.len;
    return PLAIT_OK;
}

int plait_search_cand_push(cand_list *l, plait_strmap *seen, const char *key, const char *path, const char *kind,
                           const char *file, long long byte, double score)
{
    char *group = xasprintf("%s\x1f%s", path ? path : "", kind ? kind : "");
    char *site = xasprintf("\x1e%s\x1f%lld\x1f%s", file ? file : "", byte, kind ? kind : "");
    int fresh = !plait_strmap_has(seen, group) && !plait_strmap_has(seen, site);
    if (fresh) {
        plait_strmap_put(seen, group, NULL);
        plait_strmap_put(seen, site, NULL);
        cand c = {xstrdup(key), group, score, -1, 0.0, 0};
        PLAIT_VEC_PUSH(l, c);
    } else {
        free(group);
    }
    free(site);
    return fresh;
}

/* Rows matching one term (a quoted word), without ranking: the doclist is only walked. */
static long long term_rows(sqlite3 *db, const char *term)
{
    sqlite3_stmt *q;
    long long n = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM nodes_fts WHERE nodes_fts MATCH ?1", -1, &q, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_text(q, 1, term, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

typedef struct { char *term; long long rows; } term_df;

static int df_cmp(const void *a, const void *b)
{
    const term_df *x = a, *y = b;
    return x->rows < y->rows ? -1 : x->rows > y->rows;
}

/* BM25's cost is per matching row, and a term found in a large share of the rows adds many
 * rows and little rank (low IDF).  Such terms are dropped while rarer ones remain: a term
 * is kept if it is in at most 1/16 of the rows (at least 256 rows), and at most the 12
 * rarest are kept.  Rewrites `match` in place order: rarest first. */
static char *prune_terms(plait_searcher *s, char *match)
{
    PLAIT_VEC(term_df) t = {0};
    char *save = NULL;
    for (char *w = strtok_r(match, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!strcmp(w, "OR")) continue;
        term_df d = {w, term_rows(s->db, w)};
        if (d.rows) PLAIT_VEC_PUSH(&t, d);
    }
    if (t.len) qsort(t.items, t.len, sizeof *t.items, df_cmp);
    long long cap = s->fts_total / 16 > 256 ? s->fts_total / 16 : 256;
    strbuf out = {0};
    for (size_t i = 0; i < t.len && i < 12; i++) {
        if (i >= 2 && t.items[i].rows > cap) break;
        strbuf_printf(&out, "%s%s", out.len ? " OR " : "", t.items[i].term);
    }
    PLAIT_VEC_FREE(&t);
    return out.len ? strbuf_detach(&out) : NULL;
}

sqlite3_stmt *plait_search_stmt(plait_searcher *s, sqlite3_stmt **slot, const char *sql)
{
    if (!*slot && sqlite3_prepare_v2(s->db, sql, -1, slot, NULL) != SQLITE_OK) {
        plait_error_set(PLAIT_EDB, "search: %s", sqlite3_errmsg(s->db));
        *slot = NULL;
    }
    return *slot;
}

/* BM25 candidates by plait's own scoring (bm25.c), best first: rows are read in score order
 * and each is kept if it passes the filter and is not a copy of one kept, until `depth`. */
static int lexical_own(plait_searcher *s, const char *match, const plait_search_filter *f, size_t depth, cand_list *out)
{
    sqlite3_stmt *q = plait_search_stmt(s, &s->lex_row, "SELECT n.key, n.path, n.kind, f.path, n.byte_start, (SELECT label "
                                                        "FROM vec_labels WHERE key = n.key) FROM nodes n JOIN files f ON "
                                                        "f.id = n.file_id WHERE n.rowid = ?1 AND " FILTER_SQL);
    if (!q) return PLAIT_EDB;
    int rc = plait_bm25_query(s->bm25, match);
    if (rc) return rc;
    bind_filter(q, f);
    plait_strmap seen;
    plait_strmap_init(&seen);
    int64_t row;
    double score;
    while (out->len < depth && plait_bm25_next(s->bm25, &row, &score)) {
        sqlite3_bind_int64(q, 1, row);
        if (sqlite3_step(q) == SQLITE_ROW &&
            plait_search_cand_push(out, &seen, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
                                   (const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3),
                                   sqlite3_column_int64(q, 4), score) &&
            sqlite3_column_type(q, 5) == SQLITE_INTEGER)
            out->items[out->len - 1].label = sqlite3_column_int64(q, 5);
        sqlite3_reset(q);
    }
    sqlite3_clear_bindings(q);
    plait_strmap_free(&seen);
    return PLAIT_OK;
}

/* BM25 candidates, best first.  Column weights: name 10, its words 6, path words 2,
 * signature words 3, doc 1.  plait's own scoring when the connection's FTS5 allows it, else
 * FTS5's bm25() in SQL (the same scores, slower). */
static int lexical(plait_searcher *s, const char *query, const plait_search_filter *f, size_t depth, cand_list *out)
{
    sqlite3 *db = s->db;
    char *all = plait_search_fts_query(query);
    if (!all) return PLAIT_OK;
    if (s->bm25) {
        int rc = lexical_own(s, all, f, depth, out);
        free(all);
        return rc;
    }
    char *match = prune_terms(s, all);
    free(all);
    if (!match) return PLAIT_OK;
    sqlite3_stmt *q;
    /* unfiltered, rank inside FTS and join only the top rows; filtered, the join carries the
     * filter into the ranked set */
    int filtered = f && (f->kind || f->crate || f->path_glob);
    const char *sql = filtered ? "SELECT n.key, bm25(nodes_fts, 10.0, 6.0, 2.0, 3.0, 1.0) AS s, n.path, n.kind, f.path, n.byte_start, "
                                 "(SELECT label FROM vec_labels WHERE key = n.key) "
                                 "FROM nodes_fts JOIN nodes n ON n.rowid = nodes_fts.rowid JOIN files f ON f.id = n.file_id "
                                 "WHERE nodes_fts MATCH ?1 AND " FILTER_SQL " ORDER BY s LIMIT ?5"
                               : "SELECT n.key, x.s, n.path, n.kind, f.path, n.byte_start, (SELECT label FROM vec_labels WHERE key = n.key) "
                                 "FROM (SELECT rowid, "
                                 "bm25(nodes_fts, 10.0, 6.0, 2.0, 3.0, 1.0) AS s FROM nodes_fts WHERE nodes_fts MATCH ?1 AND "
                                 "?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL ORDER BY s LIMIT ?5) x JOIN nodes n ON n.rowid = x.rowid "
                                 "JOIN files f ON f.id = n.file_id ORDER BY x.s";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        free(match);
        return plait_error_set(PLAIT_EDB, "full-text search: %s", sqlite3_errmsg(db));
    }
    sqlite3_bind_text(q, 1, match, -1, SQLITE_STATIC);
    bind_filter(q, f);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)depth);
    int rc;
    plait_strmap seen;
    plait_strmap_init(&seen);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (plait_search_cand_push(out, &seen, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 2),
                                   (const char *)sqlite3_column_text(q, 3), (const char *)sqlite3_column_text(q, 4),
                                   sqlite3_column_int64(q, 5), sqlite3_column_double(q, 1)) &&
            sqlite3_column_type(q, 6) == SQLITE_INTEGER)
            out->items[out->len - 1].label = sqlite3_column_int64(q, 6);
    plait_strmap_free(&seen);
    sqlite3_finalize(q);
    free(match);
    return rc == SQLITE_DONE ? PLAIT_OK : plait_error_set(PLAIT_EDB, "full-text search: %s", sqlite3_errmsg(db));
}

/* Items named exactly like the query, for the name boost.  Only a query that is a name or a
 * path (one word: `Point`, `Wrapper::new`, `parse_quote!`) asks for an item by name; a
 * sentence that mentions a name in passing ("Returned by TypeGenerics::as_turbofish.") is
 * about something else, so it gets no boost. */
static int exact_names(sqlite3 *db, const char *query, const plait_search_filter *f, cand_list *out)
{
    const char *name = query, *p;
    while (*name == ' ') name++;
    size_t qlen = strlen(name);
    while (qlen && name[qlen - 1] == ' ') qlen--;
    if (!qlen || memchr(name, ' ', qlen)) return PLAIT_OK;
    const char *end = name + qlen;
    for (p = name; (p = strstr(p, "::")) && p < end; p += 2) name = p + 2;
    size_t len = (size_t)(end - name);
    while (len && (name[len - 1] == '!' || name[len - 1] == ')' || name[len - 1] == '(')) len--; /* macro!, fn() */
    if (!len) return PLAIT_OK;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT n.key, n.name = ?1, n.path, n.kind, f.path, n.byte_start FROM nodes n JOIN files f "
                               "ON f.id = n.file_id WHERE n.name = ?1 COLLATE NOCASE AND n.kind NOT IN ('use', 'impl') AND "
                               FILTER_SQL " LIMIT 50", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "name lookup: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(q, 1, name, (int)len, SQLITE_STATIC);
    bind_filter(q, f);
    plait_strmap seen;
    plait_strmap_init(&seen);
    while (sqlite3_step(q) == SQLITE_ROW)
        plait_search_cand_push(out, &seen, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 2),
                               (const char *)sqlite3_column_text(q, 3), (const char *)sqlite3_column_text(q, 4),
                               sqlite3_column_int64(q, 5), sqlite3_column_int(q, 1) ? BOOST_EXACT : BOOST_NOCASE);
    plait_strmap_free(&seen);
    sqlite3_finalize(q);
    return PLAIT_OK;
}

int plait_searcher_open(sqlite3 *db, const char *db_path, plait_searcher **out)
{
    plait_searcher *s = xcalloc(1, sizeof *s);
    s->db = db;
    /* a batch of queries reads the same FTS and node pages again and again: keep them
     * (a 64 MB page cache; the file mapped instead of copied by pread) */
    sqlite3_exec(db, "PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;", NULL, NULL, NULL);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM nodes_fts", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        s->fts_total = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    s->bm25 = plait_bm25_open(db);
    plait_search_open_dense(s, db_path);
    *out = s;
    return PLAIT_OK;
}

void plait_searcher_free(plait_searcher *s)
{
    if (!s) return;
    plait_search_worker_free(s->worker);
    sqlite3_finalize(s->lex_row);
    sqlite3_finalize(s->hit_row);
    sqlite3_finalize(s->label_row);
    plait_bm25_free(s->bm25);
    plait_vindex_free(s->ix);
    plait_embed_free(s->e);
    free(s->model);
    free(s);
}

const char *plait_searcher_note(const plait_searcher *s) { return s->note; }
int plait_searcher_has_vectors(const plait_searcher *s) { return s->e != NULL; }

/* CPU time of the calling thread, ms (on a shared machine, beside the wall clock). */
static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A query's lexical part, BM25 candidates and the name lookup: run by the searcher's helper
 * thread beside the query's embedding, or by the caller. */
typedef struct {
    plait_searcher *s;
    const char *query;
    const plait_search_filter *f;
    size_t depth;
    cand_list *lex, *names;
    int rc;
    char err[256]; /* the error is per thread: carried back to the caller */
    double ms_cpu;
} lex_job;

static void lex_task(void *arg)
{
    lex_job *j = arg;
    double c = thread_cpu_ms();
    j->rc = lexical(j->s, j->query, j->f, j->depth, j->lex);
    if (j->rc == PLAIT_OK) j->rc = exact_names(j->s->db, j->query, j->f, j->names);
    if (j->rc) snprintf(j->err, sizeof j->err, "%s", plait_error_last());
    j->ms_cpu = thread_cpu_ms() - c;
}

/* The query's vector; wall and CPU time into out.  On failure the searcher's note says so. */
static int embed_query(plait_searcher *s, const char *query, float *vec, plait_search_result *out)
{
    uint64_t t = plait_now_ns();
    double c = thread_cpu_ms();
    int rc = plait_embed_batch(s->e, &query, 1, vec);
    if (rc) snprintf(s->note, sizeof s->note, "embedding the query failed (%s): lexical search only", plait_error_last());
    out->ms_embed = (double)(plait_now_ns() - t) / 1e6;
    out->ms_cpu_embed = thread_cpu_ms() - c;
    return rc;
}

typedef struct {
    char *key;
    int lex_rank, sem_rank, has_dense;
    double lex_score, lex_norm, sem_score, dense, boost, score;
} fused;

static fused *fuse_get(plait_strmap *m, const char *group, const char *key)
{
    fused *f = plait_strmap_get(m, group);
    if (!f) {
        f = xcalloc(1, sizeof *f);
        f->key = xstrdup(key);
        plait_strmap_put(m, group, f);
    }
    return f;
}

/* Best first; equal scores keep the lexical order, then the dense order (a lexical search
 * alone is exactly BM25's order). */
static int fused_cmp(const void *a, const void *b)
{
    const fused *x = *(const fused *const *)a, *y = *(const fused *const *)b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    unsigned xl = (unsigned)x->lex_rank - 1, yl = (unsigned)y->lex_rank - 1; /* 0 (absent) sorts last */
    if (xl != yl) return xl < yl ? -1 : 1;
    unsigned xs = (unsigned)x->sem_rank - 1, ys = (unsigned)y->sem_rank - 1;
    if (xs != ys) return xs < ys ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void cands_free(cand_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].key);
        free(l->items[i].group);
    }
    PLAIT_VEC_FREE(l);
}

/* The lexical list into the fused items: rank, bm25, bm25 relative to the best, and the
 * candidate's dense similarity (or, without a vector, the lowest similarity of the list). */
static void fuse_lexical(const cand_list *lex, plait_strmap *m)
{
    double top = lex->len && lex->items[0].score < 0 ? -lex->items[0].score : 1.0, floor = 1.0;
    int any = 0;
    for (size_t i = 0; i < lex->len; i++)
        if (lex->items[i].has_dense && (!any++ || lex->items[i].dense < floor)) floor = lex->items[i].dense;
    for (size_t i = 0; i < lex->len; i++) {
        fused *f = fuse_get(m, lex->items[i].group, lex->items[i].key);
        if (f->lex_rank) continue;
        f->lex_rank = (int)i + 1;
        f->lex_score = lex->items[i].score;
        f->lex_norm = -lex->items[i].score / top;
        if (lex->items[i].has_dense) {
            f->dense = lex->items[i].dense;
            f->has_dense = 1;
        } else if (any) {
            f->dense = floor;
        }
    }
}

/* Fusion of the lists that ran, plus the name boost, over items (path and kind: copies fold
 * into the first seen); sorted best first.  Each mode alone keeps its own order: lexical by
 * bm25, semantic by similarity. */
static fused **fuse(const cand_list *lex, const cand_list *sem, const cand_list *names, int hybrid, size_t *n,
                    plait_strmap *m)
{
    fuse_lexical(lex, m);
    for (size_t i = 0; i < sem->len; i++) {
        fused *f = fuse_get(m, sem->items[i].group, sem->items[i].key);
        if (f->sem_rank) continue;
        f->sem_rank = (int)i + 1;
        f->sem_score = sem->items[i].score;
        if (!f->has_dense) { /* the HNSW's similarity: items lexical did not find */
            f->dense = sem->items[i].score;
            f->has_dense = 1;
        }
    }
    for (size_t i = 0; i < names->len; i++) {
        fused *f = fuse_get(m, names->items[i].group, names->items[i].key);
        if (!f->boost) f->boost = names->items[i].score;
    }
    double wl = hybrid ? LEX_WEIGHT : 1.0, wd = hybrid ? 1.0 - LEX_WEIGHT : 1.0;
    fused **all = xmalloc((m->len ? m->len : 1) * sizeof *all);
    size_t pos = 0, k = 0;
    void *v;
    while (plait_strmap_next(m, &pos, NULL, &v)) {
        fused *f = v;
        f->score = wl * f->lex_norm + wd * f->dense + f->boost;
        all[k++] = f;
    }
    qsort(all, k, sizeof *all, fused_cmp);
    *n = k;
    return all;
}

/* Fills the hits from the fused list: node details, copies of one file folded. */
static int hydrate(plait_searcher *s, fused **all, size_t n, size_t k, plait_search_result *out)
{
    sqlite3_stmt *q = plait_search_stmt(s, &s->hit_row, "SELECT n.name, n.path, n.kind, f.path, n.line_start, n.byte_start "
                                                        "FROM nodes n JOIN files f ON f.id = n.file_id WHERE n.key = ?1");
    if (!q) return PLAIT_EDB;
    out->hits = xcalloc(k ? k : 1, sizeof *out->hits);
    plait_strmap sites;
    plait_strmap_init(&sites);
    for (size_t i = 0; i < n && out->n < k; i++) {
        sqlite3_bind_text(q, 1, all[i]->key, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            char *site = xasprintf("%s\x1f%lld\x1f%s", sqlite3_column_text(q, 3), (long long)sqlite3_column_int64(q, 5),
                                   sqlite3_column_text(q, 2));
            if (!plait_strmap_has(&sites, site)) {
                plait_strmap_put(&sites, site, NULL);
                plait_search_hit *h = &out->hits[out->n++];
                h->key = xstrdup(all[i]->key);
                h->name = xstrdup((const char *)sqlite3_column_text(q, 0));
                h->path = xstrdup((const char *)sqlite3_column_text(q, 1));
                h->kind = xstrdup((const char *)sqlite3_column_text(q, 2));
                h->file = xstrdup((const char *)sqlite3_column_text(q, 3));
                h->line = sqlite3_column_int64(q, 4);
                h->score = all[i]->score;
                h->lex_rank = all[i]->lex_rank;
                h->lex_score = all[i]->lex_score;
                h->sem_rank = all[i]->sem_rank;
                h->sem_score = all[i]->sem_score;
                h->lex_norm = all[i]->lex_norm;
                h->dense = all[i]->dense;
                h->has_dense = all[i]->has_dense;
                h->name_boost = all[i]->boost;
            }
            free(site);
        }
        sqlite3_reset(q);
    }
    plait_strmap_free(&sites);
    sqlite3_clear_bindings(q);
    return PLAIT_OK;
}

/* Fuses the lists and fills out's hits. */
static int fuse_hits(plait_searcher *s, const cand_list *lex, const cand_list *sem, const cand_list *names, size_t k,
                     plait_search_result *out)
{
    plait_strmap m;
    plait_strmap_init(&m);
    size_t n = 0;
    fused **all = fuse(lex, sem, names, out->mode == PLAIT_SEARCH_HYBRID, &n, &m);
    int rc = hydrate(s, all, n, k, out);
    for (size_t i = 0; i < n; i++) {
        free(all[i]->key);
        free(all[i]);
    }
    free(all);
    plait_strmap_free(&m);
    return rc;
}

int plait_search_run(plait_searcher *s, const char *query, plait_search_mode mode, const plait_search_filter *f, size_t k,
                     plait_search_result *out)
{
    memset(out, 0, sizeof *out);
    uint64_t t0 = plait_now_ns();
    double c0 = thread_cpu_ms();
    /* one read transaction for the query's hundreds of statement steps: each would otherwise
     * take and drop the file's locks and re-check its change counter */
    int own_txn = sqlite3_get_autocommit(s->db) && sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    if (mode != PLAIT_SEARCH_LEXICAL && !s->e) mode = PLAIT_SEARCH_LEXICAL;
    out->mode = mode;
    size_t depth = k * 5 > 50 ? k * 5 : 50;
    cand_list lex = {0}, sem = {0}, names = {0};
    lex_job lj = {s, query, f, mode == PLAIT_SEARCH_HYBRID && depth < RESCORE_DEPTH ? RESCORE_DEPTH : depth, &lex, &names,
                  PLAIT_OK, "", 0};
    /* hybrid: the lexical part on the helper thread while this one embeds the query */
    int overlap = mode == PLAIT_SEARCH_HYBRID && (s->worker || (s->worker = plait_search_worker_new()));
    if (overlap) plait_search_worker_offer(s->worker, lex_task, &lj);
    else if (mode != PLAIT_SEARCH_SEMANTIC) lex_task(&lj);
    float *qvec = mode != PLAIT_SEARCH_LEXICAL ? xmalloc(s->dims * sizeof *qvec) : NULL;
    int erc = qvec ? embed_query(s, query, qvec, out) : PLAIT_OK;
    int on_helper = overlap && plait_search_worker_finish(s->worker);
    int rc = lj.rc ? plait_error_set(lj.rc, "%s", lj.err) : PLAIT_OK;
    if (qvec && rc == PLAIT_OK && erc) { /* the model failed on this query: the answer is lexical, and says so */
        out->mode = PLAIT_SEARCH_LEXICAL;
        if (mode == PLAIT_SEARCH_SEMANTIC) rc = lexical(s, query, f, depth, &lex);
    } else if (qvec && rc == PLAIT_OK) {
        /* hybrid: an item only the HNSW found scores by its similarity alone, below every
         * item of the HNSW list above it, so only the first k can reach the top k */
        rc = plait_search_dense(s, qvec, f, mode == PLAIT_SEARCH_HYBRID ? k : depth, &sem);
        plait_search_rescore(s, qvec, &lex);
    }
    free(qvec);
    if (rc == PLAIT_OK) rc = fuse_hits(s, &lex, &sem, &names, k, out);
    cands_free(&lex);
    cands_free(&sem);
    cands_free(&names);
    if (own_txn) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    out->ms_total = (double)(plait_now_ns() - t0) / 1e6;
    out->ms_cpu = thread_cpu_ms() - c0 + (on_helper ? lj.ms_cpu : 0); /* both threads' share */
    return rc;
}

void plait_search_result_free(plait_search_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        plait_search_hit *h = &r->hits[i];
        free(h->key);
        free(h->name);
        free(h->path);
        free(h->kind);
        free(h->file);
    }
    free(r->hits);
    memset(r, 0, sizeof *r);
}
