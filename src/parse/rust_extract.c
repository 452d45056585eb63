/*
 * rust_extract.c - turns one Rust source file into a plait_extract with tree-sitter-rust.
 *
 * The walk visits each container (the file, a `mod { }`, a trait or impl body, a function
 * body) child by child.  Outer attributes and doc comments are siblings that come *before* an
 * item in tree-sitter's tree, so they are gathered into a `pending` record and handed to the
 * next item; anything else clears them.  A `scope` says where an item lands: its parent item,
 * its display and identity path prefixes, and the module whose names are in scope.
 * Function bodies are walked in full so items nested in blocks are found; error-recovery
 * (ERROR) nodes are walked too, which keeps a syntax error local to where it is.
 */
#include "parse/extract.h"
#include "parse/rust_internal.h"
#include "parse/rust_text.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "plait/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_rust(void);

#define MAX_DEPTH 1500 /* syntactic nesting walked; deeper code gets a diagnostic */

struct plait_rust_parser { TSParser *ts; int no_refs; };

enum { ASSOC_NONE, ASSOC_TRAIT, ASSOC_IMPL, ASSOC_TRAIT_IMPL };

typedef struct {
    int parent;             /* item index, -1 = the file's module */
    const char *path;       /* display path prefix ("" = module root) */
    const char *key;        /* identity path prefix */
    const char *module;     /* relative module path whose names are in scope */
    const char *inline_dir; /* directory that inline modules add ("a/b") */
    int inline_parent;      /* innermost inline module item, -1 if none */
    int assoc;              /* inside a trait or impl body */
    const char *inherit_vis;/* trait items inherit the trait's visibility */
    int in_body;            /* inside a function body: walk every node */
    const char *generics;   /* " T U " : type parameters in scope, not types to look up */
    const char *bounds;     /* " T=Tr+a::Other U=Clone " : the traits bounding them */
    int depth;
} scope;

typedef struct {
    strbuf doc, attrs, cfg;
    char *path_attr;
    int macro_export, has;
    uint32_t start;         /* byte offset of the first attribute or doc comment */
} pending;

static void walk(ctx *c, TSNode container, const scope *s);

static char *text(ctx *c, TSNode n) { return xstrndup(c->src + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n)); }
static int is(TSNode n, const char *t) { return strcmp(ts_node_type(n), t) == 0; }
static TSNode field(TSNode n, const char *f) { return ts_node_child_by_field_name(n, f, (uint32_t)strlen(f)); }

static char *join(const char *a, const char *b)
{
    if (!a || !*a) return xstrdup(b);
    return xasprintf("%s::%s", a, b);
}

static void pending_reset(pending *p)
{
    strbuf_reset(&p->doc);
    strbuf_reset(&p->attrs);
    strbuf_reset(&p->cfg);
    free(p->path_attr);
    p->path_attr = NULL;
    p->macro_export = p->has = 0;
}

static void pending_free(pending *p)
{
    pending_reset(p);
    strbuf_free(&p->doc);
    strbuf_free(&p->attrs);
    strbuf_free(&p->cfg);
}

static void add_doc(strbuf *doc, char *line)
{
    if (doc->len) strbuf_putc(doc, '\n');
    strbuf_puts(doc, line);
    free(line);
}

/* `doc = "..."`, `path = "..."`, `cfg(...)`, `macro_export`: reads one attribute's meaning. */
static void read_attribute(ctx *c, TSNode attr, strbuf *doc, strbuf *cfg, char **path_attr, int *macro_export)
{
    TSNode a = ts_node_named_child(attr, 0); /* the `attribute` node */
    if (ts_node_is_null(a) || ts_node_named_child_count(a) == 0) return;
    char *name = text(c, ts_node_named_child(a, 0));
    TSNode val = field(a, "value");
    if (strcmp(name, "doc") == 0 && !ts_node_is_null(val) && doc) {
        if (is(val, "string_literal") || is(val, "raw_string_literal")) {
            char *t = text(c, val);
            add_doc(doc, rt_unquote(t, strlen(t)));
            free(t);
        }
    } else if (strcmp(name, "path") == 0 && !ts_node_is_null(val) && path_attr) {
        char *t = text(c, val);
        free(*path_attr);
        *path_attr = rt_unquote(t, strlen(t));
        free(t);
    } else if (strcmp(name, "cfg") == 0 && cfg) {
        char *t = text(c, a);
        if (cfg->len) strbuf_puts(cfg, ", ");
        char *col = rt_collapse(t, strlen(t));
        strbuf_puts(cfg, col);
        free(col);
        free(t);
    } else if (strcmp(name, "macro_export") == 0 && macro_export) {
        *macro_export = 1;
    }
    free(name);
}

/* Comment node: returns 1 outer doc, 2 inner doc, 0 plain comment. */
static int doc_kind(TSNode n)
{
    if (!ts_node_is_null(field(n, "outer"))) return 1;
    if (!ts_node_is_null(field(n, "inner"))) return 2;
    return 0;
}

static char *doc_text(ctx *c, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    return is(n, "line_comment") ? rt_doc_line(c->src + a, b - a) : rt_doc_block(c->src + a, b - a);
}

/* Consumes attributes and comments into `p`; returns 1 if `n` was one of them. */
static int take_pending(ctx *c, TSNode n, pending *p)
{
    if (is(n, "attribute_item")) {
        if (!p->has) p->start = ts_node_start_byte(n);
        p->has = 1;
        char *t = text(c, n);
        if (p->attrs.len) strbuf_putc(&p->attrs, '\n');
        char *col = rt_collapse(t, strlen(t));
        strbuf_puts(&p->attrs, col);
        free(col);
        free(t);
        read_attribute(c, n, &p->doc, &p->cfg, &p->path_attr, &p->macro_export);
        return 1;
    }
    if (is(n, "line_comment") || is(n, "block_comment")) {
        if (doc_kind(n) == 1) {
            if (!p->has) p->start = ts_node_start_byte(n);
            p->has = 1;
            add_doc(&p->doc, doc_text(c, n));
        }
        return 1; /* plain comments neither attach nor break the run */
    }
    return 0;
}

static char *visibility(ctx *c, TSNode n, const scope *s)
{
    uint32_t cnt = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < cnt; i++) {
        TSNode ch = ts_node_named_child(n, i);
        if (is(ch, "visibility_modifier")) {
            uint32_t a = ts_node_start_byte(ch), b = ts_node_end_byte(ch);
            return rt_visibility(c->src + a, b - a);
        }
    }
    if (s->assoc == ASSOC_TRAIT_IMPL) return xstrdup("pub");
    return xstrdup(s->inherit_vis ? s->inherit_vis : "private");
}

/* Declaration text up to `stop` (exclusive), without a trailing `=`/`;`, collapsed. */
static char *signature_until(ctx *c, TSNode n, uint32_t stop)
{
    uint32_t a = ts_node_start_byte(n);
    while (stop > a && strchr(" \t\r\n=;{", c->src[stop - 1])) stop--;
    return rt_collapse(c->src + a, stop - a);
}

