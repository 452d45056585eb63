/* store.c - schema, migrations and the writer's statements (see store.h). */
#include "store/store.h"
#include "store/store_internal.h"
#include "store/words.h"
#include "core/uuid7.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char *const stmt_sql[ST_COUNT] = {
    [ST_FILE_GET] = "SELECT id FROM files WHERE path = ?1",
    [ST_FILE_INS] = "INSERT INTO files(path, size, mtime_ns, hash, lang, mounts, mods, lines, syntax_errors) "
                    "VALUES (?1, ?2, ?3, ?4, 'rust', ?5, ?6, ?7, ?8)",
    [ST_FILE_UPD] = "UPDATE files SET size = ?2, mtime_ns = ?3, hash = ?4, mounts = ?5, mods = ?6, lines = ?7, "
                    "syntax_errors = ?8 WHERE id = ?1",
    [ST_NODE_OLD] = "SELECT content_hash, stamp FROM nodes WHERE key = ?1",
    [ST_NODE_DEL] = "DELETE FROM nodes WHERE file_id = ?1",
    [ST_EDGE_DEL] = "DELETE FROM edges WHERE file_id = ?1",
    [ST_DIAG_DEL] = "DELETE FROM diagnostics WHERE file_id = ?1",
    [ST_NODE_INS] = "INSERT INTO nodes(key, file_id, kind, name, path, crate, parent, line_start, line_end, byte_start, "
                    "byte_end, visibility, signature, doc, attrs, cfg, target, trait_path, scope, content_hash, stamp) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    [ST_EDGE_INS] = "INSERT INTO edges(src, dst, kind, confidence, target_path, scope, file_id, line) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_DIAG_INS] = "INSERT INTO diagnostics(file_id, path, severity, line, code, message) "
                    "VALUES (?1, (SELECT path FROM files WHERE id = ?1), ?2, ?3, ?4, ?5)",
    [ST_TOUCH] = "UPDATE files SET size = ?2, mtime_ns = ?3 WHERE path = ?1",
    [ST_FILE_DEL] = "DELETE FROM files WHERE id = ?1",
    [ST_NODE_OLD_FILE] = "SELECT key, content_hash, stamp FROM nodes WHERE file_id = ?1",
    [ST_FTS_DEL] = "DELETE FROM nodes_fts WHERE rowid IN (SELECT rowid FROM nodes WHERE file_id = ?1)",
    [ST_FTS_INS] = "INSERT INTO nodes_fts(rowid, name, words, path, signature, doc) " PLAIT_FTS_SELECT " WHERE file_id = ?1 "
                   "AND kind != 'use'",
    [ST_FTS_DEL_KEY] = "DELETE FROM nodes_fts WHERE rowid = (SELECT rowid FROM nodes WHERE key = ?1)",
};

struct plait_store {
    sqlite3 *db;
    int was_empty;
    int bulk_journal; /* the first load runs with a rollback journal; back to WAL at close */
    sqlite3_stmt *st[ST_COUNT];
};

static const char *const schema_v1 =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER, mtime_ns INTEGER,"
    "  hash BLOB, lang TEXT, mounts TEXT, mods TEXT, lines INTEGER, syntax_errors INTEGER);"
    "CREATE TABLE nodes(key TEXT PRIMARY KEY, file_id INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,"
    "  path TEXT NOT NULL, crate TEXT, parent TEXT, line_start INTEGER, line_end INTEGER, byte_start INTEGER,"
    "  byte_end INTEGER, visibility TEXT, signature TEXT, doc TEXT, attrs TEXT, cfg TEXT, target TEXT,"
    "  trait_path TEXT, scope TEXT, content_hash BLOB NOT NULL, stamp TEXT NOT NULL);"
    "CREATE INDEX nodes_file ON nodes(file_id);"
    "CREATE TABLE edges(src TEXT NOT NULL, dst TEXT, kind TEXT NOT NULL, confidence TEXT NOT NULL,"
    "  target_path TEXT, scope TEXT, file_id INTEGER NOT NULL);"
    "CREATE INDEX edges_file ON edges(file_id);"
    "CREATE TABLE diagnostics(file_id INTEGER, path TEXT, severity TEXT, line INTEGER, code TEXT, message TEXT);"
    "CREATE INDEX diagnostics_file ON diagnostics(file_id);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, started INTEGER, seconds REAL, files_seen INTEGER,"
    "  files_parsed INTEGER, files_deleted INTEGER, status TEXT);";

/* 2 -> 3: full-text search and vectors (see docs/ARCHITECTURE.md, "Search").  Written to be
 * re-runnable: a database whose user_version was set back runs it again without harm.
 *  - nodes_fts: a regular FTS5 table (it keeps its own copy of the indexed text), one row per
 *    node except `use` items, rowid = the node's rowid.  detail=column: BM25 needs per-column
 *    counts, not positions, and phrase queries are not used; it is about half the size.
 *  - vec_labels: a stable integer label per node key (the HNSW label), never reused.
 *  - vec_cache: one vector per (model id, hash of the embedded text), float32 little-endian.
 *  - node_vecs: which text (hash) a node's vector for a model was made from, and the node's
 *    stamp then; a node whose stamp moved on is embedded again (or found in the cache). */
