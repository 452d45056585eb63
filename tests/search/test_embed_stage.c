/* Unit tests for the embedding stage (src/search/embed_stage.c) with a counting fake model:
 * nothing is embedded twice, a changed node is embedded again and its old vector leaves the
 * HNSW file, removed nodes leave it too, a damaged or stale file is rebuilt from SQLite, and
 * a failing model leaves the structure alone and is recorded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "search/embed_stage.h"
#include "search/vecs.h"
#include "store/store.h"
#include "plait/embed.h"
#include "plait/error.h"

#define DIMS 8

typedef struct {
    long texts; /* texts embedded so far */
    int fail;   /* fail every call */
} fake;

static fake the_fake;

/* A vector from the text's hash: same text, same vector. */
static int fake_embed(void *impl, const char *const *texts, size_t n, float *out)
{
    fake *f = impl;
    if (f->fail) return plait_error_set(PLAIT_EIO, "fake model is down");
    for (size_t i = 0; i < n; i++) {
        plait_hash h;
        plait_hash_bytes(&h, texts[i], strlen(texts[i]));
        double norm = 0;
        for (int d = 0; d < DIMS; d++) {
            out[i * DIMS + d] = (float)h.b[d] - 127.5f;
            norm += (double)out[i * DIMS + d] * out[i * DIMS + d];
        }
        for (int d = 0; d < DIMS; d++) out[i * DIMS + d] /= (float)__builtin_sqrt(norm);
    }
    f->texts += (long)n;
    return PLAIT_OK;
}

static void fake_destroy(void *impl) { (void)impl; }

static const plait_embedder_vtable fake_vt = {"fake", fake_embed, NULL, NULL, fake_destroy};

static int open_fake(void *ctx, plait_embedder **out)
{
    return plait_embedder_new(&fake_vt, ctx, DIMS, "fake-model", 64, out);
}

typedef struct {
    char *dir, *db;
    plait_store *s;
} fixture;

static plait_node node(const char *key, const char *name, const char *body)
{
    plait_node n;
    memset(&n, 0, sizeof n);
    snprintf(n.key, sizeof n.key, "%s", key);
    n.kind = PLAIT_KIND_FUNCTION;
    n.name = name;
    n.path = name;
    n.crate = "c";
    n.signature = body;
    plait_hash_bytes(&n.hash, body, strlen(body));
    return n;
}

static void write_file(fixture *fx, const char *file, plait_node *nodes, size_t n)
{
    plait_file_rec rec = {.path = (char *)file, .size = 1};
    assert_int_equal(plait_store_open(fx->db, 1, 0, &fx->s), PLAIT_OK);
    assert_int_equal(plait_store_begin(fx->s), PLAIT_OK);
    assert_int_equal(n ? plait_store_replace_file(fx->s, &rec, nodes, n, NULL, 0, NULL, 0, NULL) : plait_store_delete_file(fx->s, file),
                     PLAIT_OK);
    assert_int_equal(plait_store_commit(fx->s), PLAIT_OK);
    plait_store_close(fx->s);
}

static plait_embed_stage_stats run(fixture *fx)
{
    plait_embed_stage_opts o = {.db_path = fx->db, .config = "fake", .open_embedder = open_fake, .open_ctx = &the_fake,
                                .provider = "local", .jobs = 1, .structural_changed = 1, .quiet = 1};
    plait_embed_stage_stats st;
    assert_int_equal(plait_embed_stage_run(&o, &st), PLAIT_OK);
    return st;
}

static plait_vindex *load_file(fixture *fx)
{
    plait_store *s;
    assert_int_equal(plait_store_open(fx->db, 0, 1, &s), PLAIT_OK);
    uint64_t gen = plait_vecs_generation(plait_store_db(s));
    plait_store_close(s);
    char *path = plait_vecs_file(fx->dir, "fake-model");
    plait_vindex *ix = NULL;
    const char *why = NULL;
    assert_int_equal(plait_vecs_load(path, gen, DIMS, &ix, &why), PLAIT_OK);
    free(path);
    return ix;
}

static uint64_t label_of(fixture *fx, const char *key)
{
    plait_store *s;
    assert_int_equal(plait_store_open(fx->db, 0, 1, &s), PLAIT_OK);
    sqlite3_stmt *q;
    uint64_t l = 0;
    sqlite3_prepare_v2(plait_store_db(s), "SELECT label FROM vec_labels WHERE key = ?1", -1, &q, NULL);
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) l = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    plait_store_close(s);
    return l;
}

