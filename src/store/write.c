/* write.c - the writer's per-file replacement, run-level diagnostics and run records. */
#include "store/store.h"
#include "store/store_internal.h"
#include "core/strmap.h"
#include "core/uuid7.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <stdlib.h>
#include <string.h>

const char *plait_confidence_name(plait_confidence c)
{
    return c == PLAIT_CONF_EXACT ? "exact" : c == PLAIT_CONF_INFERRED ? "inferred" : "ambiguous";
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
    if (s) sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
    else sqlite3_bind_null(q, i);
}

static int step_done(plait_store *s, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return plait_error_set(PLAIT_EDB, "%s: %s", what, sqlite3_errmsg(plait_store_raw(s)));
    return PLAIT_OK;
}

typedef struct { plait_hash hash; char stamp[37]; } old_stamp;

/* Keeps the stamp of a node whose key and content are unchanged; mints one otherwise.  `olds`
 * holds the file's previous nodes; a key not there may have moved from another file, so it is
 * looked up -- unless the index was empty when this writer opened it. */
static void assign_stamp(plait_store *s, const plait_strmap *olds, plait_node *n)
{
    int kept = 0;
    const old_stamp *o = plait_strmap_get(olds, n->key);
    if (o) {
        if (plait_hash_equal(&o->hash, &n->hash)) {
            memcpy(n->stamp, o->stamp, 37);
            kept = 1;
        }
    } else if (!plait_store_was_empty(s)) {
        sqlite3_stmt *q = plait_store_stmt(s, ST_NODE_OLD);
        sqlite3_bind_text(q, 1, n->key, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == PLAIT_HASH_BYTES &&
            memcmp(sqlite3_column_blob(q, 0), n->hash.b, PLAIT_HASH_BYTES) == 0) {
            const unsigned char *st = sqlite3_column_text(q, 1);
            if (st && strlen((const char *)st) == 36) {
                memcpy(n->stamp, st, 37);
                kept = 1;
            }
        }
        sqlite3_reset(q);
    }
    if (!kept) {
        plait_uuid u;
        plait_uuid7_new(&u);
        plait_uuid_format(&u, n->stamp);
    }
}

/* The file's current nodes: key -> (hash, stamp).  Caller frees values and map. */
static void load_old_stamps(plait_store *s, int64_t fid, plait_strmap *olds)
{
    sqlite3_stmt *q = plait_store_stmt(s, ST_NODE_OLD_FILE);
    sqlite3_bind_int64(q, 1, fid);
    while (sqlite3_step(q) == SQLITE_ROW) {
        const unsigned char *st = sqlite3_column_text(q, 2);
        if (sqlite3_column_bytes(q, 1) != PLAIT_HASH_BYTES || !st || strlen((const char *)st) != 36) continue;
        old_stamp *o = xmalloc(sizeof *o);
        memcpy(o->hash.b, sqlite3_column_blob(q, 1), PLAIT_HASH_BYTES);
        memcpy(o->stamp, st, 37);
        free(plait_strmap_put(olds, (const char *)sqlite3_column_text(q, 0), o));
    }
    sqlite3_reset(q);
}