static char *signature(ctx *c, TSNode n)
{
    TSNode body = field(n, "body");
    if (is(n, "const_item") || is(n, "static_item")) body = field(n, "value");
    if (is(n, "struct_item") && !ts_node_is_null(body) && !is(body, "field_declaration_list"))
        body = (TSNode){0};
    uint32_t stop = ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body);
    return signature_until(c, n, stop);
}

static uint32_t line_of(TSNode n, int end)
{
    TSPoint p = end ? ts_node_end_point(n) : ts_node_start_point(n);
    if (end && p.column == 0 && p.row > 0) return p.row; /* span ends at a line start */
    return p.row + 1;
}

/* --- type references ------------------------------------------------------------ */

/* " T U " plus the names `n`'s own type parameters introduce. */
static char *generics_with(ctx *c, TSNode n, const char *outer)
{
    strbuf sb = {0};
    strbuf_puts(&sb, outer && *outer ? outer : " ");
    TSNode tp = field(n, "type_parameters");
    uint32_t cnt = ts_node_is_null(tp) ? 0 : ts_node_named_child_count(tp);
    for (uint32_t i = 0; i < cnt; i++) {
        TSNode p = ts_node_named_child(tp, i), nm = field(p, "name");
        if (!is(p, "type_parameter") && !is(p, "const_parameter")) continue;
        if (ts_node_is_null(nm)) continue;
        strbuf_add(&sb, c->src + ts_node_start_byte(nm), ts_node_end_byte(nm) - ts_node_start_byte(nm));
        strbuf_putc(&sb, ' ');
    }
    return strbuf_detach(&sb);
}

/* Appends " Name=Tr1+Tr2" for a parameter's trait bounds (lifetimes and ?Sized left out). */
static void add_bounds(ctx *c, strbuf *sb, TSNode name, TSNode bounds)
{
    if (ts_node_is_null(name) || ts_node_is_null(bounds) || !is(name, "type_identifier")) return;
    int first = 1;
    for (uint32_t i = 0; i < ts_node_named_child_count(bounds); i++) {
        TSNode b = ts_node_named_child(bounds, i);
        if (is(b, "lifetime") || is(b, "removed_trait_bound")) continue;
        if (is(b, "higher_ranked_trait_bound")) b = field(b, "type");
        if (ts_node_is_null(b)) continue;
        char *raw = text(c, b), *t = rt_strip_generics(raw);
        free(raw);
        if (strpbrk(t, " ()=+")) { /* Fn(A) -> B: no method receiver's type */
            free(t);
            continue;
        }
        if (first) {
            strbuf_add(sb, c->src + ts_node_start_byte(name), ts_node_end_byte(name) - ts_node_start_byte(name));
            strbuf_putc(sb, '=');
        } else {
            strbuf_putc(sb, '+');
        }
        strbuf_puts(sb, t);
        free(t);
        first = 0;
    }
    if (!first) strbuf_putc(sb, ' ');
}

/* The bounds of the type parameters in scope inside item n: the enclosing ones, then n's own
 * (`<V: Visit>`) and its where clause (`where V: Visit<'ast> + ?Sized`). */
static char *bounds_with(ctx *c, TSNode n, const char *outer)
{
    strbuf sb = {0};
    strbuf_puts(&sb, outer && *outer ? outer : " ");
    if (c->no_refs) return strbuf_detach(&sb);
    TSNode tp = field(n, "type_parameters");
    for (uint32_t i = 0; !ts_node_is_null(tp) && i < ts_node_named_child_count(tp); i++) {
        TSNode p = ts_node_named_child(tp, i);
        if (is(p, "type_parameter")) add_bounds(c, &sb, field(p, "name"), field(p, "bounds"));
        else if (is(p, "constrained_type_parameter")) add_bounds(c, &sb, field(p, "left"), field(p, "bounds"));
    }
    for (uint32_t k = 0; k < ts_node_named_child_count(n); k++) {
        TSNode w = ts_node_named_child(n, k);
        if (!is(w, "where_clause")) continue;
        for (uint32_t i = 0; i < ts_node_named_child_count(w); i++) {
            TSNode pr = ts_node_named_child(w, i);
            if (is(pr, "where_predicate")) add_bounds(c, &sb, field(pr, "left"), field(pr, "bounds"));
        }
    }
    return strbuf_detach(&sb);
}

/* The bounds of type parameter `name` in `bounds` ("Tr1+Tr2"), newly allocated; NULL if none. */
static char *bounds_of(const char *bounds, const char *name)
{
    char probe[96];
    snprintf(probe, sizeof probe, " %s=", name);
    const char *at = strstr(bounds, probe);
    if (!at) return NULL;
    at += strlen(probe);
    return xstrndup(at, strcspn(at, " "));
}

static void add_typeref(ctx *c, int item, const char *generics, char *path, TSNode at)
{
    char probe[160];
    snprintf(probe, sizeof probe, " %s ", path);
    if (!strcmp(path, "Self") || !strncmp(path, "Self::", 6) || (generics && strstr(generics, probe))) {
        free(path);
        return;
    }
    for (size_t i = c->x->typerefs.len; i-- > 0 && c->x->typerefs.items[i].item == item;)
        if (!strcmp(c->x->typerefs.items[i].path, path)) { /* once per item */
            free(path);
            return;
        }
    plait_typeref t = {item, path, ts_node_start_point(at).row + 1};
    PLAIT_VEC_PUSH(&c->x->typerefs, t);
}

/* Every named type inside a type expression (generic arguments and bounds included). */
static void collect_types(ctx *c, TSNode n, int item, const char *generics, int depth)
{
    if (ts_node_is_null(n) || depth > 64 || c->no_refs) return;
    if (is(n, "type_identifier") || is(n, "scoped_type_identifier")) {
        char *raw = rt_collapse(c->src + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
        add_typeref(c, item, generics, rt_strip_generics(raw), n);
        free(raw);
        return; /* a path's own segments are not separate references */
    }
    if (is(n, "block") || is(n, "identifier")) return; /* const generic arguments, patterns */
    uint32_t cnt = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < cnt; i++) collect_types(c, ts_node_named_child(n, i), item, generics, depth + 1);
}

