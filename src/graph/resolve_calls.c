/*
 * resolve_calls.c - answers `calls` edges (see resolve.c for names and paths).
 *
 * The written form of a call site (graph/build.c) says how to look:
 *   "name!"            a macro_rules! of that name: the caller's crate first, then any crate
 *   "a::b::f", "f"     a path in the value namespace; failing that, `Type::assoc` through the
 *                      methods of the type's impls and of the traits it implements
 *   "Self::f"          the same from the enclosing impl's self type (or trait)
 *   "<T as Tr>::f"     the method of trait Tr
 *   "self.m"           methods of the enclosing impl's self type, then of its traits
 *   "(x: T).m"         methods of T, the type x was bound with (parameter, `let` annotation,
 *                      `T { .. }`: exact), through aliases; "(x: ~T)" `T::f(..)` initialiser
 *                      and "(x: =f)" f's return type (inferred); "(x: ^Tr1+Tr2)" a type
 *                      parameter: the methods of its bounding traits (exact)
 *   "self.f.m"         methods of field f's declared type
 *   "Tr::m(x: M)"      a path call whose first argument's type marker M is known: when Tr is
 *                      outside the index (std's Display, Debug), m of the impl of a trait named
 *                      Tr for that type (`Display::fmt(tt, f)` inside `TokenTree::Group(tt) =>`)
 *   "x.m", ".m"        any receiver whose type is not known: methods named m anywhere,
 *                      `ambiguous`, given up past 8 candidates
 * Receiver markers, nested from the left (rust_extract.c writes them):
 *   "T"  a type as written       "~T" a `T::f(..)` initialiser (inferred)
 *   "=f" f's declared return type "@M.m" method m's declared return type on M's type
 *   "^Tr1+Tr2" a type parameter's bounds
 *   "?M" the payload of M's Option<T> / Result<T, _> (`x?`, `Some(x)`, `Ok(x)`; std's only)
 *   "#i:M" element i of M's tuple type (`let (rest, x) = f()?`), through type aliases
 *   "$f:M" field f's declared type on M's type (`self.inner.m()`, `x.f.m()`)
 *   "%f:P" field f (a name or a position) of the struct or variant P a pattern names
 *          (`TokenTree::Group(g)`, `S { f, .. }`): P outside the index leaves it unresolved
 * Projections work on the written type, in the scope that wrote it (a field's in its struct's
 * module, a return type in its function's), so `Group` in a variant of lib.rs is lib.rs's.
 * A unique answer by a path or a written-down receiver type is `exact`; one through an
 * initialiser's type `inferred`; one by name alone `ambiguous`.  A receiver whose type is
 * known but not in the index (std's Vec, a dependency's type) is left unresolved rather than
 * answered by name.
 */
#include "graph/resolve_internal.h"

#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 8

static const strvec *lookup(const plait_strmap *m, const char *a, const char *b)
{
    char *k = rv_join(a, "\x1f", b);
    const strvec *v = plait_strmap_get(m, k);
    free(k);
    return v;
}

/* Picks the first candidate; several make the answer ambiguous unless they are one item's
 * cfg'd copies (`#[cfg(unix)] fn f` and `#[cfg(not(unix))] fn f`: the same path). */
static int take(resolver *r, const strvec *v, char dst[PLAIT_KEY_LEN], const char **conf, const char *unique)
{
    if (!v || !v->len) return 0;
    memcpy(dst, v->items[0], PLAIT_KEY_LEN);
    *conf = unique;
    const node_info *first = plait_strmap_get(&r->info, v->items[0]);
    for (size_t i = 1; i < v->len; i++) {
        const node_info *ni = plait_strmap_get(&r->info, v->items[i]);
        if (!first || !ni || strcmp(first->path, ni->path) != 0) *conf = "ambiguous";
    }
    return 1;
}

/* A method named `name` of type key `ty`: its impls first, then its traits' declarations. */
static int method_of_type(resolver *r, const char *ty, const char *name, char dst[PLAIT_KEY_LEN], const char **conf,
                          const char *unique)
{
    if (take(r, lookup(&r->type_methods, ty, name), dst, conf, unique)) return 1;
    const strvec *traits = plait_strmap_get(&r->type_traits, ty);
    for (size_t i = 0; traits && i < traits->len; i++)
        if (take(r, lookup(&r->trait_methods, traits->items[i], name), dst, conf, unique)) return 1;
    if (take(r, lookup(&r->trait_methods, ty, name), dst, conf, unique)) return 1; /* ty is a trait */
    return 0;
}

