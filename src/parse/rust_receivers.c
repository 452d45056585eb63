/*
 * rust_receivers.c - what a function body says about the type of a name, for method calls.
 *
 * Names are bound as the body walk meets them (rust_extract.c calls the hooks): parameters,
 * `let` (after its initialiser), the patterns of `match` arms, `if let` / `while let`, `for`
 * loops and closure parameters; a binding lives until the end of the block (arm, branch, loop
 * body) that introduced it.  A name bound with nothing known is bound all the same, so it
 * hides an outer binding of that name instead of lending it a wrong type.
 *
 * What is known is a marker (resolve_calls.c interprets it and documents the forms): a type
 * as written, "=f" a call's declared result, "@M.m" a method's, "?M" an Option/Result payload,
 * "#i:M" a tuple element, "$f:M" a field, "%f:P" a field of the struct or variant a pattern
 * names.  Only types written down somewhere are used: a pattern over a declared type, never a
 * guess from how a value is used.  Each binding costs one marker string; nothing here walks
 * more than the nodes the body walk visits anyway (markers nest at most a few levels).
 */
#include "parse/rust_internal.h"
#include "parse/rust_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MARKER_DEPTH 5

char *rx_type_base(ctx *c, TSNode t)
{
    for (int guard = 0; guard < 16 && !ts_node_is_null(t); guard++) {
        if (rx_is(t, "reference_type") || rx_is(t, "pointer_type")) t = rx_field(t, "type");
        else if (rx_is(t, "generic_type")) t = rx_field(t, "type");
        else break;
    }
    if (ts_node_is_null(t)) return xstrdup("_");
    char *raw = rx_text(c, t), *s = rt_strip_generics(raw);
    free(raw);
    return s;
}

static char *type_full(ctx *c, TSNode t)
{
    char *raw = rx_text(c, t), *col = rt_collapse(raw, strlen(raw));
    free(raw);
    return col;
}

static const struct local *find_local(ctx *c, const char *name)
{
    for (size_t i = c->locals.len; i-- > 0;)
        if (!strcmp(c->locals.items[i].name, name)) return &c->locals.items[i];
    return NULL;
}

const char *rx_local(ctx *c, const char *name)
{
    const struct local *l = find_local(c, name);
    return l && l->type[0] ? l->type : NULL;
}

/* Binds identifier node `id`; `type` and `full` are taken over (NULL: nothing known). */
static void bind(ctx *c, TSNode id, char *type, char *full)
{
    if (type && (!*type || type[0] == '_')) { /* `_` as a type says nothing */
        free(type);
        type = NULL;
    }
    struct local l = {rx_text(c, id), type ? type : xstrdup(""), type ? full : NULL};
    if (!type) free(full);
    PLAIT_VEC_PUSH(&c->locals, l);
}

void rx_unbind(ctx *c, size_t mark)
{
    while (c->locals.len > mark) {
        struct local *l = &c->locals.items[--c->locals.len];
        free(l->name);
        free(l->type);
        free(l->full);
    }
}

static TSNode unwrap_mut(TSNode p)
{
    if (!ts_node_is_null(p) && rx_is(p, "mut_pattern") && ts_node_named_child_count(p))
        p = ts_node_named_child(p, ts_node_named_child_count(p) - 1);
    return p;
}

static int is_generic(const char *generics, const char *type)
{
    char pad[96];
    snprintf(pad, sizeof pad, " %s ", type);
    return generics && strlen(type) < 80 && strstr(generics, pad);
}

/* A call's result (`a.b().c()`, `f().m()`): "=path" for a function (for T::f the resolver
 * falls back to T), "S" for a tuple struct's constructor, "@M.m" for a method of a receiver
 * whose marker is M. */
