/* Unit tests for src/search and the store's full-text rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "search/search.h"
#include "search/search_internal.h"
#include "search/text.h"
#include "search/vecs.h"
#include "store/store.h"
#include "store/words.h"
#include "plait/error.h"

static char *words(const char *s)
{
    strbuf sb = {0};
    plait_words_append(&sb, s, strlen(s));
    return strbuf_detach(&sb);
}

static void expect_words(const char *in, const char *want)
{
    char *got = words(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_words(void **state)
{
    (void)state;
    expect_words("parse_quote", "parse quote");
    expect_words("ParseStream", "parse stream");
    expect_words("HTTPServer", "http server");
    expect_words("parseHTTPRequest2", "parse http request2");
    expect_words("IOError", "io error");
    expect_words("UTF8String", "utf8 string");
    expect_words("Sha256Hash", "sha256 hash");
    expect_words("syn::token::Brace", "syn token brace");
    expect_words("__private", "private");
    expect_words("HTTP", "http");
    expect_words("a", "a");
    expect_words("", "");
    expect_words("::<>", "");
    expect_words("café_Noir", "café noir"); /* UTF-8 passes through */
}

static void test_text_build(void **state)
{
    (void)state;
    const char *src = "/// doc\n#[inline]\npub fn parse_stream(input: ParseStream) -> Result<Self> {\n    let x =   input.parse()?;\n    Ok(x)\n}";
    plait_text_node n = {"method", "parse_stream", "syn::parse::ParseBuffer::parse_stream",
                         "pub fn parse_stream(input: ParseStream)\n    -> Result<Self>", "Parses a stream.\n\nMore text.",
                         src, strlen(src)};
    char *t = plait_text_build(&n, 512);
    assert_string_equal(t, "method parse stream (syn parse parse buffer)\n"
                           "pub fn parse_stream(input: ParseStream) -> Result<Self>\n"
                           "Parses a stream. More text.\n"
                           "let x = input.parse()?; Ok(x)");
    free(t);
    /* the budget cuts at a space, never inside a UTF-8 character */
    n.doc = "éééééééééééééééééééééééééééééééééééééééééééé";
    n.source = NULL;
    for (size_t max = 1; max < 120; max++) {
        t = plait_text_build(&n, max);
        assert_true(strlen(t) <= max);
        for (size_t i = 0; t[i]; i++) /* no dangling lead byte at the end */
            if (!t[i + 1]) assert_true(((unsigned char)t[i] & 0xC0) != 0xC0);
        free(t);
    }
    /* kinds without a body ignore the source; type_alias reads as two words */
    plait_text_node a = {"type_alias", "Result", "syn::Result", "pub type Result<T> = std::result::Result<T, Error>", NULL,
                         "pub type Result<T> = { x }", 26};
    t = plait_text_build(&a, 512);
    assert_string_equal(t, "type alias result (syn)\npub type Result<T> = std::result::Result<T, Error>");
    free(t);
    assert_int_equal(plait_text_budget(128), 512);
    assert_true(plait_text_kind_embedded("function") && !plait_text_kind_embedded("use") && !plait_text_kind_embedded("impl"));
    plait_hash h1, h2;
    plait_text_hash("abc", &h1);
    plait_text_hash("abd", &h2);
    assert_false(plait_hash_equal(&h1, &h2));
}

static void test_fts_query(void **state)
{
    (void)state;
    char *q = plait_search_fts_query("parse the ParseStream of tokens");
    assert_string_equal(q, "\"parse\" OR \"stream\" OR \"tokens\" OR \"parsestream\"");
    free(q);
    q = plait_search_fts_query("the");
    assert_string_equal(q, "\"the\"");
    free(q);
    assert_null(plait_search_fts_query("  ::()  "));
    q = plait_search_fts_query("\"quoted\" OR NEAR(x)"); /* FTS syntax in a query is only words */
    assert_string_equal(q, "\"quoted\" OR \"near\" OR \"x\"");
    free(q);
}

/* Every query, whatever its punctuation, gives terms of one token each: a term of several
 * tokens is a phrase, which the detail=column table refuses ("string’s" once aborted a whole
 * --batch run).  Each is run against a table made like nodes_fts. */
static void test_fts_query_tokens(void **state)
{
    (void)state;
    char *q = plait_search_fts_query("Returns an iterator for the string\xe2\x80\x99s code points.");
    assert_string_equal(q, "\"returns\" OR \"iterator\" OR \"string\" OR \"s\" OR \"code\" OR \"points\"");
    free(q);
    q = plait_search_fts_query("caf\xc3\xa9\xe2\x80\x94na\xc3\xafve"); /* letters stay in words, the dash cuts */
    assert_string_equal(q, "\"caf\xc3\xa9\" OR \"na\xc3\xafve\"");
    free(q);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(a, tokenize = 'porter unicode61 remove_diacritics 2', "
                                      "detail = column); INSERT INTO t VALUES ('the string s code points caf\xc3\xa9');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    static const char *const queries[] = {
        "the string\xe2\x80\x99s code",  "a\xe2\x80\x94" "b \xc2\xabx\xc2\xbb y\xe2\x80\xa6z", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87",
        "x\xff\xfey\xc3",                 "na\xc3\xafve caf\xc3\xa9",                                  "emoji\xf0\x9f\x98\x80here",
        "it's a \"quote\" (and) [more]", "a\xc2\xa0" "b\xe2\x80\x8b" "c",                                  "x::y<'a>::z"};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        char *m = plait_search_fts_query(queries[i]);
        assert_non_null(m);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, m, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) fail_msg("query %zu (%s): %s", i, m, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        free(m);
    }
    sqlite3_close(db);
}

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/plait-search-test-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

