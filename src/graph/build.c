/* build.c - from extracted items at a mount to nodes and structural edges (see graph.h). */
#include "graph/graph.h"
#include "core/strbuf.h"
#include "parse/rust_text.h"

#include <stdio.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void plait_mount_free(plait_mount *m)
{
    free(m->modpath);
    free(m->visibility);
    free(m->doc);
    free(m->cfg);
    free(m->attrs);
    memset(m, 0, sizeof *m);
}

char *plait_mount_signature(const plait_mount *m)
{
    return xasprintf("%s|%s|%d|%d|%s|%s|%s|%s", m->target->id, m->modpath, m->modrs, m->orphan,
                     m->visibility ? m->visibility : "", m->cfg ? m->cfg : "", m->parent_key, m->doc ? "d" : "");
}

void plait_graph_key(char out[PLAIT_KEY_LEN], const char *target_id, const char *key_path, plait_kind kind,
                     const char *cfg, int disamb)
{
    char d[16];
    snprintf(d, sizeof d, "%d", disamb);
    const char *parts[] = {target_id, key_path, plait_kind_name(kind), cfg ? cfg : "", d};
    plait_hash_key(out, parts, 5);
}

char *plait_cfg_join(const char *outer, const char *inner)
{
    if (outer && *outer && inner && *inner) return xasprintf("%s, %s", outer, inner);
    if (outer && *outer) return xstrdup(outer);
    return inner && *inner ? xstrdup(inner) : NULL;
}

static const char *own(plait_graph_file *g, char *s)
{
    if (s) PLAIT_VEC_PUSH(&g->strings, s);
    return s;
}

static char *join2(const char *a, const char *b) { return *b ? xasprintf("%s::%s", a, b) : xstrdup(a); }

static char *concat_lines(const char *a, const char *b)
{
    if (a && b) return xasprintf("%s\n%s", a, b);
    return a ? xstrdup(a) : b ? xstrdup(b) : NULL;
}

static void add_edge(plait_graph_file *g, const char *src, const char *dst, const char *kind, plait_confidence c,
                     const char *target_path, const char *scope)
{
    plait_edge e = {0};
    memcpy(e.src, src, PLAIT_KEY_LEN);
    if (dst) memcpy(e.dst, dst, PLAIT_KEY_LEN);
    e.kind = kind;
    e.confidence = c;
    e.target_path = target_path;
    e.scope = scope;
    PLAIT_VEC_PUSH(&g->edges, e);
}

static void module_node(const plait_extract *x, const plait_mount *m, const plait_hash *fh, uint32_t len,
                        plait_graph_file *g)
{
    plait_node n = {0};
    n.kind = m->is_root ? PLAIT_KIND_CRATE : PLAIT_KIND_MODULE;
    plait_graph_key(n.key, m->target->id, m->modpath, n.kind, m->cfg, 0);
    memcpy(n.parent, m->parent_key, PLAIT_KEY_LEN);
    n.name = rt_last_segment(m->modpath);
    n.path = m->modpath;
    n.crate = m->target->crate;
    n.line_start = 1;
    n.line_end = x->n_lines ? x->n_lines : 1;
    n.byte_start = 0;
    n.byte_end = len;
    n.visibility = m->is_root ? "pub" : m->visibility ? m->visibility : "private";
    n.signature = own(g, xasprintf("%s %s", m->is_root ? "crate" : "mod", n.name));
    n.doc = own(g, concat_lines(m->doc, x->inner_doc));
    n.attrs = own(g, concat_lines(m->attrs, x->inner_attrs));
    n.cfg = m->cfg;
    n.scope = m->modpath;
    n.hash = *fh;
    PLAIT_VEC_PUSH(&g->nodes, n);
    if (!m->is_root && m->parent_key[0])
        add_edge(g, m->parent_key, n.key, "contains", PLAIT_CONF_EXACT, NULL, NULL);
}

/* One `calls` edge per call site, named as written; graph/resolve.c finds the callee.  The
 * written form says how: "a::f" a path, "self.m" / "x.m" / ".m" a method on that receiver,
 * "name!" a macro.  Names in a free function's body are looked up from the function (its
 * local items first); a method's from its module, since `f()` in a method never means
 * `Self::f`. */
