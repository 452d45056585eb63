/*
 * pending.c - a first load's resolvable edges, kept in memory until resolution.
 *
 * On a first load every call, import, type reference and impl edge would otherwise be
 * inserted unresolved, read back by the resolver and updated with its answer: three trips
 * through SQLite for ~370k rows on rust-src library/.  Instead the writer keeps them here, one
 * group per file row (a file written again when it gains a mount replaces its group), and
 * plait_graph_resolve inserts each once with its answer.
 *
 * A group is one array of rows plus one block holding all their strings, so replacing or
 * dropping a group is two frees.
 */
#include "index/index_internal.h"

#include <stdlib.h>
#include <string.h>

struct pending_file {
    plait_pending_edge *rows;
    size_t n;
    char *strings;
};

static size_t opt_len(const char *s) { return s ? strlen(s) + 1 : 0; }

static const char *put_str(char **at, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *out = memcpy(*at, s, n);
    *at += n;
    return out;
}

static void group_free(pending_file *g)
{
    if (!g) return;
    free(g->rows);
    free(g->strings);
    free(g);
}

void pending_put(pending_edges *pe, int64_t file_id, const plait_edge *const *edges, size_t n)
{
    size_t fid = (size_t)file_id;
    if (fid >= pe->by_fid.len) {
        PLAIT_VEC_GROW(&pe->by_fid, fid + 1);
        memset(pe->by_fid.items + pe->by_fid.len, 0, (fid + 1 - pe->by_fid.len) * sizeof *pe->by_fid.items);
        pe->by_fid.len = fid + 1;
    }
    pending_file *old = pe->by_fid.items[fid];
    if (old) pe->rows -= old->n;
    group_free(old);
    pe->by_fid.items[fid] = NULL;
    if (!n) return;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const plait_edge *e = edges[i];
        bytes += strlen(e->src) + 1 + (plait_graph_resolvable(e->kind) ? 0 : strlen(e->kind) + 1) + opt_len(e->target_path) + opt_len(e->scope) +
                 (e->dst[0] ? strlen(e->dst) + 1 : 0);
    }
    pending_file *g = xmalloc(sizeof *g);
    g->rows = xmalloc(n * sizeof *g->rows);
    g->n = n;
    g->strings = xmalloc(bytes ? bytes : 1);
    char *at = g->strings;
    for (size_t i = 0; i < n; i++) {
        const plait_edge *e = edges[i];
        plait_pending_edge *r = &g->rows[i];
        r->file_id = file_id;
        r->src = put_str(&at, e->src);
        const char *kind = plait_graph_resolvable(e->kind); /* static: one copy of "references_type" per row adds up */
        r->kind = kind ? kind : put_str(&at, e->kind);
        r->target_path = put_str(&at, e->target_path);
        r->scope = put_str(&at, e->scope);
        r->dst = e->dst[0] ? put_str(&at, e->dst) : "";
        r->confidence = e->confidence;
        r->line = e->line;
    }
    pe->by_fid.items[fid] = g;
    pe->rows += n;
}

plait_pending_edge *pending_flatten(pending_edges *pe, size_t *n)
{
    plait_pending_edge *all = xmalloc((pe->rows ? pe->rows : 1) * sizeof *all), *at = all;
    for (size_t f = 0; f < pe->by_fid.len; f++) { /* file row order: the order a resolve would read them */
        pending_file *g = pe->by_fid.items[f];
        if (!g || !g->rows) continue;
        memcpy(at, g->rows, g->n * sizeof *at);
        at += g->n;
        free(g->rows); /* moved: only the strings stay here (peak memory on a big first load) */
        g->rows = NULL;
        g->n = 0;
    }
    pe->rows = 0;
    *n = (size_t)(at - all);
    return all;
}

void pending_free(pending_edges *pe)
{
    for (size_t f = 0; f < pe->by_fid.len; f++) group_free(pe->by_fid.items[f]);
    PLAIT_VEC_FREE(&pe->by_fid);
    pe->rows = 0;
}