/* The types an item's declaration names. */
static void declared_types(ctx *c, TSNode n, int idx, const char *generics)
{
    static const char *const fields[] = {"parameters", "return_type", "type", "bounds", "type_parameters", NULL};
    const plait_item *it = &c->x->items.items[idx];
    if (it->kind == PLAIT_KIND_USE || it->kind == PLAIT_KIND_MODULE || it->kind == PLAIT_KIND_MACRO ||
        it->kind == PLAIT_KIND_VARIANT)
        return;
    if (it->kind == PLAIT_KIND_IMPL) { /* the heads are impl_for/implements; their arguments and bounds count */
        static const char *const heads[] = {"trait", "type", NULL};
        for (int i = 0; heads[i]; i++) {
            TSNode h = field(n, heads[i]);
            if (!ts_node_is_null(h) && is(h, "generic_type")) collect_types(c, field(h, "type_arguments"), idx, generics, 0);
        }
        collect_types(c, field(n, "type_parameters"), idx, generics, 0);
        for (uint32_t k = 0; k < ts_node_named_child_count(n); k++)
            if (is(ts_node_named_child(n, k), "where_clause")) collect_types(c, ts_node_named_child(n, k), idx, generics, 0);
        return;
    }
    for (int i = 0; fields[i]; i++) {
        TSNode f = field(n, fields[i]);
        if (ts_node_is_null(f)) continue;
        if (!strcmp(fields[i], "parameters")) { /* patterns are not types: only each parameter's type */
            uint32_t cnt = ts_node_named_child_count(f);
            for (uint32_t k = 0; k < cnt; k++) collect_types(c, field(ts_node_named_child(f, k), "type"), idx, generics, 0);
        } else {
            collect_types(c, f, idx, generics, 0);
        }
    }
    for (uint32_t k = 0; k < ts_node_named_child_count(n); k++) /* where clauses */
        if (is(ts_node_named_child(n, k), "where_clause")) collect_types(c, ts_node_named_child(n, k), idx, generics, 0);
    if (is(n, "ordered_field_declaration_list")) return;
}

/* Appends an item; strings are taken over (not copied).  Returns its index. */
static int add_item(ctx *c, const scope *s, plait_kind kind, TSNode n, char *name, char *rel, char *key,
                    char *sig, pending *p)
{
    plait_item it = {0};
    it.kind = kind;
    it.parent = s->parent;
    it.name = name;
    it.rel_path = rel;
    it.key_path = key;
    it.scope = xstrdup(s->module);
    it.byte_start = ts_node_start_byte(n);
    it.byte_end = ts_node_end_byte(n);
    it.line_start = line_of(n, 0);
    it.line_end = line_of(n, 1);
    if (it.line_end < it.line_start) it.line_end = it.line_start;
    it.visibility = kind == PLAIT_KIND_VARIANT ? xstrdup(s->inherit_vis ? s->inherit_vis : "pub")
                                               : visibility(c, n, s);
    it.signature = sig;
    uint32_t from = it.byte_start;
    if (p && p->has) {
        if (p->doc.len) it.doc = xstrdup(strbuf_str(&p->doc));
        if (p->attrs.len) it.attrs = xstrdup(strbuf_str(&p->attrs));
        if (p->cfg.len) it.cfg = xstrdup(strbuf_str(&p->cfg));
        it.macro_export = p->macro_export;
        if (p->start < from) from = p->start;
    }
    plait_hash_normalised(&it.hash, c->src + from, it.byte_end - from);
    PLAIT_VEC_PUSH(&c->x->items, it);
    int idx = (int)c->x->items.len - 1;
    char *g = generics_with(c, n, s->generics);
    PLAIT_VEC_PUSH(&c->generics, g);
    PLAIT_VEC_PUSH(&c->bounds, bounds_with(c, n, s->bounds));
    declared_types(c, n, idx, g);
    return idx;
}

static int add_named(ctx *c, const scope *s, plait_kind kind, TSNode n, TSNode name_node, pending *p)
{
    char *name = ts_node_is_null(name_node) ? xstrdup("_") : text(c, name_node);
    return add_item(c, s, kind, n, name, join(s->path, name), join(s->key, name), signature(c, n), p);
}

/* --- fields and variants ------------------------------------------------------------ */

/* Fields of a struct, union or variant.  `default_vis` is what a field without a modifier
 * gets: private in structs, the enum's visibility in variants. */
static void walk_fields(ctx *c, TSNode list, int parent, const char *ppath, const char *pkey, const scope *s,
                        const char *default_vis)
{
    scope fs = *s;
    fs.parent = parent;
    fs.path = ppath;
    fs.key = pkey;
    fs.assoc = ASSOC_NONE;
    fs.inherit_vis = default_vis;
    fs.generics = c->generics.items[parent]; /* struct S<T> { x: T }: T is no type to look up */
    pending p = {0};
    int ordered = is(list, "ordered_field_declaration_list"), pos = 0;
    uint32_t cnt = ts_node_named_child_count(list);
    TSNode vis = {0};
    for (uint32_t i = 0; i < cnt; i++) {
        TSNode ch = ts_node_named_child(list, i);
        if (take_pending(c, ch, &p)) continue;
        if (ordered && is(ch, "visibility_modifier")) {
            vis = ch;
            continue;
        }
        if (!ordered && !is(ch, "field_declaration")) {
            pending_reset(&p);
            continue;
        }
        char *name = ordered ? xasprintf("%d", pos++) : NULL;
        if (!ordered) {
            TSNode nm = field(ch, "name");
            name = ts_node_is_null(nm) ? xstrdup("_") : text(c, nm);
        }
        char *sig;
        if (ordered && !ts_node_is_null(vis)) {
            uint32_t a = ts_node_start_byte(vis), b = ts_node_end_byte(ch);
            sig = rt_collapse(c->src + a, b - a);
        } else {
            sig = signature(c, ch);
        }
        int idx = add_item(c, &fs, PLAIT_KIND_FIELD, ch, name, join(ppath, name), join(pkey, name), sig, &p);
        if (ordered) collect_types(c, ch, idx, c->generics.items[idx], 0); /* the node is the type */
        if (ordered) {
            plait_item *it = &c->x->items.items[idx];
            free(it->visibility);
            it->visibility = ts_node_is_null(vis) ? xstrdup(default_vis ? default_vis : "private")
                                                  : rt_visibility(c->src + ts_node_start_byte(vis),
                                                                  ts_node_end_byte(vis) - ts_node_start_byte(vis));
            vis = (TSNode){0};
        }
        pending_reset(&p);
    }
    pending_free(&p);
}

static void walk_variants(ctx *c, TSNode list, int parent, const scope *es, const char *vis)
{
    const plait_item *e = &c->x->items.items[parent];
    char *epath = xstrdup(e->rel_path), *ekey = xstrdup(e->key_path);
    scope vs = *es;
    vs.parent = parent;
    vs.path = epath;
    vs.key = ekey;
    vs.inherit_vis = vis;
    vs.generics = c->generics.items[parent];
    pending p = {0};
    uint32_t cnt = ts_node_named_child_count(list);
    for (uint32_t i = 0; i < cnt; i++) {
        TSNode ch = ts_node_named_child(list, i);
        if (take_pending(c, ch, &p)) continue;
        if (!is(ch, "enum_variant")) {
            pending_reset(&p);
            continue;
        }
        uint32_t a = ts_node_start_byte(ch), b = ts_node_end_byte(ch);
        char *name = text(c, field(ch, "name"));
        int idx = add_item(c, &vs, PLAIT_KIND_VARIANT, ch, name, join(epath, name), join(ekey, name),
                           rt_collapse(c->src + a, b - a), &p);
        pending_reset(&p);
        TSNode body = field(ch, "body");
        if (!ts_node_is_null(body)) {
            char *vp = xstrdup(c->x->items.items[idx].rel_path), *vk = xstrdup(c->x->items.items[idx].key_path);
            walk_fields(c, body, idx, vp, vk, &vs, vis);
            free(vp);
            free(vk);
        }
    }
    pending_free(&p);
    free(epath);
    free(ekey);
}