/* A fresh index in a new folder (*dir, which close_scratch removes). */
static plait_store *open_scratch(char **dir)
{
    *dir = tmpdir();
    char *db = plait_path_join(*dir, "index.db");
    plait_store *s = NULL;
    assert_int_equal(plait_store_open(db, 1, 0, &s), PLAIT_OK);
    free(db);
    return s;
}

static void close_scratch(plait_store *s, char *dir)
{
    plait_store_close(s);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static plait_node node(const char *key, plait_kind kind, const char *name, const char *path, const char *doc)
{
    plait_node n;
    memset(&n, 0, sizeof n);
    snprintf(n.key, sizeof n.key, "%s", key);
    n.kind = kind;
    n.name = name;
    n.path = path;
    n.crate = "c";
    n.signature = "fn x()";
    n.doc = doc;
    plait_hash_bytes(&n.hash, path, strlen(path));
    return n;
}

static long long count(plait_store *s, const char *match)
{
    sqlite3_stmt *q;
    long long n = -1;
    assert_int_equal(sqlite3_prepare_v2(plait_store_db(s), "SELECT count(*) FROM nodes_fts WHERE nodes_fts MATCH ?1", -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(q, 1, match, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

static void replace(plait_store *s, const char *file, plait_node *nodes, size_t n)
{
    plait_file_rec rec = {.path = (char *)file, .size = 1};
    assert_int_equal(plait_store_begin(s), PLAIT_OK);
    assert_int_equal(plait_store_replace_file(s, &rec, nodes, n, NULL, 0, NULL, 0, NULL), PLAIT_OK);
    assert_int_equal(plait_store_commit(s), PLAIT_OK);
}

/* FTS rows follow the nodes: insert, replace (rename), delete; `use` items are left out. */
static void test_store_fts_sync(void **state)
{
    (void)state;
    char *dir;
    plait_store *s = open_scratch(&dir);
    plait_node a[] = {node("k1", PLAIT_KIND_FUNCTION, "parse_token_stream", "c::parse_token_stream", "Reads tokens."),
                      node("k2", PLAIT_KIND_STRUCT, "HTTPServer", "c::HTTPServer", NULL),
                      node("k3", PLAIT_KIND_USE, "Hidden", "c::Hidden", NULL)};
    replace(s, "a.rs", a, 3);
    assert_int_equal(count(s, "stream"), 1);
    assert_int_equal(count(s, "server"), 1);
    assert_int_equal(count(s, "hidden"), 0);
    assert_int_equal(count(s, "token"), 1); /* porter: tokens -> token, in name words and doc */
    plait_node b[] = {node("k4", PLAIT_KIND_FUNCTION, "render_page", "c::render_page", NULL)};
    replace(s, "b.rs", b, 1);
    plait_node a2[] = {node("k1", PLAIT_KIND_FUNCTION, "lex_input", "c::lex_input", NULL)}; /* renamed, k2 gone */
    replace(s, "a.rs", a2, 1);
    assert_int_equal(count(s, "stream"), 0);
    assert_int_equal(count(s, "server"), 0);
    assert_int_equal(count(s, "lex"), 1);
    assert_int_equal(count(s, "render"), 1);
    assert_int_equal(plait_store_begin(s), PLAIT_OK);
    assert_int_equal(plait_store_delete_file(s, "a.rs"), PLAIT_OK);
    assert_int_equal(plait_store_commit(s), PLAIT_OK);
    assert_int_equal(count(s, "lex"), 0);
    assert_int_equal(count(s, "render"), 1);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(plait_store_db(s), "INSERT INTO nodes_fts(nodes_fts, rank) VALUES ('integrity-check', 1)",
                                        -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    close_scratch(s, dir);
}

/* plait's own BM25 gives FTS5's bm25() scores and order where no query term repeats within
 * a column, finds only matching rows, and a query's scores do not leak into the next. */
static void test_bm25_own(void **state)
{
    (void)state;
    char *dir;
    plait_store *s = open_scratch(&dir);
    plait_node a[] = {node("k1", PLAIT_KIND_FUNCTION, "parse_token_stream", "c::parse_token_stream", "Reads tokens."),
                      node("k2", PLAIT_KIND_STRUCT, "HTTPServer", "c::HTTPServer", "Serves pages."),
                      node("k3", PLAIT_KIND_FUNCTION, "render_page", "c::render_page", "Parse a page template."),
                      node("k4", PLAIT_KIND_ENUM, "Stream", "c::io::Stream", NULL)};
    replace(s, "a.rs", a, 4);
    sqlite3 *h = plait_store_db(s);
    plait_bm25 *b = plait_bm25_open(h);
    assert_non_null(b);
    const char *match = "\"parse\" OR \"streams\" OR \"pages\"";
    for (int round = 0; round < 2; round++) {
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_prepare_v2(h, "SELECT rowid, bm25(nodes_fts, 10.0, 6.0, 2.0, 3.0, 1.0) AS s FROM nodes_fts "
                                               "WHERE nodes_fts MATCH ?1 ORDER BY s, rowid", -1, &q, NULL), SQLITE_OK);
        sqlite3_bind_text(q, 1, match, -1, SQLITE_STATIC);
        assert_int_equal(plait_bm25_query(b, match), PLAIT_OK);
        int64_t row;
        double score;
        int n = 0;
        while (plait_bm25_next(b, &row, &score)) {
            assert_int_equal(sqlite3_step(q), SQLITE_ROW);
            assert_int_equal(row, sqlite3_column_int64(q, 0));
            assert_true(fabs(score - sqlite3_column_double(q, 1)) < 1e-9);
            n++;
        }
        assert_int_equal(sqlite3_step(q), SQLITE_DONE); /* the same rows, no more */
        assert_int_equal(n, 4);
        sqlite3_finalize(q);
        assert_int_equal(plait_bm25_query(b, "\"zzzunknown\""), PLAIT_OK);
        assert_int_equal(plait_bm25_next(b, &row, &score), 0);
    }
    plait_bm25_free(b);
    close_scratch(s, dir);
}

static void bump(void *arg) { (*(int *)arg)++; }

/* A task offered to the helper thread runs exactly once, on the helper or on the caller. */
static void test_worker(void **state)
{
    (void)state;
    plait_search_worker *w = plait_search_worker_new();
    assert_non_null(w);
    int n = 0;
    for (int i = 0; i < 200; i++) {
        plait_search_worker_offer(w, bump, &n);
        if (i % 2) usleep(100); /* sometimes the helper gets there first */
        plait_search_worker_finish(w);
        assert_int_equal(n, i + 1);
    }
    plait_search_worker_free(w);
}

/* The HNSW file: generation in the header; a stale, damaged or missing file is refused. */
static void test_vecs_file(void **state)
{
    (void)state;
    char *dir = tmpdir(), *path = plait_vecs_file(dir, "model-x");
    assert_non_null(strstr(path, "/vectors-"));
    plait_vindex_params p;
    plait_vecs_params(&p, 4);
    plait_vindex *ix = NULL;
    assert_int_equal(plait_vindex_new(&ix, &p), PLAIT_OK);
    float v[4] = {1, 0, 0, 0};
    assert_int_equal(plait_vindex_add(ix, 7, v), PLAIT_OK);
    assert_int_equal(plait_vindex_save(ix, path, 42), PLAIT_OK);
    plait_vindex_free(ix);
    uint64_t gen = 0;
    assert_int_equal(plait_vecs_peek(path, &gen), PLAIT_OK);
    assert_int_equal(gen, 42);
    const char *why = NULL;
    assert_int_equal(plait_vecs_load(path, 42, 4, &ix, &why), PLAIT_OK);
    plait_vindex_free(ix);
    assert_int_not_equal(plait_vecs_load(path, 43, 4, &ix, &why), PLAIT_OK);
    assert_string_equal(why, "stale");
    assert_int_not_equal(plait_vecs_load(path, 42, 8, &ix, &why), PLAIT_OK);
    assert_string_equal(why, "wrong dimension");
    FILE *f = fopen(path, "r+b"); /* flip a byte in the payload */
    assert_non_null(f);
    fseek(f, -8, SEEK_END);
    int c = fgetc(f);
    fseek(f, -8, SEEK_END);
    fputc(c ^ 0x5a, f);
    fclose(f);
    assert_int_not_equal(plait_vecs_load(path, 42, 4, &ix, &why), PLAIT_OK);
    assert_string_equal(why, "damaged");
    unlink(path);
    assert_int_not_equal(plait_vecs_load(path, 42, 4, &ix, &why), PLAIT_OK);
    assert_string_equal(why, "missing");
    assert_int_equal(plait_vecs_peek(path, &gen), PLAIT_ENOTFOUND);
    rmdir(dir);
    free(path);
    free(dir);
}

int main(void)
{
    plait_hash_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),        cmocka_unit_test(test_text_build), cmocka_unit_test(test_fts_query), cmocka_unit_test(test_fts_query_tokens),
        cmocka_unit_test(test_store_fts_sync), cmocka_unit_test(test_vecs_file), cmocka_unit_test(test_bm25_own),
        cmocka_unit_test(test_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