static const char *const schema_v3 =
    "CREATE VIRTUAL TABLE IF NOT EXISTS nodes_fts USING fts5(name, words, path, signature, doc,"
    "  tokenize = 'porter unicode61 remove_diacritics 2', detail = column);"
    "DELETE FROM nodes_fts;"
    "INSERT INTO nodes_fts(rowid, name, words, path, signature, doc) " PLAIT_FTS_SELECT " WHERE kind != 'use';"
    "CREATE TABLE IF NOT EXISTS vec_labels(label INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS vec_cache(id INTEGER PRIMARY KEY, model TEXT NOT NULL, text_hash BLOB NOT NULL,"
    "  vec BLOB NOT NULL, UNIQUE(model, text_hash));"
    "CREATE TABLE IF NOT EXISTS node_vecs(key TEXT NOT NULL, model TEXT NOT NULL, stamp TEXT NOT NULL,"
    "  text_hash BLOB NOT NULL, PRIMARY KEY(key, model)) WITHOUT ROWID;";

/* The query indexes.  A first (bulk) load leaves them out and builds them once at the end,
 * which is faster than maintaining them row by row; every writer open re-creates any that
 * are missing, so a load killed half-way still ends up with them. */
#define CACHE_PRAGMA "PRAGMA cache_size = -65536" /* KiB: the writer's page cache */
#ifndef PLAIT_SORT_CACHE_KB
#define PLAIT_SORT_CACHE_KB "2048"
#endif
static const char *const query_indexes =
    "CREATE INDEX IF NOT EXISTS nodes_name ON nodes(name COLLATE NOCASE);"
    "CREATE INDEX IF NOT EXISTS nodes_path ON nodes(path);"
    "CREATE INDEX IF NOT EXISTS nodes_parent ON nodes(parent);"
    "CREATE INDEX IF NOT EXISTS edges_src ON edges(src, kind);"
    "CREATE INDEX IF NOT EXISTS edges_dst ON edges(dst, kind) WHERE dst IS NOT NULL;"; /* callers, refs */

static int db_err(plait_store *s, const char *what)
{
    return plait_error_set(PLAIT_EDB, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* Brings the schema to PLAIT_SCHEMA_VERSION.  Each step is one transaction, so a crash mid-way
 * leaves the previous version intact. */
static int migrate(plait_store *s)
{
    sqlite3_stmt *q;
    int ver = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK) return db_err(s, "schema version");
    if (sqlite3_step(q) == SQLITE_ROW) ver = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (ver > PLAIT_SCHEMA_VERSION)
        return plait_error_set(PLAIT_EVERSION, "the index was written by a newer plait (schema %d, this binary knows %d): "
                               "upgrade plait or delete the .plait folder to rebuild", ver, PLAIT_SCHEMA_VERSION);
    /* Each step takes the schema from version i to i + 1; a new index runs them all. */
    static const char *const steps[PLAIT_SCHEMA_VERSION] = {
        NULL, /* 0 -> 1: schema_v1 */
        "ALTER TABLE edges ADD COLUMN line INTEGER;", /* 1 -> 2: call sites carry their line */
        NULL, /* 2 -> 3: schema_v3 */
    };
    for (int v = ver; v < PLAIT_SCHEMA_VERSION; v++) {
        char *err = NULL;
        char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", v == 0 ? schema_v1 : v == 2 ? schema_v3 : steps[v], v + 1);
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);
        free(sql);
        if (rc != SQLITE_OK) {
            plait_error_set(PLAIT_EDB, "migrating the index from schema %d to %d: %s", v, v + 1, err ? err : "?");
            sqlite3_free(err);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return PLAIT_EDB;
        }
    }
    return PLAIT_OK;
}

/* Sets the journal mode; 1 if the database is now in `mode`.  Leaving WAL needs the only
 * connection: with a reader attached SQLite keeps WAL, which is also fine. */
static int set_journal(plait_store *s, const char *mode)
{
    char *sql = xasprintf("PRAGMA journal_mode = %s", mode);
    sqlite3_stmt *q;
    int ok = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
            ok = !strcmp((const char *)sqlite3_column_text(q, 0), mode);
        sqlite3_finalize(q);
    }
    free(sql);
    return ok;
}

