/*
 * node.h - a node and an edge as they are stored: the extractor's item placed in its crate,
 * with its canonical path, stable key and TypeStamp.  Strings are borrowed from whoever built
 * the node (the graph builder owns them through plait_graph_file).
 */
#ifndef PLAIT_GRAPH_NODE_H
#define PLAIT_GRAPH_NODE_H

#include <stdint.h>

#include "core/hash.h"
#include "parse/extract.h"

#define PLAIT_KEY_LEN 33 /* 32 hex chars + NUL */

typedef struct {
    char key[PLAIT_KEY_LEN];
    char parent[PLAIT_KEY_LEN]; /* "" for a crate */
    plait_kind kind;
    const char *name, *path, *crate;
    uint32_t line_start, line_end, byte_start, byte_end;
    const char *visibility, *signature, *doc, *attrs, *cfg, *target, *trait_path, *scope;
    plait_hash hash;
    char stamp[37];             /* UUIDv7; filled in by the store when written */
} plait_node;

typedef enum { PLAIT_CONF_EXACT, PLAIT_CONF_INFERRED, PLAIT_CONF_AMBIGUOUS } plait_confidence;
const char *plait_confidence_name(plait_confidence c);

typedef struct {
    char src[PLAIT_KEY_LEN];
    char dst[PLAIT_KEY_LEN];    /* "" while unresolved */
    const char *kind;           /* "contains", "has_field", "impl_for", ... */
    plait_confidence confidence;
    const char *target_path;    /* the path as written, for edges resolved by name; NULL otherwise */
    const char *scope;          /* absolute module path the name was written in */
    uint32_t line;              /* call sites: the line of the call, 0 otherwise */
} plait_edge;

#endif