/* The self type of the impl (or the trait) a method is written in; NULL for free functions. */
static const char *self_type(resolver *r, const char *caller)
{
    const node_info *ni = plait_strmap_get(&r->info, caller);
    if (!ni || !ni->parent) return NULL;
    const char *ty = plait_strmap_get(&r->impl_type, ni->parent);
    if (ty) return ty;
    const node_info *par = plait_strmap_get(&r->info, ni->parent);
    return par && !strcmp(par->kind, "trait") ? ni->parent : NULL;
}

static void macro_call(resolver *r, const char *caller, const char *target, char dst[PLAIT_KEY_LEN], const char **conf)
{
    size_t n = strlen(target);
    char *path = xstrndup(target, n - 1), *name = strrchr(path, ':');
    const strvec *v = plait_strmap_get(&r->macros, name ? name + 1 : path);
    const node_info *ci = plait_strmap_get(&r->info, caller);
    for (size_t i = 0; v && ci && i < v->len; i++) { /* a macro of the caller's own crate wins */
        const node_info *mi = plait_strmap_get(&r->info, v->items[i]);
        if (mi && mi->crate && ci->crate && !strcmp(mi->crate, ci->crate)) {
            memcpy(dst, v->items[i], PLAIT_KEY_LEN);
            *conf = "exact";
            free(path);
            return;
        }
    }
    take(r, v, dst, conf, "exact");
    free(path);
}

static const char *last_segment(const char *p)
{
    const char *s = p;
    for (const char *q = p; *q; q++)
        if (q[0] == ':' && q[1] == ':') s = q + 2;
    return s;
}

/* Whether `method` is written in an impl of a trait whose name (last segment, no generic
 * arguments) is `trait`, read from the impl's name: "impl fmt::Display for X" -> Display.
 * Display's and Debug's `fmt` of one type share a path; only the trait tells them apart. */
static int in_impl_of(resolver *r, const char *method, const char *trait)
{
    const node_info *mi = plait_strmap_get(&r->info, method);
    const node_info *ii = mi && mi->parent ? plait_strmap_get(&r->info, mi->parent) : NULL;
    const char *t = ii && !strncmp(ii->name, "impl ", 5) ? ii->name + 5 : NULL, *end = t ? strstr(t, " for ") : NULL;
    if (!end) return 0;
    const char *stop = t + strcspn(t, "<");
    if (stop > end) stop = end;
    const char *seg = t;
    for (const char *q = t; q + 1 < stop; q++)
        if (q[0] == ':' && q[1] == ':') seg = q + 2;
    size_t n = strlen(trait);
    return (size_t)(stop - seg) == n && !strncmp(seg, trait, n);
}

/* Method `name` of type key `ty` in its impl of trait `trait` (a path as written; only its
 * last segment is compared, the trait being outside the index). */
static int trait_impl_method(resolver *r, const char *ty, const char *trait, const char *name, char dst[PLAIT_KEY_LEN],
                             const char **conf, const char *how)
{
    char *k = rv_join(ty, "\x1f", name);
    const strvec *v = plait_strmap_get(&r->type_methods, k);
    free(k);
    strvec keep = {0};
    for (size_t i = 0; v && i < v->len; i++)
        if (in_impl_of(r, v->items[i], last_segment(trait))) PLAIT_VEC_PUSH(&keep, v->items[i]);
    int hit = take(r, (const strvec *)&keep, dst, conf, how);
    PLAIT_VEC_FREE(&keep);
    return hit;
}

static void type_key(resolver *r, const char *caller, const char *written, const char *scope, char tk[PLAIT_KEY_LEN]);

