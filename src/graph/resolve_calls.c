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
 *   "x.m", ".m"        any receiver whose type is not known: methods named m anywhere,
 *                      `ambiguous`, given up past 8 candidates
 * A unique answer by a path or a written-down receiver type is `exact`; one through an
 * initialiser's type `inferred`; one by name alone `ambiguous`.  A receiver whose type is
 * known but not in the index (std's Vec, a dependency's type) is left unresolved rather than
 * answered by name.
 */
#include "graph/resolve_internal.h"

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
            if (tk[0]) take(r, lookup(&r->type_methods, tk, close + 3), dst, conf, "exact");
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

/* The type a function returns, from its signature's `->`, as a key; "" if not known. */
static void return_type(resolver *r, const char *fn, char tk[PLAIT_KEY_LEN])
{
    tk[0] = '\0';
    const node_info *fi = plait_strmap_get(&r->info, fn);
    const char *arrow = fi && fi->sig ? strstr(fi->sig, ") -> ") : NULL;
    const char *scope = plait_strmap_get(&r->edge_scope, fn);
    if (!arrow || !scope) return;
    char *ret = xstrdup(arrow + 5), *w = strstr(ret, " where ");
    if (w) *w = '\0';
    type_key(r, fn, ret, scope, tk);
    free(ret);
}

/* The type a receiver's written marker names, into tk ("" if it is not a type of the index):
 * "T" written down (exact), "~T" an initialiser guess (inferred), "=f" f's declared return
 * type, "@M.m" the declared return type of method m of the type marker M names (chains:
 * `let a = x.f(); let b = a.g();`).  Returns 0 when nothing at all is known (an unknown
 * function's result), so the caller falls back to the method's name. */
static int marker_type(resolver *r, const char *caller, const char *written, const char *scope, char tk[PLAIT_KEY_LEN],
                       const char **how, int depth)
{
    tk[0] = '\0';
    if (depth > 4) return 0;
    if (written[0] == '@') {
        const char *dot = strrchr(written, '.');
        char mk[PLAIT_KEY_LEN] = "";
        const char *mconf = NULL;
        if (!dot) return 0;
        char *inner = xstrndup(written + 1, (size_t)(dot - written - 1));
        int known = marker_type(r, caller, inner, scope, tk, how, depth + 1);
        free(inner);
        if (!known || !tk[0]) return known;
        if (method_of_type(r, tk, dot + 1, mk, &mconf, "exact") && !strcmp(mconf, "exact")) {
            return_type(r, mk, tk);
            return 1;
        }
        tk[0] = '\0';
        return 0;
    }
    if (written[0] == '=') {
        char fk[PLAIT_KEY_LEN] = "";
        const char *fconf;
        path_call(r, caller, written + 1, scope, fk, &fconf);
        if (fk[0]) return_type(r, fk, tk);
        if (tk[0]) return 1;
        /* T::f(..) with f unknown or returning no known type: taken to make a T */
        const char *sep = NULL;
        for (const char *q = written + 1; *q; q++)
            if (q[0] == ':' && q[1] == ':') sep = q;
        const char *seg = sep ? sep : written + 1;
        while (seg > written + 1 && !(seg[-1] == ':' && seg[-2] == ':')) seg--;
        if (!sep || !(*seg >= 'A' && *seg <= 'Z')) return fk[0] ? 1 : 0; /* a known fn's result: not std's */
        char *ty = xstrndup(written + 1, (size_t)(sep - written - 1));
        type_key(r, caller, ty, scope, tk);
        free(ty);
        *how = "inferred";
        return 1;
    }
    if (written[0] == '~') *how = "inferred", written++;
    type_key(r, caller, written, scope, tk);
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
    if (!marker_type(r, caller, written, scope, tk, &how, 0)) return 0;
    if (!tk[0]) return 1;
    if (method_of_type(r, tk, name, dst, conf, how)) return 1;
    return 0; /* a type of the index without that method (Deref, blanket impls): by name */
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