static void test_stage(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/plait-embed-stage-XXXXXX";
    fixture fx = {0};
    assert_non_null(mkdtemp(tmpl));
    fx.dir = tmpl;
    fx.db = plait_path_join(tmpl, "index.db");
    plait_node a[] = {node("ka", "alpha", "fn alpha()"), node("kb", "beta", "fn beta()"), node("kc", "gamma", "fn gamma()")};
    write_file(&fx, "a.rs", a, 3);

    plait_embed_stage_stats st = run(&fx);
    assert_string_equal(st.status, "complete");
    assert_int_equal(st.embedded, 3);
    assert_int_equal(the_fake.texts, 3);
    plait_vindex *ix = load_file(&fx);
    plait_vindex_stats vs;
    plait_vindex_get_stats(ix, &vs);
    assert_int_equal(vs.live, 3);
    plait_vindex_free(ix);

    /* the same nodes written again (same content, same stamps): nothing to embed */
    write_file(&fx, "a.rs", a, 3);
    st = run(&fx);
    assert_int_equal(st.embedded + st.cached + st.removed, 0);
    assert_int_equal(the_fake.texts, 3);

    /* beta changes: embedded again, its old vector replaced in the HNSW; gamma goes away */
    uint64_t lb = label_of(&fx, "kb"), lc = label_of(&fx, "kc");
    float before[DIMS], after[DIMS];
    ix = load_file(&fx);
    assert_int_equal(plait_vindex_get(ix, lb, before), PLAIT_OK);
    plait_vindex_free(ix);
    plait_node a2[] = {node("ka", "alpha", "fn alpha()"), node("kb", "beta", "fn beta(x: u8)")};
    write_file(&fx, "a.rs", a2, 2);
    st = run(&fx);
    assert_int_equal(st.embedded, 1);
    assert_int_equal(st.removed, 2); /* beta's old vector and gamma's */
    assert_int_equal(the_fake.texts, 4);
    assert_int_equal(label_of(&fx, "kb"), lb); /* labels are stable */
    ix = load_file(&fx);
    plait_vindex_get_stats(ix, &vs);
    assert_int_equal(vs.live, 2);
    assert_false(plait_vindex_contains(ix, lc));
    assert_int_equal(plait_vindex_get(ix, lb, after), PLAIT_OK);
    assert_true(memcmp(before, after, sizeof before) != 0);
    plait_vindex_free(ix);

    /* gamma comes back with its old text: found in the cache, not embedded */
    plait_node a3[] = {node("ka", "alpha", "fn alpha()"), node("kb", "beta", "fn beta(x: u8)"), node("kc", "gamma", "fn gamma()")};
    write_file(&fx, "a.rs", a3, 3);
    st = run(&fx);
    assert_int_equal(st.embedded, 0);
    assert_int_equal(st.cached, 1);
    assert_int_equal(the_fake.texts, 4);

    /* a damaged file is rebuilt from SQLite, without the model */
    char *path = plait_vecs_file(fx.dir, "fake-model");
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 100, SEEK_SET);
    fputc(0x77, f);
    fclose(f);
    plait_embed_stage_opts o = {.db_path = fx.db, .config = "fake", .open_embedder = open_fake, .open_ctx = &the_fake,
                                .provider = "local", .jobs = 1, .structural_changed = 0, .quiet = 1};
    assert_int_equal(plait_embed_stage_run(&o, &st), PLAIT_OK);
    assert_true(st.rebuilt);
    assert_int_equal(the_fake.texts, 4);
    ix = load_file(&fx);
    plait_vindex_get_stats(ix, &vs);
    assert_int_equal(vs.live, 3);
    plait_vindex_free(ix);
    /* unchanged, complete and current: not even the model is opened */
    assert_int_equal(plait_embed_stage_run(&o, &st), PLAIT_OK);
    assert_string_equal(st.status, "unchanged");

    /* the model fails: recorded, the structure untouched, the missing vector counted */
    plait_node a4[] = {node("ka", "alpha", "fn alpha(y: i32)"), node("kb", "beta", "fn beta(x: u8)"), node("kc", "gamma", "fn gamma()")};
    write_file(&fx, "a.rs", a4, 3);
    the_fake.fail = 1;
    st = run(&fx);
    assert_string_equal(st.status, "failed");
    assert_int_equal(st.missing, 1);
    the_fake.fail = 0;
    st = run(&fx); /* and the next run finishes the job */
    assert_string_equal(st.status, "complete");
    assert_int_equal(st.embedded, 1);

    /* the file deleted: its vectors go */
    write_file(&fx, "a.rs", NULL, 0);
    st = run(&fx);
    assert_int_equal(st.removed, 3);
    ix = load_file(&fx);
    plait_vindex_get_stats(ix, &vs);
    assert_int_equal(vs.live, 0);
    plait_vindex_free(ix);

    char *cmd = xasprintf("rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
    free(fx.db);
}

int main(void)
{
    plait_hash_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stage)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
