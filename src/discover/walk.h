/*
 * walk.h - finds the files to index under a root.
 *
 * Walks directories in sorted order, honouring nested .gitignore and .plaitignore files,
 * skipping VCS folders, `.plait` and Cargo `target/` folders.  Follows symlinks but detects
 * loops.  Collects `.rs` sources and `Cargo.toml` manifests; anything skipped for a reason a
 * user would want to know (too large, unreadable, a loop) becomes a diagnostic.
 */
#ifndef PLAIT_DISCOVER_WALK_H
#define PLAIT_DISCOVER_WALK_H

#include <stdint.h>

#include "core/xalloc.h"

typedef enum { PLAIT_FILE_RUST, PLAIT_FILE_MANIFEST } plait_file_kind;

typedef struct {
    char *rel;          /* path relative to the root, '/'-separated */
    int64_t size, mtime_ns;
    plait_file_kind kind;
} plait_found;

/* A problem with a path (no line): what the user sees in `plait status` and index output. */
typedef struct {
    char *path;
    int severity;       /* plait_diag_severity */
    char *code, *message;
} plait_path_diag;

typedef PLAIT_VEC(plait_path_diag) plait_path_diags;
void plait_path_diag_add(plait_path_diags *d, const char *path, int severity, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void plait_path_diags_free(plait_path_diags *d);

typedef struct {
    int64_t max_file_size; /* bytes; larger sources are skipped with a diagnostic */
} plait_walk_opts;

typedef struct {
    PLAIT_VEC(plait_found) files; /* sorted by rel */
    plait_path_diags diags;
} plait_walk;

/* Walks `root` (an existing directory).  out is zero-initialised by the caller and freed with
 * plait_walk_free().  Fails only if the root itself cannot be read. */
int plait_walk_run(const char *root, const plait_walk_opts *opts, plait_walk *out);
void plait_walk_free(plait_walk *w);

#endif