/* Walks `body` as the contents of item `idx`: what it finds hangs from that item, with paths
 * extending the item's own (or `path`, for impl members shown under their type).  Paths are
 * copied first because the item array may move while the walk adds to it. */
static void walk_inside(ctx *c, TSNode body, const scope *s, int idx, const char *path, int assoc, int in_body,
                        const char *inline_dir)
{
    const plait_item *it = &c->x->items.items[idx];
    char *p = xstrdup(path ? path : it->rel_path), *k = xstrdup(it->key_path), *vis = xstrdup(it->visibility);
    scope in = *s;
    in.parent = idx;
    in.path = p;
    in.key = k;
    in.assoc = assoc;
    in.in_body = in_body;
    in.inherit_vis = assoc == ASSOC_TRAIT ? vis : NULL;
    in.generics = c->generics.items[idx];
    in.bounds = c->bounds.items[idx];
    if (in_body || inline_dir) in.module = p; /* a body or module is a scope of its own names */
    if (inline_dir) {
        in.inline_dir = inline_dir;
        in.inline_parent = idx;
    }
    walk(c, body, &in);
    free(p);
    free(k);
    free(vis);
}

/* --- use trees ------------------------------------------------------------------------ */

static void add_use(ctx *c, const scope *s, TSNode decl, const char *target, const char *alias, pending *p)
{
    const char *last = rt_last_segment(target);
    char *name = xstrdup(alias ? alias : strcmp(target, "*") == 0 ? "*" : last);
    char *written = alias ? xasprintf("use %s as %s", target, alias) : xasprintf("use %s", target);
    int idx = add_item(c, s, PLAIT_KIND_USE, decl, name, join(s->path, written), join(s->key, written),
                       xstrdup(written), p);
    c->x->items.items[idx].target = xstrdup(target);
    free(written);
}

static void expand_use(ctx *c, const scope *s, TSNode decl, TSNode n, const char *prefix, pending *p, int depth)
{
    if (ts_node_is_null(n) || depth > 64) return;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (is(n, "use_as_clause")) {
        TSNode pn = field(n, "path"), an = field(n, "alias");
        char *path = rt_path(c->src + ts_node_start_byte(pn), ts_node_end_byte(pn) - ts_node_start_byte(pn));
        char *alias = text(c, an), *full = join(prefix, path);
        add_use(c, s, decl, full, alias, p);
        free(path);
        free(alias);
        free(full);
    } else if (is(n, "scoped_use_list")) {
        TSNode pn = field(n, "path");
        char *path = ts_node_is_null(pn) ? xstrdup("") : rt_path(c->src + ts_node_start_byte(pn), ts_node_end_byte(pn) - ts_node_start_byte(pn));
        char *np = *path ? join(prefix, path) : xstrdup(prefix);
        expand_use(c, s, decl, field(n, "list"), np, p, depth + 1);
        free(path);
        free(np);
    } else if (is(n, "use_list")) {
        uint32_t cnt = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < cnt; i++) {
            TSNode ch = ts_node_named_child(n, i);
            if (!is(ch, "line_comment") && !is(ch, "block_comment")) expand_use(c, s, decl, ch, prefix, p, depth + 1);
        }
    } else if (is(n, "use_wildcard") || is(n, "identifier") || is(n, "scoped_identifier") || is(n, "crate") ||
               is(n, "self") || is(n, "super") || is(n, "metavariable")) {
        char *path = rt_path(c->src + a, b - a);
        if (strcmp(path, "self") == 0 && *prefix) {
            add_use(c, s, decl, prefix, NULL, p); /* `a::{self}` imports `a` */
        } else {
            char *full = join(prefix, path);
            add_use(c, s, decl, full, NULL, p);
            free(full);
        }
        free(path);
    }
}

/* --- impls ---------------------------------------------------------------------------- */

static void do_impl(ctx *c, TSNode n, const scope *s, pending *p)
{
    TSNode tn = field(n, "type"), trn = field(n, "trait");
    char *ty = ts_node_is_null(tn) ? xstrdup("_") : text(c, tn);
    char *tyc = rt_collapse(ty, strlen(ty));
    char *readable;
    char *trait_path = NULL;
    if (!ts_node_is_null(trn)) {
        char *tr = text(c, trn), *trc = rt_collapse(tr, strlen(tr));
        /* a negative impl writes `!` before the trait, outside the trait node */
        uint32_t tb = ts_node_start_byte(trn);
        int neg = tb > 0 && c->src[tb - 1] == '!';
        readable = xasprintf("impl %s%s for %s", neg ? "!" : "", trc, tyc);
        trait_path = rx_type_base(c, trn);
        free(tr);
        free(trc);
    } else {
        readable = xasprintf("impl %s", tyc);
    }
    char *base = rx_type_base(c, tn);
    int idx = add_item(c, s, PLAIT_KIND_IMPL, n, xstrdup(readable), join(s->path, readable), join(s->key, readable),
                       signature(c, n), p);
    plait_item *it = &c->x->items.items[idx];
    it->target = xstrdup(base);
    it->trait_path = trait_path;
    free(it->visibility);
    it->visibility = xstrdup("private"); /* impls have no visibility of their own */

    TSNode body = field(n, "body");
    if (!ts_node_is_null(body)) {
        char *ipath = join(s->path, rt_last_segment(base));
        walk_inside(c, body, s, idx, ipath, trait_path ? ASSOC_TRAIT_IMPL : ASSOC_IMPL, 0, NULL);
        free(ipath);
    }
    free(base);
    free(ty);
    free(tyc);
    free(readable);
}

/* --- modules ---------------------------------------------------------------------------- */