static void path_call(resolver *r, const char *caller, const char *target, const char *scope, char dst[PLAIT_KEY_LEN],
                      const char **conf)
{
    dst[0] = '\0';
    *conf = "exact";
    if (target[0] == '<') { /* <T as Trait>::m */
        const char *as = strstr(target, " as "), *close = strstr(target, ">::");
        if (!as || !close || close < as) return;
        char *trait = xstrndup(as + 4, (size_t)(close - as - 4)), tk[PLAIT_KEY_LEN];
        const char *tconf;
        rv_type(r, trait, scope, tk, &tconf);
        if (tk[0]) take(r, lookup(&r->trait_methods, tk, close + 3), dst, conf, "exact");
        free(trait);
        if (!dst[0]) { /* <Literal as Display>::fmt with std's trait: Literal's impl of it */
            char *self = xstrndup(target + 1, (size_t)(as - target - 1));
            type_key(r, caller, self, scope, tk);
            char *tr = xstrndup(as + 4, (size_t)(close - as - 4)), *lt = strchr(tr, '<');
            if (lt) *lt = '\0';
            if (tk[0]) trait_impl_method(r, tk, tr, close + 3, dst, conf, "exact");
            free(tr);
            free(self);
        }
        return;
    }
    if (!strncmp(target, "Self::", 6)) {
        const char *ty = self_type(r, caller);
        if (ty && !strchr(target + 6, ':')) method_of_type(r, ty, target + 6, dst, conf, "exact");
        return;
    }
    char *abs = rv_absolute(r, target, scope, 1, 0);
    if (abs) {
        int hit = take(r, rv_lookup(r, abs, &r->values, 0), dst, conf, "exact");
        free(abs);
        if (hit) return;
    }
    /* Type::assoc where the impl lives elsewhere than the type */
    const char *sep = NULL;
    for (const char *p = target; *p; p++)
        if (p[0] == ':' && p[1] == ':') sep = p;
    if (!sep) return;
    char *type = xstrndup(target, (size_t)(sep - target)), tk[PLAIT_KEY_LEN];
    const char *tconf;
    rv_type(r, type, scope, tk, &tconf);
    if (tk[0]) method_of_type(r, tk, sep + 2, dst, conf, "exact");
    free(type);
}

/* The head of a written type: `&'a mut dyn a::B<T> + Send` -> "a::B"; NULL for tuples,
 * slices, arrays, fn pointers and the never type. */
static char *type_head(const char *t)
{
    for (;;) {
        while (*t == ' ' || *t == '&' || *t == '*') t++;
        if (*t == '\'') { /* a lifetime */
            t++;
            while (*t && *t != ' ') t++;
            continue;
        }
        if (!strncmp(t, "mut ", 4) || !strncmp(t, "dyn ", 4)) t += 4;
        else if (!strncmp(t, "const ", 6)) t += 6;
        else if (!strncmp(t, "impl ", 5)) t += 5;
        else break;
    }
    size_t n = strcspn(t, "<>(){}[],;= +");
    if (!n || (n == 2 && !strncmp(t, "fn", 2))) return NULL;
    return xstrndup(t, n);
}

/* A written type's key, following type aliases (`type ParseStream<'a> = &'a ParseBuffer<'a>`)
 * and `Self` to the impl's type.  "" if it is not a type of the index. */
static void type_key(resolver *r, const char *caller, const char *written, const char *scope, char tk[PLAIT_KEY_LEN])
{
    tk[0] = '\0';
    char *head = type_head(written);
    for (int hop = 0; head && hop < 4; hop++) {
        const char *tconf;
        if (!strcmp(head, "Self")) {
            const char *st = self_type(r, caller);
            if (st) memcpy(tk, st, PLAIT_KEY_LEN);
            break;
        }
        rv_type(r, head, scope, tk, &tconf);
        free(head);
        head = NULL;
        const node_info *ai = tk[0] ? plait_strmap_get(&r->info, tk) : NULL;
        if (!ai || strcmp(ai->kind, "type_alias") != 0 || !ai->sig) break;
        const char *eq = strstr(ai->sig, " = ");
        scope = plait_strmap_get(&r->edge_scope, tk);
        if (!eq || !scope) break;
        tk[0] = '\0';
        head = type_head(eq + 3);
    }
    free(head);
}

/* A type as written and where its names are looked up: the scope, and the item whose impl
 * `Self` means there (the caller, or the function whose signature wrote it). */
typedef struct {
    char *text;                /* NULL: known, but nothing the index can say more about */
    char *scope;
    char *params;              /* " O " : the type parameters of the last alias followed */
    char self[PLAIT_KEY_LEN];
} wtype;

