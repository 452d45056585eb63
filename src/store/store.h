/*
 * store.h - the SQLite database behind an index (`.plait/index.db`).
 *
 * One writer connection (the indexer) and any number of readers: the database runs in WAL
 * mode so readers never wait for the writer, except during the first load of an empty
 * database (see plait_store_open).  The schema is versioned with PRAGMA
 * user_version; plait_store_open migrates an older schema forward and refuses a newer one.
 * A file's nodes, edges and diagnostics are replaced together inside the caller's
 * transaction (plait_store_begin/commit), so a crash leaves either the old file or the new.
 */
#ifndef PLAIT_STORE_STORE_H
#define PLAIT_STORE_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "graph/node.h"

#define PLAIT_SCHEMA_VERSION 3

/* The FTS row of a node, from the nodes table (columns of nodes_fts in order, rowid first). */
#define PLAIT_FTS_SELECT "SELECT rowid, name, plait_words(name), plait_words(path), plait_words(signature), doc FROM nodes"

typedef struct plait_store plait_store;

/* What the index remembers of a file between runs. */
typedef struct {
    int64_t id;
    char *path;
    int64_t size, mtime_ns;
    plait_hash hash;
    int has_hash;
    char *mounts;   /* mount signature: where the file sat in the module tree */
    char *mods;     /* its `mod x;` declarations as JSON, to mount children without re-parsing */
} plait_file_rec;

void plait_file_rec_free(plait_file_rec *r);

/* Opens (creating if `create`) the database at `path`.  readonly opens a reader connection.
 * Caller closes with plait_store_close().
 *
 * A writer that finds the database empty loads it through a rollback journal instead of the
 * WAL, when no other connection has the database open: the pages of a first load are then
 * written once, straight into the file, rather than to the WAL and again by checkpoints
 * (rust-src library/: 0.8 s of ~11).  A first load is one transaction (index/writer.c), so
 * readers that open the database meanwhile wait for it (busy timeout, then SQLITE_BUSY)
 * instead of reading an empty graph.  plait_store_close, and every
 * writer open after a crash, put the database back in WAL mode. */
int plait_store_open(const char *path, int create, int readonly, plait_store **out);
/* 1 if the nodes table was empty when this writer connection opened (a first load, until
 * plait_store_finish_load). */
int plait_store_was_empty(plait_store *s);
void plait_store_close(plait_store *s);
sqlite3 *plait_store_db(plait_store *s);

/* After the writer's last change: builds the query indexes a first load left out (no-op
 * otherwise).  Run inside the final transaction. */
int plait_store_finish_load(plait_store *s);
int plait_store_begin(plait_store *s);
int plait_store_commit(plait_store *s);
int plait_store_rollback(plait_store *s);

/* Every file row, keyed by path, for the incremental check.  Caller frees each with
 * plait_file_rec_free() and the array with free(). */
int plait_store_files(plait_store *s, plait_file_rec **out, size_t *n);

/* Replaces everything stored for `rec->path` with the given nodes, edges and diagnostics,
 * keeping a node's stamp when its key and content hash are unchanged and minting a UUIDv7
 * otherwise; *file_id (if not NULL) receives the file's row id.  Must run inside a
 * transaction. */
int plait_store_replace_file(plait_store *s, const plait_file_rec *rec, plait_node *nodes, size_t nn,
                             const plait_edge *edges, size_t ne, const plait_diag *diags, size_t nd, int64_t *file_id);
/* Updates only the size and mtime of an unchanged file. */
int plait_store_touch_file(plait_store *s, const char *path, int64_t size, int64_t mtime_ns);
/* Removes a file and everything that came from it. */
int plait_store_delete_file(plait_store *s, const char *path);
/* Replaces the run-level diagnostics (walk and manifest problems) if they differ; sets
 * *changed. */
int plait_store_set_path_diags(plait_store *s, const char *const *lines, size_t n, int *changed);
/* Records a run that changed the index. */
int plait_store_add_run(plait_store *s, int64_t started_unix, double seconds, int64_t files_seen,
                        int64_t files_parsed, int64_t files_deleted, const char *status);
/* Key/value metadata (root path, options). */
int plait_store_meta_set(plait_store *s, const char *key, const char *value);
char *plait_store_meta_get(plait_store *s, const char *key); /* caller frees; NULL if unset */

#endif