static int64_t file_row(plait_store *s, const plait_file_rec *rec)
{
    sqlite3_stmt *q = plait_store_stmt(s, ST_FILE_GET);
    sqlite3_bind_text(q, 1, rec->path, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return id;
}

static int write_file_row(plait_store *s, const plait_file_rec *rec, int64_t *id, uint32_t lines, int errors)
{
    sqlite3_stmt *q = plait_store_stmt(s, *id ? ST_FILE_UPD : ST_FILE_INS);
    int off = *id ? 1 : 0;
    if (*id) sqlite3_bind_int64(q, 1, *id);
    else sqlite3_bind_text(q, 1, rec->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, rec->size);
    sqlite3_bind_int64(q, 3, rec->mtime_ns);
    if (rec->has_hash) sqlite3_bind_blob(q, 4, rec->hash.b, PLAIT_HASH_BYTES, SQLITE_STATIC);
    bind_text(q, 5, rec->mounts);
    bind_text(q, 6, rec->mods);
    sqlite3_bind_int64(q, 7, lines);
    sqlite3_bind_int(q, 8, errors);
    (void)off;
    int rc = step_done(s, q, "writing a file row");
    if (rc == PLAIT_OK && !*id) *id = sqlite3_last_insert_rowid(plait_store_raw(s));
    return rc;
}

static int insert_node(plait_store *s, int64_t fid, const plait_node *n)
{
    sqlite3_stmt *q = plait_store_stmt(s, ST_NODE_INS);
    sqlite3_bind_text(q, 1, n->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, fid);
    sqlite3_bind_text(q, 3, plait_kind_name(n->kind), -1, SQLITE_STATIC);
    bind_text(q, 4, n->name);
    bind_text(q, 5, n->path);
    bind_text(q, 6, n->crate);
    bind_text(q, 7, n->parent[0] ? n->parent : NULL);
    sqlite3_bind_int64(q, 8, n->line_start);
    sqlite3_bind_int64(q, 9, n->line_end);
    sqlite3_bind_int64(q, 10, n->byte_start);
    sqlite3_bind_int64(q, 11, n->byte_end);
    bind_text(q, 12, n->visibility);
    bind_text(q, 13, n->signature);
    bind_text(q, 14, n->doc);
    bind_text(q, 15, n->attrs);
    bind_text(q, 16, n->cfg);
    bind_text(q, 17, n->target);
    bind_text(q, 18, n->trait_path);
    bind_text(q, 19, n->scope);
    sqlite3_bind_blob(q, 20, n->hash.b, PLAIT_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(q, 21, n->stamp, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc == SQLITE_CONSTRAINT) return 1; /* the key is taken by another file */
    if (rc != SQLITE_DONE) return plait_error_set(PLAIT_EDB, "writing node %s: %s", n->path, sqlite3_errmsg(plait_store_raw(s)));
    return PLAIT_OK;
}

static int insert_diag(plait_store *s, int64_t fid, const char *sev, uint32_t line, const char *code, const char *msg)
{
    sqlite3_stmt *q = plait_store_stmt(s, ST_DIAG_INS);
    sqlite3_bind_int64(q, 1, fid);
    sqlite3_bind_text(q, 2, sev, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, line);
    sqlite3_bind_text(q, 4, code, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, msg, -1, SQLITE_STATIC);
    return step_done(s, q, "writing a diagnostic");
}

/* Two files claim one key (the same module path reached twice under the same cfg).  The copy
 * from the file whose path sorts first is kept, whichever was written first, so the index
 * does not depend on the order files were processed in; the other file gets a diagnostic. */
static int duplicate_key(plait_store *s, int64_t fid, const char *path, const plait_node *n)
{
    sqlite3 *db = plait_store_raw(s);
    sqlite3_stmt *q;
    int64_t other = 0;
    char *other_path = NULL;
    if (sqlite3_prepare_v2(db, "SELECT f.id, f.path FROM nodes n JOIN files f ON f.id = n.file_id WHERE n.key = ?1", -1, &q,
                           NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "duplicate key: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(q, 1, n->key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
        other = sqlite3_column_int64(q, 0);
        other_path = xstrdup((const char *)sqlite3_column_text(q, 1));
    }
    sqlite3_finalize(q);
    int rc = PLAIT_OK, ours = other_path && strcmp(path, other_path) < 0;
    if (ours) { /* displace the other file's copy (its FTS row first; ours is added with the file's) */
        sqlite3_stmt *d = plait_store_stmt(s, ST_FTS_DEL_KEY);
        sqlite3_bind_text(d, 1, n->key, -1, SQLITE_STATIC);
        if ((rc = step_done(s, d, "duplicate key"))) {
            free(other_path);
            return rc;
        }
        char *sql = sqlite3_mprintf("DELETE FROM nodes WHERE key = '%q'", n->key);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) rc = plait_error_set(PLAIT_EDB, "duplicate key: %s", sqlite3_errmsg(db));
        sqlite3_free(sql);
        if (rc == PLAIT_OK) rc = insert_node(s, fid, n) ? plait_error_set(PLAIT_EDB, "duplicate key %s", n->key) : PLAIT_OK;
    }
    if (rc == PLAIT_OK) {
        char *msg = xasprintf("item %s (%s) has the same key as the copy in %s (same module path and cfg); that copy "
                              "is kept", n->path, plait_kind_name(n->kind), ours ? path : other_path ? other_path : "another file");
        rc = insert_diag(s, ours ? other : fid, "warning", n->line_start, "duplicate", msg);
        free(msg);
    }
    free(other_path);
    return rc;
}

int plait_store_replace_file(plait_store *s, const plait_file_rec *rec, plait_node *nodes, size_t nn,
                             const plait_edge *edges, size_t ne, const plait_diag *diags, size_t nd, int64_t *file_id)
{
    int64_t fid = file_row(s, rec);
    plait_strmap olds;
    plait_strmap_init(&olds);
    if (fid) load_old_stamps(s, fid, &olds);
    for (size_t i = 0; i < nn; i++) assign_stamp(s, &olds, &nodes[i]);
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(&olds, &pos, NULL, &v)) free(v);
    plait_strmap_free(&olds);
    if (fid) { /* the FTS rows go first: they are found through the file's node rows */
        static const int dels[] = {ST_FTS_DEL, ST_NODE_DEL, ST_EDGE_DEL, ST_DIAG_DEL};
        for (int k = 0; k < 4; k++) {
            sqlite3_stmt *q = plait_store_stmt(s, dels[k]);
            sqlite3_bind_int64(q, 1, fid);
            int rc = step_done(s, q, "clearing a file's rows");
            if (rc) return rc;
        }
    }
    uint32_t lines = 0;
    int errors = 0;
    for (size_t i = 0; i < nd; i++) errors += !strcmp(diags[i].code, "syntax");
    if (nn) lines = nodes[0].line_end; /* the file's module node spans the file */
    int rc = write_file_row(s, rec, &fid, lines, errors);
    if (rc) return rc;
    if (file_id) *file_id = fid;
    for (size_t i = 0; i < nn; i++) {
        rc = insert_node(s, fid, &nodes[i]);
        if (rc == 1) rc = duplicate_key(s, fid, rec->path, &nodes[i]);
        if (rc) return rc;
    }
    if (nn) { /* one statement for the file's FTS rows, in the same transaction as its nodes */
        sqlite3_stmt *q = plait_store_stmt(s, ST_FTS_INS);
        sqlite3_bind_int64(q, 1, fid);
        if ((rc = step_done(s, q, "writing full-text rows"))) return rc;
    }
    for (size_t i = 0; i < ne; i++) {
        sqlite3_stmt *q = plait_store_stmt(s, ST_EDGE_INS);
        sqlite3_bind_text(q, 1, edges[i].src, -1, SQLITE_STATIC);
        bind_text(q, 2, edges[i].dst[0] ? edges[i].dst : NULL);
        sqlite3_bind_text(q, 3, edges[i].kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, plait_confidence_name(edges[i].confidence), -1, SQLITE_STATIC);
        bind_text(q, 5, edges[i].target_path);
        bind_text(q, 6, edges[i].scope);
        sqlite3_bind_int64(q, 7, fid);
        if (edges[i].line) sqlite3_bind_int64(q, 8, edges[i].line);
        if ((rc = step_done(s, q, "writing an edge"))) return rc;
    }
    for (size_t i = 0; i < nd; i++) {
        rc = insert_diag(s, fid, plait_diag_severity_name(diags[i].severity), diags[i].line, diags[i].code, diags[i].message);
        if (rc) return rc;
    }
    return PLAIT_OK;
}

int plait_store_touch_file(plait_store *s, const char *path, int64_t size, int64_t mtime_ns)
{
    sqlite3_stmt *q = plait_store_stmt(s, ST_TOUCH);
    sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, size);
    sqlite3_bind_int64(q, 3, mtime_ns);
    return step_done(s, q, "updating a file's mtime");
}