/* Takes `text` over; copies scope and self (they may point into w). */
static void wtype_set(wtype *w, char *text, const char *scope, const char *self)
{
    char *sc = xstrdup(scope ? scope : "");
    char sf[PLAIT_KEY_LEN];
    snprintf(sf, sizeof sf, "%s", self ? self : "");
    free(w->text);
    free(w->scope);
    w->text = text;
    w->scope = sc;
    memcpy(w->self, sf, sizeof sf);
}

static void wtype_free(wtype *w)
{
    free(w->text);
    free(w->scope);
    free(w->params);
}

/* The type a function returns, as its signature writes it (text NULL if none). */
static void return_written(resolver *r, const char *fn, wtype *w)
{
    const node_info *fi = plait_strmap_get(&r->info, fn);
    const char *arrow = fi && fi->sig ? strstr(fi->sig, ") -> ") : NULL;
    const char *scope = plait_strmap_get(&r->edge_scope, fn);
    char *ret = arrow && scope ? xstrdup(arrow + 5) : NULL, *wh = ret ? strstr(ret, " where ") : NULL;
    if (wh) *wh = '\0';
    wtype_set(w, ret, scope, fn);
}

/* Skips references, lifetimes and `mut` before a written type. */
static const char *skip_refs(const char *t)
{
    for (;;) {
        while (*t == ' ' || *t == '&') t++;
        if (*t == '\'') {
            while (*t && *t != ' ') t++;
        } else if (!strncmp(t, "mut ", 4)) {
            t += 4;
        } else {
            return t;
        }
    }
}

/* Element i of the comma list that `open` ('<' or '(') starts, trimmed; NULL past its end. */
static char *list_item(const char *open, int i)
{
    int depth = 0, at = 0;
    const char *from = open + 1;
    for (const char *p = open + 1; *p; p++) {
        if (*p == '<' || *p == '(' || *p == '[') {
            depth++;
        } else if ((*p == '>' || *p == ')' || *p == ']') && depth) {
            depth--;
        } else if (!depth && (*p == ',' || *p == '>' || *p == ')')) {
            if (at == i) {
                while (*from == ' ') from++;
                const char *to = p;
                while (to > from && to[-1] == ' ') to--;
                return to > from ? xstrndup(from, (size_t)(to - from)) : NULL;
            }
            if (*p != ',') return NULL;
            at++;
            from = p + 1;
        }
    }
    return NULL;
}

/* " O " from an alias's signature `type PResult<'a, O> = ...` (lifetimes left out). */
static char *alias_params(const char *sig)
{
    const char *t = strstr(sig, "type "), *eq = strstr(sig, " = ");
    const char *open = t ? strchr(t, '<') : NULL;
    strbuf sb = {0};
    strbuf_puts(&sb, " ");
    for (int i = 0; open && open < eq; i++) {
        char *p = list_item(open, i);
        if (!p) break;
        size_t n = strcspn(p, ":= ");
        if (p[0] != '\'' && n) {
            strbuf_add(&sb, p, n);
            strbuf_putc(&sb, ' ');
        }
        free(p);
    }
    return strbuf_detach(&sb);
}

/* Whether a projection arrived at a parameter of the alias it went through (`O` of
 * PResult<'a, O>): its meaning is the argument at the alias's use, which is not followed. */
static int is_alias_param(const wtype *w)
{
    if (!w->text || !w->params) return 0;
    char *head = type_head(w->text);
    char probe[80];
    snprintf(probe, sizeof probe, " %s ", head ? head : "");
    int hit = head && strlen(head) < 64 && strstr(w->params, probe); /* a tuple has no head */
    free(head);
    return hit;
}

/* Follows type aliases from w (`type PResult<'a, O> = Result<(Cursor<'a>, O), Reject>`) to
 * the type they stand for; the alias's own parameters are remembered, not substituted. */
