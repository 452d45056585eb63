/* bm25.c - plait's own BM25 over the postings of the nodes_fts table (see search_internal.h).
 *
 * FTS5's bm25() costs about 8 us per matching row on library/std: with detail=column the index
 * holds no term counts, so for each matching row FTS5 reads the row's text back and tokenizes
 * it again to count the query's terms.  A sentence-long query whose terms match 2,000 rows
 * spent 15-20 ms there, most of a lexical search.  The scoring here uses only what the index
 * holds, term at a time into an array indexed by rowid:
 *  - the terms are stemmed by the table's own tokenizer (FTS5's porter over unicode61, taken
 *    from the connection through the fts5_api), so a term is the token the index holds;
 *  - a term's row count and its postings (row, column: the columns a term occurs in, which is
 *    what detail=column records) come from fts5vocab tables made in the connection's temp
 *    schema; nothing is written to the index;
 *  - each row's length in tokens comes from the %_docsize table, read once per searcher.
 * The formula is FTS5's bm25(): idf = ln((N - n + 0.5) / (n + 0.5)) (1e-6 if not positive);
 * per term f = the sum of the weights of the row's columns holding it; score = sum of
 * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len / avglen)), k1 1.2, b 0.75, negated.  The
 * one difference: a term repeated within a column counts once (FTS5 counts each repeat), so
 * where no term repeats in a column the scores are FTS5's (a test checks it).  On the
 * evaluation sets of docs/bench-search.md this scored lexical MRR@10 0.144 (syn) and 0.154
 * (library/std) against 0.130 and 0.155 with bm25(). */
#include "search/search_internal.h"
#include "core/strbuf.h"
#include "plait/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define K1 1.2
#define B 0.75

static const char *const columns[] = {"name", "words", "path", "signature", "doc"};
static const double weights[] = {10.0, 6.0, 2.0, 3.0, 1.0}; /* name, its words, path, signature, doc */
#define NCOL 5

struct plait_bm25 {
    sqlite3 *db;
    fts5_tokenizer tk;
    Fts5Tokenizer *tok;
    sqlite3_stmt *rows;     /* rows holding a term: fts5vocab 'row' */
    sqlite3_stmt *postings; /* (row, column) of a term: fts5vocab 'instance' */
    uint32_t *len;          /* tokens per rowid, all columns (loaded on first use) */
    size_t nlen;
    long long nrows;
    double avglen;
    double *acc;            /* score per rowid of the running query */
    PLAIT_VEC(int64_t) touched; /* rows scored by the running query; a heap of its first heap_len */
    size_t heap_len;
};

static fts5_api *fts5_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &q, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(q, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(q);
    sqlite3_finalize(q);
    return api;
}