static void do_mod(ctx *c, TSNode n, const scope *s, pending *p)
{
    TSNode body = field(n, "body");
    char *name = text(c, field(n, "name"));
    if (ts_node_is_null(body)) { /* `mod name;` mounts another file */
        plait_moddecl m = {0};
        m.name = name;
        m.path_attr = p->path_attr;
        p->path_attr = NULL;
        m.inline_dir = xstrdup(s->inline_dir);
        m.rel_path = join(s->module, name);
        m.parent = s->inline_parent;
        m.line = line_of(n, 0);
        m.visibility = visibility(c, n, s);
        m.doc = p->doc.len ? xstrdup(strbuf_str(&p->doc)) : NULL;
        m.cfg = p->cfg.len ? xstrdup(strbuf_str(&p->cfg)) : NULL;
        m.attrs = p->attrs.len ? xstrdup(strbuf_str(&p->attrs)) : NULL;
        uint32_t from = p->has && p->start < ts_node_start_byte(n) ? p->start : ts_node_start_byte(n);
        plait_hash_normalised(&m.hash, c->src + from, ts_node_end_byte(n) - from);
        PLAIT_VEC_PUSH(&c->x->mods, m);
        return;
    }
    /* inline module: `mod name { ... }`; a #[path] on it names its directory */
    char *dir_part = p->path_attr ? xstrdup(p->path_attr) : xstrdup(name);
    char *dir = *s->inline_dir ? xasprintf("%s/%s", s->inline_dir, dir_part) : xstrdup(dir_part);
    int idx = add_item(c, s, PLAIT_KIND_MODULE, n, name, join(s->path, name), join(s->key, name),
                       signature(c, n), p);
    walk_inside(c, body, s, idx, NULL, ASSOC_NONE, 0, dir);
    free(dir);
    free(dir_part);
}

/* --- dispatch ----------------------------------------------------------------------------- */

static void do_item(ctx *c, TSNode n, const scope *s, pending *p)
{
    const char *t = ts_node_type(n);
    if (!strcmp(t, "function_item") || !strcmp(t, "function_signature_item")) {
        int idx = add_named(c, s, s->assoc ? PLAIT_KIND_METHOD : PLAIT_KIND_FUNCTION, n, field(n, "name"), p);
        TSNode body = field(n, "body");
        if (!ts_node_is_null(body)) {
            size_t mark = c->locals.len;
            if (!c->no_refs) rx_bind_params(c, n);
            walk_inside(c, body, s, idx, NULL, ASSOC_NONE, 1, NULL);
            rx_unbind(c, mark);
        }
    } else if (!strcmp(t, "struct_item") || !strcmp(t, "union_item")) {
        int idx = add_named(c, s, t[0] == 's' ? PLAIT_KIND_STRUCT : PLAIT_KIND_UNION, n, field(n, "name"), p);
        TSNode body = field(n, "body");
        if (!ts_node_is_null(body)) {
            char *sp = xstrdup(c->x->items.items[idx].rel_path), *sk = xstrdup(c->x->items.items[idx].key_path);
            walk_fields(c, body, idx, sp, sk, s, NULL);
            free(sp);
            free(sk);
        }
    } else if (!strcmp(t, "enum_item")) {
        int idx = add_named(c, s, PLAIT_KIND_ENUM, n, field(n, "name"), p);
        TSNode body = field(n, "body");
        char *vis = xstrdup(c->x->items.items[idx].visibility);
        if (!ts_node_is_null(body)) walk_variants(c, body, idx, s, vis);
        free(vis);
    } else if (!strcmp(t, "trait_item")) {
        int idx = add_named(c, s, PLAIT_KIND_TRAIT, n, field(n, "name"), p);
        TSNode body = field(n, "body");
        if (!ts_node_is_null(body)) walk_inside(c, body, s, idx, NULL, ASSOC_TRAIT, 0, NULL);
    } else if (!strcmp(t, "impl_item")) {
        do_impl(c, n, s, p);
    } else if (!strcmp(t, "const_item")) {
        add_named(c, s, PLAIT_KIND_CONST, n, field(n, "name"), p);
    } else if (!strcmp(t, "static_item")) {
        add_named(c, s, PLAIT_KIND_STATIC, n, field(n, "name"), p);
    } else if (!strcmp(t, "type_item") || !strcmp(t, "associated_type")) {
        add_named(c, s, PLAIT_KIND_TYPE_ALIAS, n, field(n, "name"), p);
    } else if (!strcmp(t, "macro_definition")) {
        TSNode nm = field(n, "name");
        char *name = ts_node_is_null(nm) ? xstrdup("_") : text(c, nm);
        int idx = add_item(c, s, PLAIT_KIND_MACRO, n, name, join(s->path, name), join(s->key, name),
                           xasprintf("macro_rules! %s", name), p);
        plait_item *it = &c->x->items.items[idx];
        free(it->visibility); /* macro_rules! has no modifier: exported or local to the crate */
        it->visibility = xstrdup(it->macro_export ? "pub" : "pub(crate)");
    } else if (!strcmp(t, "mod_item")) {
        do_mod(c, n, s, p);
    } else if (!strcmp(t, "use_declaration")) {
        expand_use(c, s, n, field(n, "argument"), "", p, 0);
    } else if (!strcmp(t, "extern_crate_declaration")) {
        TSNode nm = field(n, "name"), al = field(n, "alias");
        char *target = ts_node_is_null(nm) ? xstrdup("_") : text(c, nm);
        char *alias = ts_node_is_null(al) ? NULL : text(c, al);
        char *written = alias ? xasprintf("extern crate %s as %s", target, alias) : xasprintf("extern crate %s", target);
        int idx = add_item(c, s, PLAIT_KIND_USE, n, xstrdup(alias ? alias : target), join(s->path, written),
                           join(s->key, written), xstrdup(written), p);
        c->x->items.items[idx].target = target;
        free(alias);
        free(written);
    } else if (!strcmp(t, "foreign_mod_item")) {
        TSNode body = field(n, "body");
        if (!ts_node_is_null(body)) walk(c, body, s); /* extern { fn f(); } items live in the module */
    }
}

static int is_item_type(const char *t)
{
    static const char *const items[] = {
        "function_item", "function_signature_item", "struct_item", "union_item", "enum_item", "trait_item",
        "impl_item", "const_item", "static_item", "type_item", "associated_type", "macro_definition",
        "mod_item", "use_declaration", "extern_crate_declaration", "foreign_mod_item", NULL};
    for (int i = 0; items[i]; i++)
        if (!strcmp(t, items[i])) return 1;
    return 0;
}

/* Inner docs and attributes (`//!`, `#![...]`) describe the enclosing module. */
static void take_inner(ctx *c, TSNode n, const scope *s)
{
    strbuf *doc = NULL, *attrs = NULL;
    strbuf d = {0}, a = {0};
    plait_item *mod = s->inline_parent >= 0 ? &c->x->items.items[s->inline_parent] : NULL;
    doc = &d;
    attrs = &a;
    if (is(n, "inner_attribute_item")) {
        char *t = text(c, n), *col = rt_collapse(t, strlen(t));
        strbuf_puts(attrs, col);
        free(t);
        free(col);
        read_attribute(c, n, doc, NULL, NULL, NULL);
    } else {
        strbuf_puts(doc, "");
        char *line = doc_text(c, n);
        strbuf_puts(doc, line);
        free(line);
    }
    char **dst_doc = mod ? &mod->doc : &c->x->inner_doc, **dst_attrs = mod ? &mod->attrs : &c->x->inner_attrs;
    if (d.len || is(n, "line_comment") || is(n, "block_comment")) {
        char *nd = *dst_doc ? xasprintf("%s\n%s", *dst_doc, strbuf_str(&d)) : xstrdup(strbuf_str(&d));
        free(*dst_doc);
        *dst_doc = nd;
    }
    if (a.len) {
        char *na = *dst_attrs ? xasprintf("%s\n%s", *dst_attrs, strbuf_str(&a)) : xstrdup(strbuf_str(&a));
        free(*dst_attrs);
        *dst_attrs = na;
    }
    strbuf_free(&d);
    strbuf_free(&a);
}