static void follow_aliases(resolver *r, wtype *w)
{
    for (int hop = 0; w->text && hop < 4; hop++) {
        if (is_alias_param(w)) return; /* O of PResult<'a, O>: the argument is not followed */
        char *head = type_head(w->text), ak[PLAIT_KEY_LEN] = "";
        const char *tconf;
        if (!head) return;
        rv_type(r, head, w->scope, ak, &tconf);
        free(head);
        const node_info *ai = ak[0] ? plait_strmap_get(&r->info, ak) : NULL;
        const char *eq = ai && !strcmp(ai->kind, "type_alias") && ai->sig ? strstr(ai->sig, " = ") : NULL;
        const char *scope = eq ? plait_strmap_get(&r->edge_scope, ak) : NULL;
        if (!scope) return;
        free(w->params);
        w->params = alias_params(ai->sig);
        wtype_set(w, xstrdup(eq + 3), scope, w->self);
    }
}

/* The payload of Option<T> / Result<T, E> (`x?`, `Some(x)`, `Ok(x)`): std's enums only, so a
 * crate's own `Option` is not taken for std's. */
static int unwrap_written(resolver *r, wtype *w)
{
    follow_aliases(r, w);
    if (!w->text) return 1;
    char *head = type_head(w->text);
    if (!head) return 0;
    const char *last = last_segment(head);
    int std = !strcmp(last, "Option") || !strcmp(last, "Result");
    char *abs = std ? rv_absolute(r, head, w->scope, 0, 0) : NULL;
    if (abs && rv_lookup(r, abs, &r->types, 0) && strncmp(abs, "core::", 6) && strncmp(abs, "std::", 5))
        std = 0; /* a type of the index that is not std's */
    free(abs);
    free(head);
    const char *t = skip_refs(w->text), *open = t + strcspn(t, "<>(){}[],;= +");
    if (!std || *open != '<') return 0;
    wtype_set(w, list_item(open, 0), w->scope, w->self);
    return w->text != NULL;
}

/* Element i of a tuple type. */
static int tuple_written(resolver *r, wtype *w, int i)
{
    follow_aliases(r, w);
    if (!w->text) return 1;
    const char *t = skip_refs(w->text);
    if (*t != '(') return 0;
    wtype_set(w, list_item(t, i), w->scope, w->self);
    return w->text != NULL;
}

/* Field f of the struct or variant key `owner`, as its declaration writes it. */
static int field_written(resolver *r, const char *owner, const char *f, wtype *w)
{
    char *fk = rv_join(owner, "\x1f", f);
    const char *fv = plait_strmap_get(&r->fields, fk), *sep = fv ? strchr(fv, '\x1f') : NULL;
    free(fk);
    if (!sep) return 0;
    char *fscope = xstrndup(fv, (size_t)(sep - fv));
    wtype_set(w, xstrdup(sep + 1), fscope, owner);
    free(fscope);
    free(w->params);
    w->params = NULL;
    return 1;
}

static int marker_written(resolver *r, const char *caller, const char *m, const char *scope, wtype *w,
                          const char **how, int depth, int project);

/* A marker's type as a key (into tk, "" when it is not a type of the index).  Returns 0 when
 * nothing at all is known. */
static int marker_key(resolver *r, const char *caller, const char *m, const char *scope, char tk[PLAIT_KEY_LEN],
                      const char **how, int depth)
{
    wtype w = {0};
    tk[0] = '\0';
    int known = marker_written(r, caller, m, scope, &w, how, depth, 0);
    if (known && w.text) type_key(r, w.self, w.text, w.scope, tk);
    wtype_free(&w);
    return known;
}

/* "=f": f's declared return type.  For `T::f(..)` whose type is not known, a T (inferred),
 * unless the result is projected (`T::f(..)?`): then the written type is what counts. */
static int call_written(resolver *r, const char *caller, const char *path, const char *scope, wtype *w,
                        const char **how, int project)
{
    char fk[PLAIT_KEY_LEN] = "", tk[PLAIT_KEY_LEN] = "";
    const char *fconf;
    path_call(r, caller, path, scope, fk, &fconf);
    if (fk[0]) {
        return_written(r, fk, w);
        if (w->text && project) return 1;
        if (w->text) type_key(r, w->self, w->text, w->scope, tk);
        if (tk[0]) return 1;
    }
    const char *sep = NULL;
    for (const char *q = path; *q; q++)
        if (q[0] == ':' && q[1] == ':') sep = q;
    const char *seg = sep ? sep : path;
    while (seg > path && !(seg[-1] == ':' && seg[-2] == ':')) seg--;
    if (!sep || !(*seg >= 'A' && *seg <= 'Z')) return fk[0] ? 1 : 0; /* a known fn's result: not std's */
    wtype_set(w, xstrndup(path, (size_t)(sep - path)), scope, caller);
    *how = "inferred";
    return 1;
}