plait_bm25 *plait_bm25_open(sqlite3 *db)
{
    fts5_api *api = fts5_of(db);
    void *ud = NULL;
    plait_bm25 *b = xcalloc(1, sizeof *b);
    b->db = db;
    /* the tokenizer of nodes_fts (store.c): porter over unicode61 remove_diacritics 2 */
    const char *args[] = {"unicode61", "remove_diacritics", "2"};
    if (!api || api->iVersion < 2 || api->xFindTokenizer(api, "porter", &ud, &b->tk) != SQLITE_OK ||
        b->tk.xCreate(ud, args, 3, &b->tok) != SQLITE_OK) {
        free(b);
        return NULL;
    }
    /* a search connection is query_only (store.c); the vocabulary tables live in its temp
     * schema, private to the connection, so the pragma is lifted for their creation only */
    int query_only = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        query_only = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    int made = sqlite3_exec(db, "PRAGMA query_only = 0;"
                                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.plait_fts_rows USING fts5vocab(main, nodes_fts, row);"
                                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.plait_fts_inst USING fts5vocab(main, nodes_fts, instance);",
                            NULL, NULL, NULL) == SQLITE_OK;
    if (query_only) sqlite3_exec(db, "PRAGMA query_only = 1;", NULL, NULL, NULL);
    if (!made ||
        sqlite3_prepare_v2(db, "SELECT doc FROM temp.plait_fts_rows WHERE term = ?1", -1, &b->rows, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT doc, col FROM temp.plait_fts_inst WHERE term = ?1", -1, &b->postings, NULL) != SQLITE_OK) {
        plait_bm25_free(b);
        return NULL;
    }
    return b;
}

void plait_bm25_free(plait_bm25 *b)
{
    if (!b) return;
    if (b->tok) b->tk.xDelete(b->tok);
    sqlite3_finalize(b->rows);
    sqlite3_finalize(b->postings);
    free(b->len);
    free(b->acc);
    PLAIT_VEC_FREE(&b->touched);
    free(b);
}

/* An SQLite varint (FTS5 writes its sizes so); advances *p, never past end. */
static uint64_t varint(const unsigned char **p, const unsigned char *end)
{
    uint64_t v = 0;
    for (int i = 0; *p < end; i++) {
        unsigned char c = *(*p)++;
        if (i == 8) return v << 8 | c;
        v = v << 7 | (c & 0x7f);
        if (!(c & 0x80)) break;
    }
    return v;
}

/* Every row's length (the sum of its column sizes), the row count and the mean length. */
static int load_lengths(plait_bm25 *b)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(b->db, "SELECT id, sz FROM nodes_fts_docsize ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "full-text sizes: %s", sqlite3_errmsg(b->db));
    PLAIT_VEC(uint32_t) len = {0};
    double total = 0;
    long long n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const unsigned char *p = sqlite3_column_blob(q, 1), *end = p + sqlite3_column_bytes(q, 1);
        uint64_t sum = 0;
        for (int c = 0; c < NCOL && p && p < end; c++) sum += varint(&p, end);
        if (id < 0) continue;
        while (len.len <= (size_t)id) PLAIT_VEC_PUSH(&len, 0);
        len.items[id] = (uint32_t)sum;
        total += (double)sum;
        n++;
    }
    sqlite3_finalize(q);
    b->len = len.items ? len.items : xcalloc(1, sizeof *b->len);
    b->nlen = len.len;
    b->nrows = n;
    b->avglen = n ? total / (double)n : 1.0;
    if (b->avglen <= 0) b->avglen = 1.0;
    b->acc = xcalloc(b->nlen ? b->nlen : 1, sizeof *b->acc);
    return PLAIT_OK;
}

typedef struct { strbuf *out; int n; } tok_ctx;

static int tok_cb(void *ctx, int flags, const char *t, int n, int s, int e)
{
    (void)flags, (void)s, (void)e;
    tok_ctx *c = ctx;
    if (c->n++ == 0) strbuf_add(c->out, t, (size_t)n);
    return SQLITE_OK;
}

/* The index's token for a query term (its only token: terms are cut as unicode61 cuts). */
static int stem(plait_bm25 *b, const char *term, strbuf *out)
{
    tok_ctx c = {out, 0};
    strbuf_reset(out);
    b->tk.xTokenize(b->tok, &c, FTS5_TOKENIZE_QUERY, term, (int)strlen(term), tok_cb);
    return c.n == 1;
}

static long long rows_with(plait_bm25 *b, const char *token)
{
    long long n = 0;
    sqlite3_bind_text(b->rows, 1, token, -1, SQLITE_STATIC);
    if (sqlite3_step(b->rows) == SQLITE_ROW) n = sqlite3_column_int64(b->rows, 0);
    sqlite3_reset(b->rows);
    return n;
}

static int col_index(const char *name)
{
    for (int i = 0; name && i < NCOL; i++)
        if (!strcmp(columns[i], name)) return i;
    return -1;
}

/* Adds one term's part of the score to every row holding it. */
static void accumulate(plait_bm25 *b, const char *token, double idf)
{
    sqlite3_bind_text(b->postings, 1, token, -1, SQLITE_STATIC);
    int64_t row = -1;
    double f = 0;
    for (int more = 1; more;) {
        more = sqlite3_step(b->postings) == SQLITE_ROW;
        int64_t r = more ? sqlite3_column_int64(b->postings, 0) : -2;
        if (r != row && row >= 0 && (size_t)row < b->nlen) { /* the previous row is complete */
            double norm = K1 * (1.0 - B + B * (double)b->len[row] / b->avglen);
            if (b->acc[row] == 0) PLAIT_VEC_PUSH(&b->touched, row);
            b->acc[row] += idf * f * (K1 + 1.0) / (f + norm);
            f = 0;
        }
        row = r;
        if (!more) break;
        int c = col_index((const char *)sqlite3_column_text(b->postings, 1));
        if (c >= 0) f += weights[c];
    }
    sqlite3_reset(b->postings);
}