int plait_store_delete_file(plait_store *s, const char *path)
{
    plait_file_rec r = {.path = (char *)path};
    int64_t fid = file_row(s, &r);
    if (!fid) return PLAIT_OK;
    static const int dels[] = {ST_FTS_DEL, ST_NODE_DEL, ST_EDGE_DEL, ST_DIAG_DEL, ST_FILE_DEL};
    for (int k = 0; k < 5; k++) {
        sqlite3_stmt *q = plait_store_stmt(s, dels[k]);
        sqlite3_bind_int64(q, 1, fid);
        int rc = step_done(s, q, "deleting a file");
        if (rc) return rc;
    }
    return PLAIT_OK;
}

/* Run-level diagnostics have file_id NULL; each line is "severity\tpath\tcode\tmessage". */
int plait_store_set_path_diags(plait_store *s, const char *const *lines, size_t n, int *changed)
{
    sqlite3 *db = plait_store_raw(s);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT severity || char(9) || path || char(9) || code || char(9) || message FROM diagnostics "
                               "WHERE file_id IS NULL ORDER BY rowid", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "reading diagnostics: %s", sqlite3_errmsg(db));
    size_t i = 0;
    int same = 1;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (i >= n || strcmp((const char *)sqlite3_column_text(q, 0), lines[i]) != 0) same = 0;
        i++;
    }
    sqlite3_finalize(q);
    if (i != n) same = 0;
    *changed = !same;
    if (same) return PLAIT_OK;
    if (sqlite3_exec(db, "DELETE FROM diagnostics WHERE file_id IS NULL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO diagnostics(file_id, severity, path, code, message, line) VALUES (NULL, ?1, ?2, ?3, ?4, 0)",
                           -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "writing diagnostics: %s", sqlite3_errmsg(db));
    for (size_t k = 0; k < n; k++) {
        char *copy = xstrdup(lines[k]), *f[4] = {0}, *save = NULL;
        f[0] = strtok_r(copy, "\t", &save);
        for (int j = 1; j < 4; j++) f[j] = strtok_r(NULL, j == 3 ? "" : "\t", &save);
        for (int j = 0; j < 4; j++) bind_text(q, j + 1, f[j] ? f[j] : "");
        sqlite3_step(q);
        sqlite3_reset(q);
        free(copy);
    }
    sqlite3_finalize(q);
    return PLAIT_OK;
}