/* The type a receiver's marker names, as written (see the file head for the forms).  Returns
 * 0 when nothing at all is known (an unknown function's result), so the caller falls back to
 * the method's name; 1 with w->text NULL when the type is known but outside the index. */
static int marker_written(resolver *r, const char *caller, const char *m, const char *scope, wtype *w,
                          const char **how, int depth, int project)
{
    char tk[PLAIT_KEY_LEN] = "";
    if (depth > 6) return 0;
    if (m[0] == '?' || m[0] == '#') { /* the payload of an Option/Result, element i of a tuple */
        int i = m[0] == '#' ? atoi(m + 1) : 0;
        const char *inner = m[0] == '#' ? strchr(m, ':') : m;
        if (!inner || !marker_written(r, caller, m[0] == '#' ? inner + 1 : m + 1, scope, w, how, depth + 1, 1))
            return 0;
        if (!w->text) return 1;
        int ok = m[0] == '?' ? unwrap_written(r, w) : tuple_written(r, w, i);
        return ok && !is_alias_param(w);
    }
    if (m[0] == '$' || m[0] == '%') { /* field f of M's type; field f of variant or struct P */
        const char *colon = strchr(m, ':');
        if (!colon) return 0;
        char *f = xstrndup(m + 1, (size_t)(colon - m - 1));
        int known;
        if (m[0] == '$') {
            known = marker_key(r, caller, colon + 1, scope, tk, how, depth + 1);
        } else {
            char *abs = rv_absolute(r, colon + 1, scope, 1, 0);
            const strvec *v = abs ? rv_lookup(r, abs, &r->values, 0) : NULL;
            if (v && v->len) memcpy(tk, v->items[0], PLAIT_KEY_LEN);
            free(abs);
            known = 1; /* a pattern names its type: one outside the index is not guessed */
        }
        int hit = known && tk[0] && field_written(r, tk, f, w);
        free(f);
        return hit ? 1 : known && !tk[0];
    }
    if (m[0] == '@') { /* method m's declared return type, on the type marker M names */
        const char *dot = strrchr(m, '.');
        char mk[PLAIT_KEY_LEN] = "";
        const char *mconf = NULL;
        if (!dot) return 0;
        char *inner = xstrndup(m + 1, (size_t)(dot - m - 1));
        int known = marker_key(r, caller, inner, scope, tk, how, depth + 1);
        if (!known || !tk[0]) {
            free(inner);
            return known;
        }
        if (method_of_type(r, tk, dot + 1, mk, &mconf, "exact")) {
            free(inner);
            if (strcmp(mconf, "exact")) return 0;
            return_written(r, mk, w);
            return 1;
        }
        /* a derived or std Clone: `clone(&self) -> Self` whatever the impl */
        known = !strcmp(dot + 1, "clone") && marker_written(r, caller, inner, scope, w, how, depth + 1, project);
        free(inner);
        return known;
    }
    if (m[0] == '=') return call_written(r, caller, m + 1, scope, w, how, project);
    if (m[0] == '~') *how = "inferred", m++;
    wtype_set(w, xstrdup(m), scope, caller);
    return 1;
}

/* A receiver whose type is written down: "(x: T)" a parameter or `let` annotation (exact),
 * "(x: ~T)" a `T::f(..)` initialiser (inferred), "(x: =f)" / "(x: @M.m)" the result of a call,
 * "(x: ^Tr1+Tr2)" a type parameter's bounds.  Returns 1 when the receiver's type was known
 * (answered or not: a known type that is not in the index is std's or a dependency's, and a
 * method of that name elsewhere is not it). */