static char *call_marker(ctx *c, TSNode e, const char *generics, int depth)
{
    TSNode f = rx_field(e, "function");
    if (!ts_node_is_null(f) && rx_is(f, "generic_function")) f = rx_field(f, "function");
    if (ts_node_is_null(f)) return NULL;
    if (rx_is(f, "identifier") || rx_is(f, "scoped_identifier")) {
        char *raw = rx_text(c, f), *callee = rt_strip_generics(raw), *out = NULL;
        free(raw);
        const char *last = rt_last_segment(callee), *pen = last > callee + 2 ? last - 2 : callee;
        while (pen > callee && !(pen[-1] == ':' && pen[-2] == ':')) pen--;
        /* a function's result; a tuple struct `S(..)` makes an S (exact); `Enum::Variant(..)`
         * does not name its type where plait could read it */
        if ((*last >= 'a' && *last <= 'z') || *last == '_') out = xasprintf("=%s", callee);
        else if (!(last > callee && *pen >= 'A' && *pen <= 'Z')) out = xstrdup(callee);
        free(callee);
        return out;
    }
    if (!rx_is(f, "field_expression")) return NULL;
    TSNode recv = rx_field(f, "value"), m = rx_field(f, "field");
    if (ts_node_is_null(recv) || ts_node_is_null(m)) return NULL;
    char *inner = rx_expr_marker(c, recv, generics, depth + 1);
    if (!inner) return NULL;
    char *mn = rx_text(c, m), *out = xasprintf("@%s.%s", inner, mn);
    free(mn);
    free(inner);
    return out;
}

/* A name's marker for projections: its written type when it has one, else its marker. */
static char *name_marker(ctx *c, TSNode id, const char *generics)
{
    char *name = rx_text(c, id);
    const struct local *l = find_local(c, name);
    free(name);
    if (!l || !l->type[0] || l->type[0] == '^' || is_generic(generics, l->type)) return NULL;
    return xstrdup(l->full ? l->full : l->type);
}

char *rx_expr_marker(ctx *c, TSNode e, const char *generics, int depth)
{
    if (ts_node_is_null(e) || depth > MAX_MARKER_DEPTH) return NULL;
    if (rx_is(e, "identifier")) return name_marker(c, e, generics);
    if (rx_is(e, "self")) return xstrdup("Self");
    if (rx_is(e, "call_expression")) return call_marker(c, e, generics, depth);
    if (rx_is(e, "struct_expression")) { /* T { .. }: exactly a T */
        TSNode nm = rx_field(e, "name");
        char *raw = ts_node_is_null(nm) ? NULL : rx_text(c, nm), *out = raw ? rt_strip_generics(raw) : NULL;
        free(raw);
        return out;
    }
    if (rx_is(e, "reference_expression")) return rx_expr_marker(c, rx_field(e, "value"), generics, depth + 1);
    if (rx_is(e, "parenthesized_expression") ||
        (rx_is(e, "unary_expression") && c->src[ts_node_start_byte(e)] == '*')) /* *x: refs are seen through */
        return ts_node_named_child_count(e) ? rx_expr_marker(c, ts_node_named_child(e, 0), generics, depth + 1) : NULL;
    char *inner = NULL, *out = NULL;
    if (rx_is(e, "try_expression") && ts_node_named_child_count(e)) { /* x?: the Ok / Some payload */
        inner = rx_expr_marker(c, ts_node_named_child(e, 0), generics, depth + 1);
        out = inner ? xasprintf("?%s", inner) : NULL;
    } else if (rx_is(e, "field_expression")) { /* x.f, x.0 */
        TSNode f = rx_field(e, "field");
        inner = ts_node_is_null(f) ? NULL : rx_expr_marker(c, rx_field(e, "value"), generics, depth + 1);
        if (inner) {
            char *fn = rx_text(c, f);
            out = rx_is(f, "integer_literal") ? xasprintf("#%s:%s", fn, inner) : xasprintf("$%s:%s", fn, inner);
            free(fn);
        }
    }
    free(inner);
    return out;
}

static void bind_pattern(ctx *c, TSNode p, const char *m, TSNode scrut, const char *generics, int depth);

/* An element of a tuple or tuple-struct pattern: a named pattern or `_` (which tree-sitter
 * leaves unnamed), not punctuation or a comment. */
static int is_element(TSNode ch)
{
    if (!ts_node_is_named(ch)) return rx_is(ch, "_");
    return !rx_is(ch, "line_comment") && !rx_is(ch, "block_comment");
}

