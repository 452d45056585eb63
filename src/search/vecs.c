/* vecs.c - the HNSW file of an index and its rebuild from SQLite (see vecs.h). */
#include "search/vecs.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *plait_vecs_file(const char *dir, const char *model)
{
    plait_hash h;
    char hex[PLAIT_HASH_HEX], name[64];
    plait_hash_bytes(&h, model, strlen(model));
    plait_hash_hex(&h, hex);
    snprintf(name, sizeof name, "vectors-%.16s.hnsw", hex);
    return plait_path_join(dir, name);
}

void plait_vecs_params(plait_vindex_params *p, uint32_t dims)
{
    plait_vindex_params_init(p, dims);
    p->metric = PLAIT_VMETRIC_IP;
    p->storage = PLAIT_VSTORE_INT8;
    p->M = 16;
    p->ef_construction = 100;
    p->ef_search = 64;
}

uint64_t plait_vecs_generation(sqlite3 *db)
{
    sqlite3_stmt *q;
    uint64_t g = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'vec_generation'", -1, &q, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        g = strtoull((const char *)sqlite3_column_text(q, 0), NULL, 10);
    sqlite3_finalize(q);
    return g;
}

int plait_vecs_set_generation(sqlite3 *db, uint64_t gen)
{
    char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO meta(key, value) VALUES ('vec_generation', '%llu')",
                                (unsigned long long)gen);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    return rc == SQLITE_OK ? PLAIT_OK : plait_error_set(PLAIT_EDB, "vector generation: %s", sqlite3_errmsg(db));
}

int plait_vecs_peek(const char *path, uint64_t *gen)
{
    /* header (docs/vector.md): "PLAITVX\0", version u32, header size u32, generation u64 LE */
    unsigned char h[24];
    FILE *f = fopen(path, "rb");
    if (!f) return plait_error_set(PLAIT_ENOTFOUND, "no vector index at %s", path);
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n != sizeof h || memcmp(h, "PLAITVX", 8) != 0) return plait_error_set(PLAIT_EINVALID, "%s is not a vector index", path);
    uint64_t g = 0;
    for (int i = 7; i >= 0; i--) g = g << 8 | h[16 + i];
    *gen = g;
    return PLAIT_OK;
}

int plait_vecs_load(const char *path, uint64_t gen, uint32_t dims, plait_vindex **out, const char **why)
{
    uint64_t fgen = 0;
    *out = NULL;
    if (!plait_is_file(path)) {
        *why = "missing";
        return plait_error_set(PLAIT_ENOTFOUND, "no vector index at %s", path);
    }
    plait_vindex *ix = NULL;
    int rc = plait_vindex_load(&ix, path, &fgen);
    if (rc != PLAIT_OK) {
        *why = "damaged";
        return rc;
    }
    plait_vindex_params p;
    plait_vindex_get_params(ix, &p);
    if (p.dim != dims) {
        *why = "wrong dimension";
        plait_vindex_free(ix);
        return plait_error_set(PLAIT_EINVALID, "%s holds %u-d vectors, the model gives %u", path, p.dim, dims);
    }
    if (fgen != gen) {
        *why = "stale";
        plait_vindex_free(ix);
        return plait_error_set(PLAIT_EINVALID, "%s is of generation %llu, the database is at %llu", path,
                               (unsigned long long)fgen, (unsigned long long)gen);
    }
    *out = ix;
    return PLAIT_OK;
}

int plait_vecs_decode(const void *blob, int bytes, uint32_t dims, float *out)
{
    if (!blob || bytes != (int)(dims * sizeof(float)))
        return plait_error_set(PLAIT_ECORRUPT, "a stored vector has %d bytes, want %u", bytes, (unsigned)(dims * sizeof(float)));
    memcpy(out, blob, (size_t)bytes); /* stored little-endian float32, as this machine */
    return PLAIT_OK;
}

int plait_vecs_rebuild(sqlite3 *db, const char *model, uint32_t dims, unsigned jobs, plait_vindex **out, size_t *count)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT l.label, c.vec FROM node_vecs v JOIN vec_labels l ON l.key = v.key "
                               "JOIN vec_cache c ON c.model = v.model AND c.text_hash = v.text_hash WHERE v.model = ?1 "
                               "ORDER BY l.label", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "reading vectors: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(q, 1, model, -1, SQLITE_STATIC);
    PLAIT_VEC(uint64_t) labels = {0};
    PLAIT_VEC(float) vecs = {0};
    int rc = PLAIT_OK;
    while (rc == PLAIT_OK && sqlite3_step(q) == SQLITE_ROW) {
        PLAIT_VEC_GROW(&vecs, vecs.len + dims);
        rc = plait_vecs_decode(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1), dims, vecs.items + vecs.len);
        if (rc) break;
        vecs.len += dims;
        PLAIT_VEC_PUSH(&labels, (uint64_t)sqlite3_column_int64(q, 0));
    }
    sqlite3_finalize(q);
    plait_vindex *ix = NULL;
    plait_vindex_params p;
    plait_vecs_params(&p, dims);
    if (rc == PLAIT_OK) rc = plait_vindex_new(&ix, &p);
    if (rc == PLAIT_OK && labels.len) rc = plait_vindex_add_batch(ix, labels.items, vecs.items, labels.len, jobs ? jobs : 1);
    if (count) *count = labels.len;
    PLAIT_VEC_FREE(&labels);
    PLAIT_VEC_FREE(&vecs);
    if (rc != PLAIT_OK) {
        plait_vindex_free(ix);
        return rc;
    }
    *out = ix;
    return PLAIT_OK;
}
