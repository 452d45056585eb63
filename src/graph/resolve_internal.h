/* resolve_internal.h - the resolver's tables, shared by resolve.c (names, types, impls) and
 * resolve_calls.c (call sites).  Everything is loaded from the database for one pass. */
#ifndef PLAIT_GRAPH_RESOLVE_INTERNAL_H
#define PLAIT_GRAPH_RESOLVE_INTERNAL_H

#include "core/arena.h"
#include "core/strmap.h"
#include "graph/graph.h"

#include <pthread.h>

typedef PLAIT_VEC(char *) strvec;

typedef struct {
    char *kind, *path, *name, *parent, *target, *crate;
    char *sig;                 /* functions, methods, type aliases: the signature */
} node_info;

typedef struct rv_node_row rv_node_row; /* a node as read by resolve_load.c */

typedef struct {
    sqlite3 *db;
    plait_strmap types;        /* type namespace: path -> strvec of keys (types, traits, modules, crates) */
    plait_strmap values;       /* value namespace: path -> strvec of keys (fns, methods, consts, ctors) */
    plait_strmap uses;         /* "scope\x1fname" -> imported path as written */
    plait_strmap crates;       /* crate name -> 1 */
    plait_strmap modules;      /* module and crate paths -> 1 */
    plait_strmap info;         /* key -> node_info* for methods, functions, impls, traits */
    plait_strmap macros;       /* macro name -> strvec of keys */
    plait_strmap methods;      /* method name -> strvec of keys */
    plait_strmap impl_type;    /* impl key -> resolved self type key (filled by the impl pass) */
    plait_strmap impl_trait;   /* impl key -> resolved trait key */
    plait_strmap type_methods; /* "type key\x1fname" -> strvec of method keys of its impls */
    plait_strmap trait_methods;/* "trait key\x1fname" -> strvec of the trait's method keys */
    plait_strmap type_traits;  /* type key -> strvec of trait keys it implements */
    plait_strmap edge_scope;   /* node key -> the scope its edges' paths are written in */
    plait_strmap globs;        /* scope -> strvec of glob-imported paths as written (`use a::*` -> "a") */
    plait_strmap crate_alias;  /* `extern crate x as y` at a crate root: "crate\x1fy" -> x */
    plait_strmap fields;       /* "struct key\x1fname" -> "scope\x1ftype as written" */
    plait_strmap private;      /* keys of private items, and "scope\x1fname" of private imports */
    /* The tables' keys, strings and vectors live in arenas, one per thread that fills them
     * (resolver_init says which map uses which), and go in one step at the end. */
    plait_arena arena_scopes;  /* builder 1: edge_scope, fields, info */
    plait_arena arena_names;   /* builder 2: the namespaces, imports, globs, visibility */
    plait_arena arena_impls;   /* the writer's thread: impl_type, impl_trait and what rv_index_methods fills */
    plait_arena arena_nodes;   /* while loading: the node rows' strings */
    rv_node_row *rows;         /* while loading: the nodes, sorted by key */
    size_t rows_len;
    pthread_t builders[2];     /* while loading: the threads filling the tables */
    int builders_started;      /* bit t: builders[t] runs */
} resolver;

/* a + sep + b, newly allocated (the resolver's keys are built millions of times) */
char *rv_join(const char *a, const char *sep, const char *b);
/* Adds key to the vector stored at map[k], creating it (in the map's arena if it has one). */
void rv_push(plait_strmap *map, const char *k, const char *key);
/* The absolute path a written path names from `scope`, or NULL if it leaves the index.  A
 * single-segment path is also looked up in the value namespace when `values` is set. */
char *rv_absolute(resolver *r, const char *written, const char *scope, int values, int depth);
/* The keys defined at absolute path `abs` in namespace `ns`, following re-exports. */
const strvec *rv_lookup(resolver *r, const char *abs, const plait_strmap *ns, int depth);
/* Resolves a path in the type namespace to one key ("" if none); *conf "exact"/"ambiguous". */
void rv_type(resolver *r, const char *written, const char *scope, char dst[PLAIT_KEY_LEN], const char **conf);
/* Answers one `calls` edge. */
void rv_call(resolver *r, const char *caller, const char *target, const char *scope, char dst[PLAIT_KEY_LEN],
             const char **conf);
/* A per-thread memo of lookups, valid while the resolver's name tables do not change: a
 * thread answering rows calls begin before and end after. */
void rv_memo_begin(void);
void rv_memo_end(void);
/* Copies columns [first, first + n) (n <= 16) of the current row into one piece of `arena`;
 * out[i] points into it, NULL for SQL NULL. */
void rv_row_strings(sqlite3_stmt *q, int first, int n, const char **out, plait_arena *arena);
/* Starts filling the name tables from the nodes table (reads the rows, then builds on two
 * threads and returns); rv_load_end waits for the tables.  The caller may use the database
 * in between, not the tables. */
int rv_load_begin(resolver *r);
void rv_load_end(resolver *r);
/* Fills type_methods, trait_methods and type_traits once impl_type is known. */
void rv_index_methods(resolver *r);

#endif