/* `(a, b)` over a tuple type, or over a tuple expression `match (x, y)` (each element its own). */
static void bind_tuple(ctx *c, TSNode p, const char *m, TSNode scrut, const char *generics, int depth)
{
    int exprs = !ts_node_is_null(scrut) && rx_is(scrut, "tuple_expression"), rest = 0, i = 0;
    for (uint32_t k = 0; k < ts_node_child_count(p); k++) {
        TSNode ch = ts_node_child(p, k), se = {0};
        if (!is_element(ch)) continue;
        if (rx_is(ch, "remaining_field_pattern")) {
            rest = 1; /* positions after `..` count from the end */
            continue;
        }
        char *em = NULL;
        if (!rest && exprs && (uint32_t)i < ts_node_named_child_count(scrut)) {
            se = ts_node_named_child(scrut, (uint32_t)i);
            em = rx_expr_marker(c, se, generics, 0);
        } else if (!rest && m) {
            em = xasprintf("#%d:%s", i, m);
        }
        bind_pattern(c, ch, em, se, generics, depth + 1);
        free(em);
        i++;
    }
}

/* `P(a, b)` binds a to field 0 of the variant or tuple struct P; `Some(x)` / `Ok(x)` bind x
 * to the payload of the scrutinee's Option / Result. */
static void bind_tuple_struct(ctx *c, TSNode p, const char *m, const char *generics, int depth)
{
    TSNode ty = rx_field(p, "type");
    if (ts_node_is_null(ty)) return;
    char *raw = rx_text(c, ty), *path = rt_strip_generics(raw);
    free(raw);
    int wrap = !strcmp(path, "Some") || !strcmp(path, "Ok") || !strcmp(path, "Option::Some") ||
               !strcmp(path, "Result::Ok");
    int unknown = !strcmp(path, "Err") || !strcmp(path, "Result::Err"), rest = 0, i = 0;
    for (uint32_t k = 0; k < ts_node_child_count(p); k++) {
        TSNode ch = ts_node_child(p, k);
        if (ts_node_eq(ch, ty) || !is_element(ch)) continue;
        if (rx_is(ch, "remaining_field_pattern")) {
            rest = 1;
            continue;
        }
        char *em = NULL;
        if (wrap && m && i == 0) em = xasprintf("?%s", m);
        else if (!wrap && !unknown && !rest) em = xasprintf("%%%d:%s", i, path);
        bind_pattern(c, ch, em, (TSNode){0}, generics, depth + 1);
        free(em);
        i++;
    }
    free(path);
}

/* `S { f, g: pat, .. }` binds f to field f of S (a struct or a variant), pat to field g. */
static void bind_struct(ctx *c, TSNode p, const char *generics, int depth)
{
    TSNode ty = rx_field(p, "type");
    if (ts_node_is_null(ty)) return;
    char *raw = rx_text(c, ty), *path = rt_strip_generics(raw);
    free(raw);
    for (uint32_t k = 0; k < ts_node_named_child_count(p); k++) {
        TSNode fp = ts_node_named_child(p, k), name = rx_field(fp, "name"), pat = rx_field(fp, "pattern");
        if (!rx_is(fp, "field_pattern") || ts_node_is_null(name)) continue;
        char *fname = rx_text(c, name), *em = xasprintf("%%%s:%s", fname, path);
        if (ts_node_is_null(pat)) {
            bind(c, name, em, NULL);
        } else {
            bind_pattern(c, pat, em, (TSNode){0}, generics, depth + 1);
            free(em);
        }
        free(fname);
    }
    free(path);
}

/* Binds the names pattern p introduces over a value whose marker is m (NULL: unknown) and,
 * when it is at hand, whose expression is scrut. */
