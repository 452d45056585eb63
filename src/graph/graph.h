/*
 * graph.h - places a file's extracted items in the crate graph.
 *
 * A file sits at a *mount*: a crate target and a module path, reached either as a crate root
 * or through a parent file's `mod name;`.  Given the mount, plait_graph_build turns the
 * extractor's relative items into nodes with canonical paths and stable keys, and emits the
 * structural edges (contains, has_field, has_variant) plus impl_for/implements edges that
 * name their target by path; plait_graph_resolve later fills those in across the whole index.
 */
#ifndef PLAIT_GRAPH_GRAPH_H
#define PLAIT_GRAPH_GRAPH_H

#include <sqlite3.h>

#include "discover/cargo.h"
#include "graph/node.h"

typedef struct {
    const plait_target *target;
    char *modpath;      /* "syn::punctuated" */
    int modrs;          /* the file owns its directory (crate root, mod.rs, #[path] file) */
    int is_root;
    int orphan;         /* reached by no `mod` declaration: mounted by its file path */
    char *visibility, *doc, *cfg, *attrs; /* from the declaring `mod` */
    char parent_key[PLAIT_KEY_LEN];       /* "" for crate roots */
} plait_mount;

void plait_mount_free(plait_mount *m);
/* A one-line text identifying the mount, stored to notice when a file moves in the tree. */
char *plait_mount_signature(const plait_mount *m);

/* The cfg an item lives under: its module's chain and its own, "a, b" (NULL if neither).
 * Caller frees.  Part of the key, so cfg'd twins of a whole module stay apart. */
char *plait_cfg_join(const char *outer, const char *inner);

/* Stable key: BLAKE2b-128 of (target id, canonical key path, kind, cfg, disambiguator). */
void plait_graph_key(char out[PLAIT_KEY_LEN], const char *target_id, const char *key_path, plait_kind kind,
                     const char *cfg, int disamb);

typedef struct {
    PLAIT_VEC(plait_node) nodes; /* nodes[0] is the file's module (or crate) */
    PLAIT_VEC(plait_edge) edges;
    PLAIT_VEC(char *) strings;   /* owned strings the nodes and edges point into */
} plait_graph_file;

/* Builds nodes and edges for one file at one mount.  `file_hash` is the file's content hash;
 * `file_len` its size.  Free the result with plait_graph_file_free(). */
void plait_graph_build(const plait_extract *x, const plait_mount *m, const plait_hash *file_hash, uint32_t file_len,
                       plait_graph_file *out);
void plait_graph_file_free(plait_graph_file *g);

/* Where `mod decl;` in a file at `parent_rel` (mounted with `parent_modrs`) looks for its
 * file: up to two candidate paths (relative to the root, normalised), and whether the child
 * owns its directory for each.  Caller frees the candidates. */
int plait_graph_mod_candidates(const char *parent_rel, int parent_modrs, const char *name, const char *path_attr,
                               const char *inline_dir, char *cand[2], int modrs[2]);

/* Serialises a file's mod declarations (JSON via jansson) so an unchanged file can mount its
 * children without being parsed again; parse gives them back.  Caller frees. */
char *plait_graph_mods_to_json(const plait_extract *x);
int plait_graph_mods_from_json(const char *json, plait_extract *into);

/* If `kind` is an edge kind that names its target by path and is answered by
 * plait_graph_resolve (calls, impl_for, implements, imports, references_type), that kind's
 * name as a static string; else NULL. */
const char *plait_graph_resolvable(const char *kind);

/* An edge of a resolvable kind not written yet: a first load keeps them in memory and
 * plait_graph_resolve inserts them with their answers, so each is written once instead of
 * being inserted, read back and updated.  The strings are the caller's. */
typedef struct {
    int64_t file_id;
    const char *src, *kind, *target_path, *scope;
    const char *dst;            /* as extracted: "" while unresolved */
    plait_confidence confidence;
    uint32_t line;
} plait_pending_edge;

/* Resolves every edge that names its target by path (impl_for, implements, imports,
 * references_type, calls) against the nodes the database now holds: the written path is
 * looked up from the scope it was written in, through that scope's items, its `use` imports,
 * `crate::`/`self::`/`super::` and workspace crate names (see resolve.c).  Those are the
 * table's rows of those kinds plus the `npending` rows of `pending`, which are inserted.
 * Answers are computed on `threads` threads; the table's rows whose answer changed are
 * updated, by the calling thread.  *updated counts the rows (stored or pending) whose answer
 * differs from what they held. */
int plait_graph_resolve(sqlite3 *db, int threads, const plait_pending_edge *pending, size_t npending, long *updated);

#endif