static void add_call(ctx *c, int caller, plait_call_kind kind, char *target, char *receiver, TSNode at)
{
    plait_call call = {caller, kind, target, receiver, ts_node_start_point(at).row + 1, ts_node_start_byte(at)};
    PLAIT_VEC_PUSH(&c->x->calls, call);
}

static void record_call(ctx *c, TSNode n, int caller);

/* Collects the calls of a subtree parsed from macro arguments; `shift` maps its byte offsets
 * back into the file.  Subtrees with syntax errors are skipped: only what parses counts. */
static void calls_in_tree(ctx *c, TSNode n, int caller, const char *text, size_t text_len, long shift, int depth)
{
    if (depth > 200 || ts_node_has_error(n)) {
        if (!ts_node_has_error(n) || depth > 200) return;
        uint32_t cnt = ts_node_named_child_count(n); /* errors elsewhere: keep the clean parts */
        for (uint32_t i = 0; i < cnt; i++) calls_in_tree(c, ts_node_named_child(n, i), caller, text, text_len, shift, depth + 1);
        return;
    }
    if (is(n, "call_expression") || is(n, "macro_invocation")) {
        ctx sub = *c; /* the node's offsets are into `text` */
        sub.src = text;
        sub.len = text_len;
        size_t before = c->x->calls.len;
        record_call(&sub, n, caller);
        c->macro_depth = sub.macro_depth;
        for (size_t i = before; i < c->x->calls.len; i++) {
            plait_call *k = &c->x->calls.items[i];
            if (k->line == 0) continue;
            k->byte = (uint32_t)((long)k->byte + shift);
            /* lines counted from the macro's own line, not from the top of the file */
            uint32_t line = c->macro_line;
            for (size_t b = c->macro_byte; b < k->byte && b < c->len; b++) line += c->src[b] == '\n';
            k->line = line;
        }
        if (is(n, "macro_invocation")) return; /* its own arguments were handled inside */
    }
    uint32_t cnt = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < cnt; i++) calls_in_tree(c, ts_node_named_child(n, i), caller, text, text_len, shift, depth + 1);
}

/* `println!("{}", f())`, `vec![a(), b()]`: the arguments are a token tree, not expressions, so
 * they are parsed again as the elements of a tuple inside a function body. */
static void calls_in_macro(ctx *c, TSNode n, int caller)
{
    TSNode tt = {0};
    for (uint32_t i = 0; i < ts_node_named_child_count(n); i++)
        if (is(ts_node_named_child(n, i), "token_tree")) tt = ts_node_named_child(n, i);
    if (ts_node_is_null(tt) || c->macro_depth >= 4) return;
    uint32_t a = ts_node_start_byte(tt) + 1, b = ts_node_end_byte(tt);
    if (b <= a) return;
    b--; /* drop the closing delimiter */
    TSNode mname = field(n, "macro");
    if (!ts_node_is_null(mname)) { /* matches!(e, Pattern): only e is an expression */
        char *raw = text(c, mname);
        const char *last = rt_last_segment(raw);
        int pattern_after = !strcmp(last, "matches") || !strcmp(last, "assert_matches") || !strcmp(last, "debug_assert_matches");
        free(raw);
        for (uint32_t i = a, depth = 0; pattern_after && i < b; i++) {
            char ch = c->src[i];
            if (ch == '(' || ch == '[' || ch == '{') depth++;
            else if ((ch == ')' || ch == ']' || ch == '}') && depth) depth--;
            else if (ch == ',' && !depth) {
                b = i;
                break;
            }
        }
    }
    /* A call needs `(` and a macro `!`: most token trees (`assert!(x == y)`, `vec![0; n]`,
     * format strings with plain arguments) have neither and are not parsed again. */
    if (!memchr(c->src + a, '(', b - a) && !memchr(c->src + a, '!', b - a)) return;
    static const char pre[] = "fn __plait_macro_args() { (", post[] = "); }";
    size_t n_in = b - a, len = sizeof pre - 1 + n_in + sizeof post - 1;
    char *text = xmalloc(len + 1);
    memcpy(text, pre, sizeof pre - 1);
    memcpy(text + sizeof pre - 1, c->src + a, n_in);
    memcpy(text + sizeof pre - 1 + n_in, post, sizeof post);
    TSTree *tree = ts_parser_parse_string(c->ts, NULL, text, (uint32_t)len);
    if (tree && c->macro_depth == 0) {
        c->macro_byte = ts_node_start_byte(n);
        c->macro_line = ts_node_start_point(n).row + 1;
    }
    if (tree) {
        c->macro_depth++;
        long shift = (long)a - (long)(sizeof pre - 1); /* file offset = tree offset + shift */
        TSNode root = ts_tree_root_node(tree);
        calls_in_tree(c, root, caller, text, len, shift, 0);
        c->macro_depth--;
        ts_tree_delete(tree);
    }
    free(text);
}

/* How a receiver or argument reads in a call's written form: `a.b.c` as written, anything
 * else "_" (the form must not hold ": " or parentheses). */