static void bind_pattern(ctx *c, TSNode p, const char *m, TSNode scrut, const char *generics, int depth)
{
    if (ts_node_is_null(p) || depth > 12) return;
    if (rx_is(p, "identifier")) {
        bind(c, p, m ? xstrdup(m) : NULL, NULL);
    } else if (rx_is(p, "match_pattern")) { /* the pattern, then a guard */
        if (ts_node_named_child_count(p)) bind_pattern(c, ts_node_named_child(p, 0), m, scrut, generics, depth + 1);
    } else if (rx_is(p, "mut_pattern") || rx_is(p, "ref_pattern") || rx_is(p, "reference_pattern")) {
        uint32_t n = ts_node_named_child_count(p);
        if (n) bind_pattern(c, ts_node_named_child(p, n - 1), m, scrut, generics, depth + 1);
    } else if (rx_is(p, "captured_pattern") || rx_is(p, "or_pattern")) { /* x @ P; A(x) | B(x) */
        for (uint32_t k = 0; k < ts_node_named_child_count(p); k++)
            bind_pattern(c, ts_node_named_child(p, k), m, scrut, generics, depth + 1);
    } else if (rx_is(p, "tuple_pattern")) {
        bind_tuple(c, p, m, scrut, generics, depth);
    } else if (rx_is(p, "tuple_struct_pattern")) {
        bind_tuple_struct(c, p, m, generics, depth);
    } else if (rx_is(p, "struct_pattern")) {
        bind_struct(c, p, generics, depth);
    } else if (rx_is(p, "slice_pattern")) { /* element types are not followed: hide the names */
        for (uint32_t k = 0; k < ts_node_named_child_count(p); k++)
            bind_pattern(c, ts_node_named_child(p, k), NULL, (TSNode){0}, generics, depth + 1);
    }
}

/* A parameter (of a function or a closure): `x: T` binds x to T, a pattern is bound over T as
 * written; an untyped closure parameter hides outer names. */
static void bind_param(ctx *c, TSNode p, const char *generics)
{
    int typed = rx_is(p, "parameter"); /* a closure's may be a bare pattern */
    TSNode t = typed ? rx_field(p, "type") : (TSNode){0}, pat = typed ? rx_field(p, "pattern") : p;
    TSNode id = unwrap_mut(pat);
    if (ts_node_is_null(t)) {
        bind_pattern(c, pat, NULL, (TSNode){0}, generics, 0);
    } else if (!ts_node_is_null(id) && rx_is(id, "identifier")) {
        bind(c, id, rx_type_base(c, t), type_full(c, t));
    } else {
        char *full = type_full(c, t);
        bind_pattern(c, pat, full, (TSNode){0}, generics, 0);
        free(full);
    }
}

void rx_bind_params(ctx *c, TSNode fn)
{
    TSNode ps = rx_field(fn, "parameters");
    uint32_t cnt = ts_node_is_null(ps) ? 0 : ts_node_named_child_count(ps);
    for (uint32_t i = 0; i < cnt; i++) {
        TSNode p = ts_node_named_child(ps, i);
        if (rx_is(p, "parameter") && !ts_node_is_null(rx_field(p, "type"))) bind_param(c, p, NULL);
    }
}

/* An arm that yields no value: `return`, `continue`, `break`, `panic!(..)`, or a block that
 * ends in one of them. */
static int diverges(ctx *c, TSNode v, int depth)
{
    if (ts_node_is_null(v) || depth > 4) return 0;
    if (rx_is(v, "return_expression") || rx_is(v, "continue_expression") || rx_is(v, "break_expression")) return 1;
    if (rx_is(v, "expression_statement") && ts_node_named_child_count(v))
        return diverges(c, ts_node_named_child(v, 0), depth + 1);
    if (rx_is(v, "block") && ts_node_named_child_count(v))
        return diverges(c, ts_node_named_child(v, ts_node_named_child_count(v) - 1), depth + 1);
    if (!rx_is(v, "macro_invocation") || ts_node_is_null(rx_field(v, "macro"))) return 0;
    char *raw = rx_text(c, rx_field(v, "macro"));
    const char *m = rt_last_segment(raw);
    int d = !strcmp(m, "panic") || !strcmp(m, "unreachable") || !strcmp(m, "todo") || !strcmp(m, "unimplemented");
    free(raw);
    return d;
}

/* `let x = match e { P(v) => v, _ => return }`: the marker that every arm yielding a value
 * agrees on, each arm's value read with that arm's names bound; NULL if they differ. */