int plait_store_open(const char *path, int create, int readonly, plait_store **out)
{
    if (!create && access(path, F_OK) != 0)
        return plait_error_set(PLAIT_ENOTFOUND, "no index at %s: run `plait index` first (or pass --db)", path);
    plait_store *s = xcalloc(1, sizeof *s);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = plait_error_set(PLAIT_EDB, "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        free(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (plait_words_register(s->db) != PLAIT_OK) {
        int rc = plait_error_set(PLAIT_EDB, "%s", plait_error_last());
        plait_store_close(s);
        return rc;
    }
    /* WAL: readers see the last commit and never block on the writer.  synchronous=NORMAL is
     * crash-safe in WAL mode (a power cut may lose the last commits, never corrupt). */
    const char *pragmas = readonly ? "PRAGMA query_only = 1;" :
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; " CACHE_PRAGMA ";";
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        int rc = db_err(s, "configuring the database");
        plait_store_close(s);
        return rc;
    }
    int rc = readonly ? PLAIT_OK : migrate(s);
    if (rc == PLAIT_OK && readonly) {
        sqlite3_stmt *q;
        int ver = 0;
        if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            ver = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
        if (ver != PLAIT_SCHEMA_VERSION)
            rc = plait_error_set(ver > PLAIT_SCHEMA_VERSION ? PLAIT_EVERSION : PLAIT_ENOTFOUND,
                                 "the index at %s has schema %d, this plait reads %d: run `plait index` to %s it",
                                 path, ver, PLAIT_SCHEMA_VERSION, ver ? "migrate" : "build");
    }
    if (rc != PLAIT_OK) {
        plait_store_close(s);
        return rc;
    }
    if (!readonly) {
        sqlite3_stmt *q;
        s->was_empty = sqlite3_prepare_v2(s->db, "SELECT 1 FROM nodes LIMIT 1", -1, &q, NULL) == SQLITE_OK &&
                       sqlite3_step(q) != SQLITE_ROW;
        sqlite3_finalize(q);
        if (s->was_empty) s->bulk_journal = set_journal(s, "delete");
        if (!s->was_empty && sqlite3_exec(s->db, query_indexes, NULL, NULL, NULL) != SQLITE_OK) {
            rc = db_err(s, "creating indexes");
            plait_store_close(s);
            return rc;
        }
        for (int i = 0; i < ST_COUNT; i++) {
            if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
                rc = db_err(s, stmt_sql[i]);
                plait_store_close(s);
                return rc;
            }
        }
    }
    *out = s;
    return PLAIT_OK;
}

void plait_store_close(plait_store *s)
{
    if (!s) return;
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->st[i]);
    if (s->bulk_journal) set_journal(s, "wal"); /* if this fails, the next writer open does it */
    sqlite3_close(s->db);
    free(s);
}

sqlite3 *plait_store_db(plait_store *s) { return s->db; }
sqlite3 *plait_store_raw(plait_store *s) { return s->db; }
sqlite3_stmt *plait_store_stmt(plait_store *s, int id) { return s->st[id]; }
int plait_store_was_empty(plait_store *s) { return s->was_empty; }

static int exec(plait_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? PLAIT_OK : db_err(s, sql);
}

int plait_store_finish_load(plait_store *s)
{
    if (!s->was_empty) return PLAIT_OK;
    s->was_empty = 0;
    /* CREATE INDEX feeds SQLite's sorter, whose in-memory run grows (by realloc and copy) up to
     * the page cache's size and is then sorted on the calling thread.  With a small cache the
     * sorter cuts the rows into runs that its helper threads (PRAGMA threads) sort while
     * this thread goes on reading, then merges them. */
    exec(s, "PRAGMA cache_size = -" PLAIT_SORT_CACHE_KB);
    int rc = exec(s, query_indexes);
    exec(s, CACHE_PRAGMA);
    return rc;
}

int plait_store_begin(plait_store *s) { return exec(s, "BEGIN IMMEDIATE"); }
int plait_store_commit(plait_store *s) { return exec(s, "COMMIT"); }
int plait_store_rollback(plait_store *s) { return exec(s, "ROLLBACK"); }

void plait_file_rec_free(plait_file_rec *r)
{
    free(r->path);
    free(r->mounts);
    free(r->mods);
}

static char *col_str(sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    return t ? xstrdup((const char *)t) : NULL;
}

int plait_store_files(plait_store *s, plait_file_rec **out, size_t *n)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT id, path, size, mtime_ns, hash, mounts, mods FROM files ORDER BY path", -1, &q, NULL) != SQLITE_OK)
        return db_err(s, "reading files");
    PLAIT_VEC(plait_file_rec) v = {0};
    while (sqlite3_step(q) == SQLITE_ROW) {
        plait_file_rec r = {0};
        r.id = sqlite3_column_int64(q, 0);
        r.path = col_str(q, 1);
        r.size = sqlite3_column_int64(q, 2);
        r.mtime_ns = sqlite3_column_int64(q, 3);
        if (sqlite3_column_bytes(q, 4) == PLAIT_HASH_BYTES) {
            memcpy(r.hash.b, sqlite3_column_blob(q, 4), PLAIT_HASH_BYTES);
            r.has_hash = 1;
        }
        r.mounts = col_str(q, 5);
        r.mods = col_str(q, 6);
        PLAIT_VEC_PUSH(&v, r);
    }
    sqlite3_finalize(q);
    *out = v.items;
    *n = v.len;
    return PLAIT_OK;
}