static void add_calls(const plait_extract *x, plait_graph_file *g)
{
    for (size_t i = 0; i < x->calls.len; i++) {
        const plait_call *c = &x->calls.items[i];
        const plait_node *caller = &g->nodes.items[(size_t)c->caller + 1];
        const char *target;
        if (c->kind == PLAIT_CALL_METHOD) target = own(g, xasprintf("%s.%s", c->receiver ? c->receiver : "", c->target));
        else if (c->kind == PLAIT_CALL_MACRO) target = own(g, xasprintf("%s!", c->target));
        else target = c->target;
        add_edge(g, caller->key, NULL, "calls", PLAIT_CONF_EXACT, target, NULL);
        g->edges.items[g->edges.len - 1].line = c->line;
    }
}

void plait_graph_build(const plait_extract *x, const plait_mount *m, const plait_hash *file_hash, uint32_t file_len,
                       plait_graph_file *g)
{
    memset(g, 0, sizeof *g);
    module_node(x, m, file_hash, file_len, g);
    const char *crate = m->target->crate;
    for (size_t i = 0; i < x->items.len; i++) {
        const plait_item *it = &x->items.items[i];
        plait_node n = {0};
        n.kind = it->kind;
        const char *path, *key_path;
        if (it->macro_export) { /* #[macro_export] puts the macro at the crate root */
            path = own(g, xasprintf("%s::%s", crate, it->name));
            key_path = path;
        } else {
            path = own(g, join2(m->modpath, it->rel_path));
            key_path = own(g, join2(m->modpath, it->key_path));
        }
        char *cfg = plait_cfg_join(m->cfg, it->cfg);
        plait_graph_key(n.key, m->target->id, key_path, it->kind, cfg, it->disamb);
        free(cfg);
        const plait_node *parent = &g->nodes.items[it->parent >= 0 ? (size_t)it->parent + 1 : 0];
        memcpy(n.parent, parent->key, PLAIT_KEY_LEN);
        n.name = it->name;
        n.path = path;
        n.crate = crate;
        n.line_start = it->line_start;
        n.line_end = it->line_end;
        n.byte_start = it->byte_start;
        n.byte_end = it->byte_end;
        n.visibility = it->visibility;
        n.signature = it->signature;
        n.doc = it->doc;
        n.attrs = it->attrs;
        n.cfg = it->cfg;
        n.target = it->target;
        n.trait_path = it->trait_path;
        n.scope = own(g, join2(m->modpath, it->scope));
        n.hash = it->hash;
        PLAIT_VEC_PUSH(&g->nodes, n);
        const plait_node *me = &g->nodes.items[g->nodes.len - 1];
        const char *ek = it->kind == PLAIT_KIND_FIELD ? "has_field" : it->kind == PLAIT_KIND_VARIANT ? "has_variant" : "contains";
        add_edge(g, me->parent, me->key, ek, PLAIT_CONF_EXACT, NULL, NULL);
        if (it->kind == PLAIT_KIND_USE && it->target) /* `use x as _` imports x too (its trait methods) */
            add_edge(g, me->key, NULL, "imports", PLAIT_CONF_EXACT, it->target, NULL);
        if (it->kind == PLAIT_KIND_IMPL) {
            add_edge(g, me->key, NULL, "impl_for", PLAIT_CONF_EXACT, it->target, NULL);
            if (it->trait_path) add_edge(g, me->key, NULL, "implements", PLAIT_CONF_EXACT, it->trait_path, NULL);
        }
    }
    add_calls(x, g);
    for (size_t i = 0; i < x->typerefs.len; i++) { /* references_type, named as written */
        const plait_typeref *t = &x->typerefs.items[i];
        const plait_node *from = &g->nodes.items[(size_t)t->item + 1];
        add_edge(g, from->key, NULL, "references_type", PLAIT_CONF_EXACT, t->path, NULL);
        g->edges.items[g->edges.len - 1].line = t->line;
    }
}

void plait_graph_file_free(plait_graph_file *g)
{
    for (size_t i = 0; i < g->strings.len; i++) free(g->strings.items[i]);
    PLAIT_VEC_FREE(&g->strings);
    PLAIT_VEC_FREE(&g->nodes);
    PLAIT_VEC_FREE(&g->edges);
}