typedef struct { char *token; long long rows; } term_rows;

static int rows_cmp(const void *a, const void *b)
{
    const term_rows *x = a, *y = b;
    return x->rows < y->rows ? -1 : x->rows > y->rows;
}

/* The terms of `match` ("a" OR "b" ...) as index tokens with their row counts, rarest first,
 * pruned: BM25's cost is per matching row and a term in a large share of the rows adds many
 * rows and little rank (low idf), so such terms are dropped while rarer ones remain - a term
 * is kept if it is in at most 1/16 of the rows (at least 256), and at most the 12 rarest.
 * A term stemmed alike to another stays a term of its own, as in an FTS5 query. */
static void pick_terms(plait_bm25 *b, const char *match, term_rows *out, size_t *n)
{
    PLAIT_VEC(term_rows) t = {0};
    strbuf tok = {0};
    char *copy = xstrdup(match), *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        size_t len = strlen(w);
        if (!strcmp(w, "OR") || len < 3 || w[0] != '"' || w[len - 1] != '"') continue;
        w[len - 1] = '\0';
        if (!stem(b, w + 1, &tok)) continue;
        term_rows r = {xstrdup(strbuf_str(&tok)), rows_with(b, strbuf_str(&tok))};
        if (r.rows) PLAIT_VEC_PUSH(&t, r);
        else free(r.token);
    }
    free(copy);
    strbuf_free(&tok);
    if (t.len) qsort(t.items, t.len, sizeof *t.items, rows_cmp);
    long long cap = b->nrows / 16 > 256 ? b->nrows / 16 : 256;
    *n = 0;
    for (size_t i = 0; i < t.len; i++) {
        if (*n < 12 && (i < 2 || t.items[i].rows <= cap)) out[(*n)++] = t.items[i];
        else free(t.items[i].token);
    }
    PLAIT_VEC_FREE(&t);
}

/* Heap order over the touched rows: higher score first, then lower rowid. */
static int before(const plait_bm25 *b, int64_t x, int64_t y)
{
    return b->acc[x] != b->acc[y] ? b->acc[x] > b->acc[y] : x < y;
}

static void sift_down(plait_bm25 *b, size_t i, size_t n)
{
    int64_t *h = b->touched.items;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(b, h[l], h[m])) m = l;
        if (r < n && before(b, h[r], h[m])) m = r;
        if (m == i) return;
        int64_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

int plait_bm25_query(plait_bm25 *b, const char *match)
{
    if (!b->len) {
        int rc = load_lengths(b);
        if (rc) return rc;
    }
    for (size_t i = 0; i < b->touched.len; i++) b->acc[b->touched.items[i]] = 0; /* the previous query's */
    b->touched.len = 0;
    term_rows t[12];
    size_t n = 0;
    pick_terms(b, match, t, &n);
    for (size_t i = 0; i < n; i++) {
        double idf = log(((double)b->nrows - (double)t[i].rows + 0.5) / ((double)t[i].rows + 0.5));
        accumulate(b, t[i].token, idf > 0 ? idf : 1e-6);
        free(t[i].token);
    }
    for (size_t i = b->touched.len / 2; i-- > 0;) sift_down(b, i, b->touched.len);
    b->heap_len = b->touched.len;
    return PLAIT_OK;
}

int plait_bm25_next(plait_bm25 *b, int64_t *rowid, double *score)
{
    if (!b->heap_len) return 0;
    int64_t *h = b->touched.items, top = h[0];
    h[0] = h[--b->heap_len];
    h[b->heap_len] = top; /* kept past the heap: the next query still clears its score */
    sift_down(b, 0, b->heap_len);
    *rowid = top;
    *score = -b->acc[top]; /* as bm25() gives it: lower is better */
    return 1;
}