int plait_store_add_run(plait_store *s, int64_t started_unix, double seconds, int64_t files_seen,
                        int64_t files_parsed, int64_t files_deleted, const char *status)
{
    sqlite3 *db = plait_store_raw(s);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "INSERT INTO runs(started, seconds, files_seen, files_parsed, files_deleted, status) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "recording the run: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(q, 1, started_unix);
    sqlite3_bind_double(q, 2, seconds);
    sqlite3_bind_int64(q, 3, files_seen);
    sqlite3_bind_int64(q, 4, files_parsed);
    sqlite3_bind_int64(q, 5, files_deleted);
    sqlite3_bind_text(q, 6, status, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? PLAIT_OK : plait_error_set(PLAIT_EDB, "recording the run: %s", sqlite3_errmsg(db));
}

int plait_store_meta_set(plait_store *s, const char *key, const char *value)
{
    char *old = plait_store_meta_get(s, key);
    int same = old && !strcmp(old, value);
    free(old);
    if (same) return PLAIT_OK; /* no write when nothing changes */
    sqlite3 *db = plait_store_raw(s);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "writing metadata: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? PLAIT_OK : plait_error_set(PLAIT_EDB, "writing metadata: %s", sqlite3_errmsg(db));
}

char *plait_store_meta_get(plait_store *s, const char *key)
{
    sqlite3_stmt *q;
    char *v = NULL;
    if (sqlite3_prepare_v2(plait_store_raw(s), "SELECT value FROM meta WHERE key = ?1", -1, &q, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) v = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return v;
}
