/*
 * index.h - `plait index`: the pipeline from files on disk to the database.
 *
 *   walk + Cargo (main thread) -> reader (1 thread: stat, read, hash, skip unchanged)
 *     -> [bounded queue] -> parsers (N threads, one tree-sitter parser each)
 *     -> [bounded queue] -> writer (main thread: module tree, keys, SQLite batches)
 *
 * A full queue blocks the stage before it, so memory stays bounded whatever the slowest
 * stage.  A file that fails becomes a diagnostic on that file; nothing else waits for it.
 */
#ifndef PLAIT_INDEX_INDEX_H
#define PLAIT_INDEX_INDEX_H

#include <stdint.h>

typedef struct {
    const char *root;        /* directory to index */
    const char *db_path;     /* the SQLite file */
    int jobs;                /* parser threads, >= 1 */
    int quiet;               /* no progress or summary on stderr */
    int progress;            /* draw a progress bar (stderr is a terminal) */
    int64_t max_file_size;   /* bytes */
    unsigned shuffle_seed;   /* nonzero: process files in a shuffled order (determinism tests) */
    int with_deps;           /* also index the dependencies' library crates (discover/deps.h); their
                              * files are stored by absolute path, which marks them external */
} plait_index_opts;

typedef struct {
    long files_seen, files_parsed, files_written, files_unchanged, files_failed, files_deleted, orphans;
    /* files_parsed counts tree-sitter parses; files_written counts file replacements, which
     * can exceed the files seen when a file reached from several crates is rewritten */
    long nodes_written, edges_written, edges_resolved, diagnostics;
    long deps_found, deps_missing;  /* --with-deps: dependency packages indexed / not found */
    int64_t bytes_read;
    double seconds;
    /* where the time went: the streaming pipeline, settling mounts, resolution, building query
     * indexes, the final commit */
    double phase_stream, phase_settle, phase_resolve, phase_indexes, phase_commit;
    int changed;             /* the database was written */
    int interrupted;
} plait_index_stats;

/* Runs the pipeline.  Returns PLAIT_OK, PLAIT_EINTERRUPTED after SIGINT/SIGTERM (the
 * database is consistent and the next run continues), or an error. */
int plait_index_run(const plait_index_opts *opts, plait_index_stats *stats);

#endif