static char *receiver_label(ctx *c, TSNode e)
{
    while (is(e, "reference_expression") && !ts_node_is_null(field(e, "value"))) e = field(e, "value");
    uint32_t a = ts_node_start_byte(e), b = ts_node_end_byte(e);
    if (b - a > 48) return xstrdup("_");
    for (uint32_t i = a; i < b; i++) {
        char ch = c->src[i];
        if (!(ch == '.' || ch == '_' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return xstrdup("_");
    }
    return text(c, e);
}

/* std's traits whose methods are called by path with the receiver first (`Display::fmt(x, f)`,
 * `PartialEq::eq(a, b)`): which impl is called depends on that argument's type.  Other paths
 * keep their written form (`Error::new(..)` is what `callees` shows when it stays unresolved). */
static int receiver_first_trait(const char *name, size_t n)
{
    static const char *const traits[] = {
        "Display", "Debug", "LowerHex", "UpperHex", "Octal", "Binary", "LowerExp", "UpperExp", "Pointer",
        "Clone", "PartialEq", "Eq", "PartialOrd", "Ord", "Hash", "Iterator", "DoubleEndedIterator",
        "ExactSizeIterator", "IntoIterator", "Extend", "AsRef", "AsMut", "Borrow", "BorrowMut", "Deref",
        "DerefMut", "Drop", "ToString", "ToOwned", "Index", "IndexMut", "Add", "Sub", "Mul", "Div", "Rem",
        "Neg", "Not", "BitAnd", "BitOr", "BitXor", "Shl", "Shr", "AddAssign", "SubAssign", "MulAssign",
        "DivAssign", "RemAssign", "Write", "Read", "BufRead", "Seek", NULL};
    for (int i = 0; traits[i]; i++)
        if (strlen(traits[i]) == n && !strncmp(traits[i], name, n)) return 1;
    return 0;
}

/* `Display::fmt(tt, f)` carries what is known of its first argument's type,
 * "Display::fmt(tt: M)": the trait is outside the index (std not indexed), and the resolver
 * takes the impl of it for that type. */
static char *with_arg_marker(ctx *c, TSNode call, char *path, int caller)
{
    const char *last = rt_last_segment(path), *pen = last - 2;
    if (last - path < 3 || !strncmp(path, "Self::", 6)) return path;
    while (pen > path && !(pen[-1] == ':' && pen[-2] == ':')) pen--;
    if (!receiver_first_trait(pen, (size_t)(last - 2 - pen))) return path;
    TSNode args = field(call, "arguments"), a0 = {0};
    for (uint32_t i = 0; !ts_node_is_null(args) && i < ts_node_named_child_count(args) && ts_node_is_null(a0); i++) {
        TSNode ch = ts_node_named_child(args, i);
        if (!is(ch, "line_comment") && !is(ch, "block_comment") && !is(ch, "attribute_item")) a0 = ch;
    }
    char *m = ts_node_is_null(a0) ? NULL : rx_expr_marker(c, a0, c->generics.items[caller], 0);
    if (!m) return path;
    char *label = receiver_label(c, a0), *out = xasprintf("%s(%s: %s)", path, label, m);
    free(label);
    free(m);
    free(path);
    return out;
}

/* Call sites: `f()`, `a::b::f()`, `T::f()`, `<T as Tr>::f()`, `x.m()`, `name!(..)`.  Calls on
 * anything else (closures in variables, returned functions) have no name to resolve. */
static void record_call(ctx *c, TSNode n, int caller)
{
    const plait_item *it = &c->x->items.items[caller];
    if (it->kind != PLAIT_KIND_FUNCTION && it->kind != PLAIT_KIND_METHOD) return;
    if (is(n, "macro_invocation")) {
        TSNode m = field(n, "macro");
        if (!ts_node_is_null(m))
            add_call(c, caller, PLAIT_CALL_MACRO, rt_path(c->src + ts_node_start_byte(m), ts_node_end_byte(m) - ts_node_start_byte(m)), NULL, n);
        calls_in_macro(c, n, caller);
        return;
    }
    if (!is(n, "call_expression")) return;
    TSNode f = field(n, "function");
    if (!ts_node_is_null(f) && is(f, "generic_function")) f = field(f, "function"); /* f::<T>() */
    if (ts_node_is_null(f)) return;
    uint32_t a = ts_node_start_byte(f), b = ts_node_end_byte(f);
    if (is(f, "identifier") || is(f, "scoped_identifier")) {
        char *raw = rt_collapse(c->src + a, b - a), *path = rt_strip_generics(raw);
        if (strchr(raw, '<') && raw[0] == '<') { /* <T as Trait>::m keeps its qualified self type */
            free(path);
            path = raw;
            raw = NULL;
        }
        free(raw);
        if (path[0] != '<') path = with_arg_marker(c, n, path, caller);
        add_call(c, caller, PLAIT_CALL_PATH, path, NULL, n);
    } else if (is(f, "field_expression")) {
        TSNode name = field(f, "field"), recv = field(f, "value");
        if (ts_node_is_null(name) || !is(name, "field_identifier") || ts_node_is_null(recv)) return;
        char *receiver = NULL, *chained = NULL;
        const char *rt = NULL;
        TSNode base = is(recv, "field_expression") ? field(recv, "value") : (TSNode){0};
        if (is(recv, "self") || is(recv, "identifier")) {
            receiver = text(c, recv);
            if (is(recv, "identifier")) rt = rx_local(c, receiver);
        } else if (!ts_node_is_null(base) && is(base, "self")) { /* self.field.m(): the field's declared type */
            TSNode fname = field(recv, "field");
            receiver = xasprintf("self.%.*s", (int)(ts_node_end_byte(fname) - ts_node_start_byte(fname)),
                                 c->src + ts_node_start_byte(fname));
        } else if ((chained = rx_expr_marker(c, recv, c->generics.items[caller], 0))) { /* a.f.m(), f()?.m() */
            receiver = receiver_label(c, recv);
            rt = chained;
        }
        char pad[80];
        snprintf(pad, sizeof pad, " %s ", rt ? rt : "");
        char *bound = NULL;
        if (rt && strstr(c->generics.items[caller], pad)) { /* a type parameter: its bounds decide */
            bound = bounds_of(c->bounds.items[caller], rt);
            rt = NULL;
        }
        if (rt || bound) { /* "(x: Type)" / "(x: ^Tr1+Tr2)" tells the resolver where to look */
            char *typed = rt ? xasprintf("(%s: %s)", receiver, rt) : xasprintf("(%s: ^%s)", receiver, bound);
            free(receiver);
            receiver = typed;
        }
        free(bound);
        free(chained);
        add_call(c, caller, PLAIT_CALL_METHOD,
                 xstrndup(c->src + ts_node_start_byte(name), ts_node_end_byte(name) - ts_node_start_byte(name)), receiver, n);
    }
}

/* Items written inside an item-position macro (`ast_struct! { pub struct A { .. } }`,
 * `thread_local! { static X: .. }`, `bitflags! { .. }`): its token tree is parsed as a file
 * and walked in place, so what parses becomes items of this scope with their real lines. */
static void items_in_macro(ctx *c, TSNode n, const scope *s)
{
    TSNode tt = {0};
    for (uint32_t i = 0; i < ts_node_named_child_count(n); i++)
        if (is(ts_node_named_child(n, i), "token_tree")) tt = ts_node_named_child(n, i);
    if (ts_node_is_null(tt) || c->item_macro_depth >= 2) return;
    uint32_t a = ts_node_start_byte(tt) + 1, b = ts_node_end_byte(tt);
    if (b <= a + 1) return;
    b--;
    TSTree *tree = ts_parser_parse_string(c->ts, NULL, c->src + a, b - a);
    if (!tree) return;
    size_t items0 = c->x->items.len, calls0 = c->x->calls.len, refs0 = c->x->typerefs.len;
    const char *src = c->src;
    size_t len = c->len;
    uint32_t row0 = ts_node_start_point(tt).row; /* the content starts on the delimiter's line */
    c->src += a;
    c->len = b - a;
    c->item_macro_depth++;
    walk(c, ts_tree_root_node(tree), s);
    c->item_macro_depth--;
    c->src = src;
    c->len = len;
    ts_tree_delete(tree);
    for (size_t i = items0; i < c->x->items.len; i++) {
        plait_item *it = &c->x->items.items[i];
        it->byte_start += a, it->byte_end += a, it->line_start += row0, it->line_end += row0;
    }
    for (size_t i = calls0; i < c->x->calls.len; i++) c->x->calls.items[i].line += row0, c->x->calls.items[i].byte += a;
    for (size_t i = refs0; i < c->x->typerefs.len; i++) c->x->typerefs.items[i].line += row0;
}

static void walk(ctx *c, TSNode container, const scope *s)
{
    if (s->depth > MAX_DEPTH) {
        if (!c->deep_reported)
            plait_extract_diag(c->x, PLAIT_DIAG_WARNING, ts_node_start_point(container).row + 1, "too-deep",
                               "code nested deeper than %d levels; items inside it are not extracted", MAX_DEPTH);
        c->deep_reported = 1;
        return;
    }
    scope inner = *s;
    inner.depth = s->depth + 1;
    pending p = {0};
    /* names bound in a body end with the node that binds them (a block, an arm, a loop); a
     * let chain's conditions bind for the `if` around them */
    int bodies = s->in_body && s->parent >= 0 && !c->no_refs;
    size_t mark = c->locals.len;
    char *scrutinee = c->scrutinee;
    TSNode scrutinee_expr = c->scrutinee_expr;
    TSTreeCursor cur = ts_tree_cursor_new(container);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (!ts_node_is_named(ch)) continue;
            const char *t = ts_node_type(ch);
            if (is(ch, "inner_attribute_item") ||
                ((is(ch, "line_comment") || is(ch, "block_comment")) && doc_kind(ch) == 2)) {
                if (!s->in_body) take_inner(c, ch, s);
                continue;
            }
            if (take_pending(c, ch, &p)) continue;
            if (is_item_type(t)) {
                do_item(c, ch, &inner, &p);
            } else if (!s->in_body && is(ch, "macro_invocation")) {
                items_in_macro(c, ch, s);
            } else if (s->in_body || ts_node_has_error(ch) || ts_node_is_error(ch)) {
                if (bodies) {
                    rx_before_child(c, container, ch, mark, s->generics);
                    record_call(c, ch, s->parent);
                    if (is(ch, "let_declaration") || is(ch, "type_cast_expression"))
                        collect_types(c, field(ch, "type"), s->parent, s->generics, 0);
                }
                if (ts_node_child_count(ch) > 0) walk(c, ch, &inner);
                if (bodies) { /* a let's names start after its initialiser */
                    if (is(ch, "let_declaration")) rx_bind_let(c, ch, s->generics);
                    rx_after_child(c, container, ch, s->generics);
                }
            }
            pending_reset(&p);
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    pending_free(&p);
    if (c->scrutinee != scrutinee) { /* this node was a match: its arms are done */
        free(c->scrutinee);
        c->scrutinee = scrutinee;
        c->scrutinee_expr = scrutinee_expr;
    }
    if (bodies && !is(container, "let_chain")) rx_unbind(c, mark);
}

/* --- entry points ------------------------------------------------------------------------ */

plait_rust_parser *plait_rust_parser_new(void)
{
    plait_rust_parser *p = xcalloc(1, sizeof *p);
    p->ts = ts_parser_new();
    if (!ts_parser_set_language(p->ts, tree_sitter_rust())) {
        ts_parser_delete(p->ts);
        free(p);
        plait_error_set(PLAIT_ERR, "tree-sitter-rust grammar ABI is not supported by this tree-sitter runtime");
        return NULL;
    }
    return p;
}

void plait_rust_parser_set_refs(plait_rust_parser *p, int on) { p->no_refs = !on; }

void plait_rust_parser_free(plait_rust_parser *p)
{
    if (!p) return;
    ts_parser_delete(p->ts);
    free(p);
}

/* Counts ERROR and MISSING nodes, descending only into subtrees that contain one. */
static void count_errors(ctx *c, TSNode root)
{
    TSTreeCursor cur = ts_tree_cursor_new(root);
    uint32_t first_line = 0;
    int n = 0;
    for (;;) {
        TSNode node = ts_tree_cursor_current_node(&cur);
        if (ts_node_is_error(node) || ts_node_is_missing(node)) {
            if (!n) first_line = ts_node_start_point(node).row + 1;
            n++;
        }
        if (ts_node_has_error(node) && !ts_node_is_error(node) && ts_tree_cursor_goto_first_child(&cur)) continue;
        while (!ts_tree_cursor_goto_next_sibling(&cur))
            if (!ts_tree_cursor_goto_parent(&cur)) goto done;
    }
done:
    ts_tree_cursor_delete(&cur);
    c->x->syntax_errors = n;
    if (n)
        plait_extract_diag(c->x, PLAIT_DIAG_WARNING, first_line, "syntax",
                           "%d syntax error%s, the first at line %u; the parser recovered and the items around them "
                           "are indexed", n, n == 1 ? "" : "s", first_line);
}

static void assign_disambiguators(plait_extract *x)
{
    plait_strmap seen;
    plait_strmap_init(&seen);
    for (size_t i = 0; i < x->items.len; i++) {
        plait_item *it = &x->items.items[i];
        char *k = xasprintf("%s\x1f%d\x1f%s", it->key_path, (int)it->kind, it->cfg ? it->cfg : "");
        intptr_t n = (intptr_t)plait_strmap_get(&seen, k);
        it->disamb = (int)n;
        plait_strmap_put(&seen, k, (void *)(n + 1));
        free(k);
    }
    plait_strmap_free(&seen);
}

int plait_rust_extract(plait_rust_parser *p, const char *src, size_t len, plait_extract *out)
{
    if (len > UINT32_MAX) return plait_error_set(PLAIT_EINVALID, "file too large for the parser (%zu bytes)", len);
    TSTree *tree = ts_parser_parse_string(p->ts, NULL, src, (uint32_t)len);
    if (!tree) return plait_error_set(PLAIT_ERR, "tree-sitter failed to parse");
    ctx c = {src, len, out, 0, p->ts, 0, 0, 0, {0}, {0}, {0}, p->no_refs, 0, NULL, (TSNode){{0}, 0, 0}};
    scope root = {.parent = -1, .path = "", .key = "", .module = "", .inline_dir = "", .inline_parent = -1, .generics = " ",
                  .bounds = " "};
    TSNode rn = ts_tree_root_node(tree);
    walk(&c, rn, &root);
    if (ts_node_has_error(rn)) count_errors(&c, rn);
    assign_disambiguators(out);
    for (size_t i = 0; i < c.generics.len; i++) free(c.generics.items[i]);
    PLAIT_VEC_FREE(&c.generics);
    for (size_t i = 0; i < c.bounds.len; i++) free(c.bounds.items[i]);
    PLAIT_VEC_FREE(&c.bounds);
    rx_unbind(&c, 0);
    PLAIT_VEC_FREE(&c.locals);
    uint32_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += src[i] == '\n';
    out->n_lines = lines + (len && src[len - 1] != '\n');
    ts_tree_delete(tree);
    return PLAIT_OK;
}
