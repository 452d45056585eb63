/*
 * deps.h - finds the sources of a workspace's dependency crates (`plait index --with-deps`).
 *
 * Which packages: every package of the root's Cargo.lock that is not a workspace member; with
 * no Cargo.lock, the members' dependencies (normal, dev, build, target-specific) and, through
 * the manifests of the ones found, theirs, each at the highest version present.  Where: the
 * first of ROOT/vendor/NAME, ROOT/vendor/NAME-VERSION, $CARGO_HOME/registry/src/<any>/NAME-VERSION
 * ($HOME/.cargo by default) and /usr/share/cargo/registry/NAME-VERSION that holds a Cargo.toml;
 * a path dependency (`{ path = ".." }`) outside the root is taken from its path.  Each found
 * package's library target becomes one crate per name the workspace uses for it: its lib name
 * (`-` turned into `_`), or the alias of a renamed dependency (`alias = { package = "real" }`).
 * A package whose sources are not found, or that has no library, is a diagnostic, never a
 * failure.
 */
#ifndef PLAIT_DISCOVER_DEPS_H
#define PLAIT_DISCOVER_DEPS_H

#include "discover/cargo.h"

typedef struct {
    char *name, *version; /* the package; version "" when unknown (a path dependency) */
    char *dir;            /* absolute, normalised source directory; NULL when not found */
    char *lib;            /* absolute path of the library root file; NULL without a library */
    PLAIT_VEC(char *) crates; /* crate names the workspace reaches it by (at least one when lib) */
} plait_dep;

typedef struct {
    PLAIT_VEC(plait_dep) deps; /* sorted by (name, version) */
    int from_lock;             /* the list came from Cargo.lock */
} plait_deps;

typedef struct {
    const char *cargo_home;    /* NULL: $CARGO_HOME, else $HOME/.cargo */
    const char *system_dir;    /* NULL: /usr/share/cargo/registry; "" leaves it out */
} plait_deps_opts;

/* Discovers the dependencies of the workspace `ws` loaded from `root`.  `out` is
 * zero-initialised by the caller and freed with plait_deps_free().  Unreadable or invalid
 * manifests and missing sources become diagnostics in `diags`; fails only on a Cargo.lock that
 * exists but cannot be parsed (reported as a diagnostic too, with the fallback used). */
int plait_deps_discover(const char *root, const plait_workspace *ws, const plait_deps_opts *opts, plait_deps *out,
                        plait_path_diags *diags);
void plait_deps_free(plait_deps *d);

/* The source directory of package `name` at `version` (NULL or "" = the highest found), or
 * NULL.  Caller frees. */
char *plait_deps_locate(const char *root, const plait_deps_opts *opts, const char *name, const char *version);

/* Adds each found dependency to `ws` as a package (dir = its absolute directory) with one
 * PLAIT_TARGET_DEP target per crate name; the target id is "dep:NAME-VERSION|dep|CRATE", so
 * keys do not depend on where the sources were found.  A member package whose directory is a
 * found dependency (a vendor/ folder inside the root) is excluded from the workspace. */
void plait_deps_add_targets(plait_workspace *ws, const char *root, const plait_deps *d);

/* The names members give their dependencies in place of the package's own (`geo = { path =
 * "../basics", package = "basics" }`), as one line per (crate of the member, alias):
 * "CRATE ALIAS REAL_CRATE\n", sorted; the resolver reads them as the crates' extern prelude.
 * Returns a newly allocated string ("" when there are none). */
char *plait_deps_aliases(const char *root, const plait_workspace *ws);

/* 1 if a stored file path belongs to a dependency (dependency files are stored by absolute
 * path; workspace files relative to the root). */
int plait_deps_is_dep_path(const char *path);

#endif
