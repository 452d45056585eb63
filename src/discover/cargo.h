/*
 * cargo.h - understands Cargo: which packages a tree holds and the crate targets of each.
 *
 * Reads every discovered Cargo.toml with the TOML grammar (no cargo needed).  Workspaces
 * contribute their members (globs) and exclusions; each package contributes its targets the
 * way cargo discovers them: [lib] or src/lib.rs, src/main.rs and [[bin]] and the src/bin folder,
 * examples/, tests/, benches/ (each honouring its auto* switch and explicit entries) and the
 * build script.  Crate names are the target names with `-` turned into `_`.
 */
#ifndef PLAIT_DISCOVER_CARGO_H
#define PLAIT_DISCOVER_CARGO_H

#include "discover/walk.h"

typedef enum {
    PLAIT_TARGET_LIB, PLAIT_TARGET_BIN, PLAIT_TARGET_EXAMPLE, PLAIT_TARGET_TEST,
    PLAIT_TARGET_BENCH, PLAIT_TARGET_BUILD, PLAIT_TARGET_LOOSE,
    PLAIT_TARGET_DEP /* a dependency's library, indexed by --with-deps (see deps.h) */
} plait_target_kind;

const char *plait_target_kind_name(plait_target_kind k);

typedef struct {
    char *name;   /* package name as written */
    char *dir;    /* directory relative to the root ("" = the root); absolute for a dependency */
} plait_package;

typedef struct {
    char *crate;  /* crate name, a Rust identifier */
    char *id;     /* stable identity of the target: "<package dir>|<kind>|<crate>" */
    plait_target_kind kind;
    char *root;   /* root source file, relative to the walk root */
    int package;  /* index into packages, -1 for loose files */
} plait_target;

typedef struct {
    PLAIT_VEC(plait_package) packages;  /* members sorted by dir, then dependencies */
    PLAIT_VEC(plait_target) targets;    /* in package order, lib first */
    PLAIT_VEC(char *) excluded;         /* directories a workspace excludes */
    char *loose_crate;                  /* crate name for sources outside any package */
} plait_workspace;

/* Builds the workspace model of `root` from the walk's manifests; problems with a manifest
 * become diagnostics and the rest is still loaded.  `out` is zero-initialised by the caller and
 * freed with plait_workspace_free(). */
int plait_workspace_load(const char *root, const plait_walk *w, plait_workspace *out, plait_path_diags *diags);
void plait_workspace_free(plait_workspace *ws);
/* Index of the innermost package whose directory contains `rel`, or -1. */
int plait_workspace_package_of(const plait_workspace *ws, const char *rel);
/* 1 if `rel` lies in a directory a workspace excludes. */
int plait_workspace_is_excluded(const plait_workspace *ws, const char *rel);

#endif