static char *match_marker(ctx *c, TSNode m, const char *generics)
{
    TSNode scrut = rx_field(m, "value"), body = rx_field(m, "body");
    char *sm = rx_expr_marker(c, scrut, generics, 0), *out = NULL;
    int agree = 1;
    for (uint32_t k = 0; agree && !ts_node_is_null(body) && k < ts_node_named_child_count(body); k++) {
        TSNode arm = ts_node_named_child(body, k), val = rx_field(arm, "value");
        if (!rx_is(arm, "match_arm") || diverges(c, val, 0)) continue;
        size_t mark = c->locals.len;
        bind_pattern(c, rx_field(arm, "pattern"), sm, scrut, generics, 0);
        char *em = rx_expr_marker(c, val, generics, 0);
        rx_unbind(c, mark);
        agree = em && (!out || !strcmp(out, em));
        if (!out) out = em;
        else free(em);
    }
    free(sm);
    if (!agree) {
        free(out);
        out = NULL;
    }
    return out;
}

void rx_bind_let(ctx *c, TSNode let, const char *generics)
{
    TSNode t = rx_field(let, "type"), v = rx_field(let, "value"), pat = rx_field(let, "pattern");
    TSNode id = unwrap_mut(pat);
    if (ts_node_is_null(pat)) return;
    if (!ts_node_is_null(t)) { /* let x: T */
        if (!ts_node_is_null(id) && rx_is(id, "identifier")) {
            bind(c, id, rx_type_base(c, t), type_full(c, t));
        } else {
            char *full = type_full(c, t);
            bind_pattern(c, pat, full, (TSNode){0}, generics, 0);
            free(full);
        }
        return;
    }
    if (!ts_node_is_null(v) && rx_is(v, "identifier") && !ts_node_is_null(id) && rx_is(id, "identifier")) {
        char *name = rx_text(c, v); /* let y = x: x's binding, bounds included */
        const struct local *l = find_local(c, name);
        free(name);
        bind(c, id, l && l->type[0] ? xstrdup(l->type) : NULL, l && l->full ? xstrdup(l->full) : NULL);
        return;
    }
    char *m = ts_node_is_null(v)                ? NULL
              : rx_is(v, "match_expression") ? match_marker(c, v, generics)
                                             : rx_expr_marker(c, v, generics, 0);
    bind_pattern(c, pat, m, v, generics, 0);
    free(m);
}

void rx_before_child(ctx *c, TSNode container, TSNode ch, size_t mark, const char *generics)
{
    const char *ct = ts_node_type(container);
    if (!strcmp(ct, "match_arm")) {
        if (rx_is(ch, "match_pattern")) bind_pattern(c, ch, c->scrutinee, c->scrutinee_expr, generics, 0);
    } else if (!strcmp(ct, "match_expression")) {
        if (rx_is(ch, "match_block")) { /* rust_extract.c's walk restores the outer one after */
            TSNode v = rx_field(container, "value");
            c->scrutinee = rx_expr_marker(c, v, generics, 0);
            c->scrutinee_expr = v;
        }
    } else if (!strcmp(ct, "if_expression")) {
        if (rx_is(ch, "else_clause")) rx_unbind(c, mark); /* `if let` names end at `else` */
    } else if (!strcmp(ct, "for_expression")) {
        TSNode body = rx_field(container, "body");
        if (ts_node_eq(ch, body)) bind_pattern(c, rx_field(container, "pattern"), NULL, (TSNode){0}, generics, 0);
    } else if (!strcmp(ct, "closure_expression")) {
        if (!rx_is(ch, "closure_parameters")) return;
        for (uint32_t k = 0; k < ts_node_named_child_count(ch); k++) bind_param(c, ts_node_named_child(ch, k), generics);
    }
}

void rx_after_child(ctx *c, TSNode container, TSNode ch, const char *generics)
{
    (void)container;
    if (!rx_is(ch, "let_condition")) return; /* if let / while let, in a chain or alone */
    TSNode v = rx_field(ch, "value");
    char *m = rx_expr_marker(c, v, generics, 0);
    bind_pattern(c, rx_field(ch, "pattern"), m, v, generics, 0);
    free(m);
}