static int typed_receiver(resolver *r, const char *caller, const char *written, const char *name, const char *scope,
                          char dst[PLAIT_KEY_LEN], const char **conf)
{
    char tk[PLAIT_KEY_LEN];
    const char *how = "exact";
    if (written[0] == '^') { /* a type parameter: the traits bounding it, in order */
        char *list = xstrdup(written + 1);
        int hit = 0;
        for (char *save = NULL, *b = strtok_r(list, "+", &save); b && !hit; b = strtok_r(NULL, "+", &save)) {
            type_key(r, caller, b, scope, tk);
            hit = tk[0] && method_of_type(r, tk, name, dst, conf, "exact");
        }
        free(list);
        return hit;
    }
    if (!marker_key(r, caller, written, scope, tk, &how, 0)) return 0;
    if (!tk[0]) return 1;
    if (method_of_type(r, tk, name, dst, conf, how)) return 1;
    return 0; /* a type of the index without that method (Deref, blanket impls): by name */
}

/* "Tr::m(x: M)": a path call whose first argument's type is known.  When Tr is outside the
 * index (std's Display), the call is to m of the impl of Tr for x's type. */
static void typed_path_call(resolver *r, const char *caller, const char *target, const char *scope,
                            char dst[PLAIT_KEY_LEN], const char **conf)
{
    const char *open = strchr(target, '('), *colon = strstr(target, ": "), *sep = NULL;
    char *path = xstrndup(target, (size_t)(open - target));
    path_call(r, caller, path, scope, dst, conf);
    for (const char *q = path; *q; q++)
        if (q[0] == ':' && q[1] == ':') sep = q;
    if (!dst[0] && sep && colon && colon > open) {
        char *trait = xstrndup(path, (size_t)(sep - path)), *m = xstrndup(colon + 2, strlen(colon + 2) - 1);
        char tk[PLAIT_KEY_LEN] = "";
        const char *tconf, *how = "exact";
        rv_type(r, trait, scope, tk, &tconf); /* a trait or type of the index: path_call answered */
        if (!tk[0] && marker_key(r, caller, m, scope, tk, &how, 0) && tk[0])
            trait_impl_method(r, tk, trait, sep + 2, dst, conf, how);
        free(trait);
        free(m);
    }
    free(path);
}

void rv_call(resolver *r, const char *caller, const char *target, const char *scope, char dst[PLAIT_KEY_LEN],
             const char **conf)
{
    dst[0] = '\0';
    *conf = "exact";
    size_t n = strlen(target);
    if (n > 1 && target[n - 1] == '!') {
        macro_call(r, caller, target, dst, conf);
        return;
    }
    if (n > 1 && target[n - 1] == ')' && target[0] != '(' && target[0] != '<' && strchr(target, '(')) {
        typed_path_call(r, caller, target, scope, dst, conf);
        return;
    }
    if (target[0] == '(') { /* "(x: Type).m": the receiver's type is known from its binding */
        const char *colon = strstr(target, ": "), *close = strstr(target, ").");
        if (colon && close && colon < close) {
            char *type = xstrndup(colon + 2, (size_t)(close - colon - 2));
            int known = typed_receiver(r, caller, type, close + 2, scope, dst, conf);
            free(type);
            if (known) return;
            target = close + 1; /* not found through the type: fall back to the name */
        }
    }
    if (!strncmp(target, "self.", 5) && strchr(target + 5, '.')) { /* "self.field.m" */
        const char *fdot = strchr(target + 5, '.'), *st = self_type(r, caller);
        char *fname = xstrndup(target + 5, (size_t)(fdot - target - 5)), *fk = st ? rv_join(st, "\x1f", fname) : NULL;
        const char *fv = fk ? plait_strmap_get(&r->fields, fk) : NULL, *sep = fv ? strchr(fv, '\x1f') : NULL;
        int known = 0;
        if (sep) {
            char *fscope = xstrndup(fv, (size_t)(sep - fv));
            known = typed_receiver(r, caller, sep + 1, fdot + 1, fscope, dst, conf);
            free(fscope);
        }
        free(fname);
        free(fk);
        if (known) return;
        target = fdot; /* ".m" */
    }
    const char *dot = strchr(target, '.');
    if (!dot) {
        path_call(r, caller, target, scope, dst, conf);
        return;
    }
    const char *name = dot + 1;
    if (dot - target == 4 && !strncmp(target, "self", 4)) {
        const char *ty = self_type(r, caller);
        if (ty && method_of_type(r, ty, name, dst, conf, "exact")) return;
    }
    const strvec *v = plait_strmap_get(&r->methods, name);
    if (v && v->len <= MAX_CANDIDATES && take(r, v, dst, conf, "ambiguous")) *conf = "ambiguous";
}
