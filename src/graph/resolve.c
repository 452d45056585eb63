/*
 * resolve.c - fills in edges that name their target by path, over the whole index.
 *
 * Runs after the files of a run are written, so it sees every crate; edges from unchanged
 * files are answered again too, so none keeps pointing at an item that went away.
 *
 * A written path is looked up from the scope it was written in: first segment
 * `crate`/`self`/`super`/a workspace crate name; else an item of that scope (a function body
 * sees its own items, then its enclosing scopes up to the first module); else a `use` import
 * of that scope, followed through its own path.  impl_for / implements need a type-like item
 * at the end; call sites are answered in resolve_calls.c.  A path into a crate that is not
 * indexed stays unresolved with its written path; several candidates (cfg'd twins) give
 * `ambiguous`.  Only rows whose answer changed are written.
 */
#include "graph/resolve_internal.h"
#include "plait/error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rv_push(plait_strmap *map, const char *k, const char *key)
{
    plait_arena *a = map->arena;
    strvec *v = plait_strmap_get(map, k);
    if (!v) {
        v = a ? memset(plait_arena_alloc(a, sizeof *v), 0, sizeof *v) : xcalloc(1, sizeof *v);
        plait_strmap_put(map, k, v);
    }
    if (!a) {
        PLAIT_VEC_PUSH(v, xstrdup(key));
        return;
    }
    if (v->len == v->cap) { /* grow by copying within the arena (most vectors hold 1-2 keys) */
        size_t cap = v->cap ? v->cap * 2 : 2;
        char **items = plait_arena_alloc(a, cap * sizeof *items);
        if (v->len) memcpy(items, v->items, v->len * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->len++] = plait_arena_strdup(a, key);
}


char *rv_join(const char *a, const char *sep, const char *b)
{
    size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
    char *out = xmalloc(na + ns + nb + 1);
    memcpy(out, a, na);
    memcpy(out + na, sep, ns);
    memcpy(out + na + ns, b, nb + 1);
    return out;
}

static char *parent_of(const char *path)
{
    const char *last = NULL;
    for (const char *p = path; *p; p++)
        if (p[0] == ':' && p[1] == ':') last = p;
    return last ? xstrndup(path, (size_t)(last - path)) : NULL;
}

static char *crate_of(const char *scope)
{
    const char *e = strstr(scope, "::");
    return e ? xstrndup(scope, (size_t)(e - scope)) : xstrdup(scope);
}

static int known(resolver *r, const char *path, int values)
{
    return plait_strmap_get(&r->types, path) || (values && plait_strmap_get(&r->values, path));
}

static char *first_segment(resolver *r, const char *first, const char *scope, int values, int written_abs, int depth);

/* --- memo ---------------------------------------------------------------------------------
 * Globs, re-export chains and the prelude make one lookup fan out into many, and the same
 * (scope, name) questions come back for every call site.  Each resolving thread keeps its
 * answers (rv_memo_begin/end around a slice of rows).  An answer is remembered only if its
 * computation never hit the depth limit, so it does not depend on the path that asked (glob
 * cycles are walked breadth first by glob_find, not by recursion). */
typedef struct {
    plait_strmap lookup[2];  /* ns (types, values) -> abs -> const strvec* (or &none) */
    plait_strmap globs;      /* module -> strvec* of the modules its globs name, "+path" / "-path" */
    plait_strmap closure;    /* module -> strvec* of the modules its globs reach, breadth first */
    plait_strmap first;      /* "scope\x1fname\x1fflags" -> char* base (or &none) */
    int cutoff;              /* the depth limit was hit since the last reset */
} rv_memo;

static _Thread_local rv_memo *memo;
static const strvec none; /* a remembered "no answer" */

void rv_memo_begin(void)
{
    memo = xcalloc(1, sizeof *memo);
    plait_strmap_init(&memo->lookup[0]);
    plait_strmap_init(&memo->lookup[1]);
    plait_strmap_init(&memo->first);
    plait_strmap_init(&memo->globs);
    plait_strmap_init(&memo->closure);
}

static void free_strvec(strvec *sv)
{
    for (size_t i = 0; sv && i < sv->len; i++) free(sv->items[i]);
    if (sv) free(sv->items);
    free(sv);
}

void rv_memo_end(void)
{
    if (!memo) return;
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(&memo->first, &pos, NULL, &v))
        if (v != &none) free(v);
    plait_strmap_free(&memo->lookup[0]);
    plait_strmap_free(&memo->lookup[1]);
    plait_strmap_free(&memo->first);
    pos = 0;
    while (plait_strmap_next(&memo->globs, &pos, NULL, &v)) free_strvec(v);
    plait_strmap_free(&memo->globs);
    pos = 0;
    while (plait_strmap_next(&memo->closure, &pos, NULL, &v)) free_strvec(v);
    plait_strmap_free(&memo->closure);
    free(memo);
    memo = NULL;
}

/* Starts a question; memo_leave says whether its answer may be remembered. */
static void memo_enter(int *saved)
{
    *saved = memo->cutoff;
    memo->cutoff = 0;
}

static int memo_leave(int saved)
{
    int ok = !memo->cutoff;
    memo->cutoff |= saved;
    return ok;
}

static void depth_hit(void)
{
    if (memo) memo->cutoff = 1;
}

/* A glob's own path is resolved without looking through globs: otherwise every scope with k
 * globs into an unindexed crate would try k^depth paths.  Per thread, since passes run in
 * parallel. */
static _Thread_local int glob_guard;

static char *glob_module(resolver *r, const char *written, const char *scope, int depth)
{
    glob_guard++;
    char *mod = rv_absolute(r, written, scope, 0, depth);
    glob_guard--;
    return mod;
}

/* The modules the glob imports of `mod` name, resolved ("+path" public, "-path" private),
 * remembered per thread: a breadth-first walk visits the same modules for every name it
 * looks for.  *owned says the caller must free the vector (no memo, or not rememberable). */
static strvec *glob_targets(resolver *r, const char *mod, int depth, int *owned)
{
    strvec *hit = memo ? plait_strmap_get(&memo->globs, mod) : NULL;
    *owned = 0;
    if (hit) return hit;
    const strvec *gl = plait_strmap_get(&r->globs, mod);
    strvec *out = xcalloc(1, sizeof *out);
    int saved = 0;
    if (memo) memo_enter(&saved);
    for (size_t i = 0; gl && i < gl->len; i++) {
        char *next = glob_module(r, gl->items[i] + 1, mod, depth + 1);
        if (!next) continue;
        char sign[2] = {gl->items[i][0], 0};
        PLAIT_VEC_PUSH(out, rv_join(sign, "", next));
        free(next);
    }
    if (memo && memo_leave(saved)) plait_strmap_put(&memo->globs, mod, out);
    else *owned = 1;
    return out;
}

/* Whether something private to module `owner` can be seen from module `from`. */
static int inside(const char *from, const char *owner)
{
    size_t n = strlen(owner);
    return !strncmp(from, owner, n) && (from[n] == '\0' || (from[n] == ':' && from[n + 1] == ':'));
}

/* Any of the keys at a path that `from` may see. */
static int any_visible(resolver *r, const strvec *v, const char *owner, const char *from)
{
    for (size_t i = 0; v && i < v->len; i++)
        if (!plait_strmap_get(&r->private, v->items[i]) || inside(from, owner)) return 1;
    return 0;
}

/* `name` through the glob imports of module `start`, breadth first over the modules the
 * globs reach (glob cycles are common: x86 globs sse2 and sse2 globs x86), so the answer
 * does not depend on who asks.  A module's private items, imports and globs count only when
 * `start` is inside it.  ns: 1 types, 2 values, 3 both.  Returns the path it is found at. */
/* The modules `start`'s globs reach, breadth first (start itself not included, at most 255),
 * remembered per thread like glob_targets. */
static strvec *glob_closure(resolver *r, const char *start, int depth, int *owned)
{
    strvec *hit = memo ? plait_strmap_get(&memo->closure, start) : NULL;
    *owned = 0;
    if (hit) return hit;
    strvec *out = xcalloc(1, sizeof *out);
    plait_strmap seen;
    plait_strmap_init(&seen);
    int saved = 0;
    if (memo) memo_enter(&saved);
    for (size_t qi = 0; qi == 0 || (qi <= out->len && qi < 256); qi++) {
        const char *mod = qi ? out->items[qi - 1] : start;
        if (!plait_strmap_get(&r->globs, mod)) continue;
        int gowned;
        strvec *gl = glob_targets(r, mod, depth, &gowned);
        for (size_t i = 0; i < gl->len; i++) {
            if (gl->items[i][0] == '-' && qi > 0 && !inside(start, mod)) continue;
            const char *next = gl->items[i] + 1;
            if (plait_strmap_get(&seen, next)) continue;
            plait_strmap_put(&seen, next, (void *)1);
            PLAIT_VEC_PUSH(out, xstrdup(next));
        }
        if (gowned) free_strvec(gl);
    }
    plait_strmap_free(&seen);
    if (memo && memo_leave(saved)) plait_strmap_put(&memo->closure, start, out);
    else *owned = 1;
    return out;
}

static char *glob_find(resolver *r, const char *name, const char *start, int ns, int depth)
{
    if (glob_guard || !plait_strmap_get(&r->globs, start)) return NULL;
    int owned;
    strvec *reach = glob_closure(r, start, depth, &owned);
    char *found = NULL;
    for (size_t qi = 0; qi < reach->len && qi < 255 && !found; qi++) {
        const char *mod = reach->items[qi];
        char *cand = rv_join(mod, "::", name), *uk = rv_join(mod, "\x1f", name);
        int ok = ((ns & 1) && any_visible(r, plait_strmap_get(&r->types, cand), mod, start)) ||
                 ((ns & 2) && any_visible(r, plait_strmap_get(&r->values, cand), mod, start));
        if (!ok && plait_strmap_get(&r->uses, uk) && (!plait_strmap_get(&r->private, uk) || inside(start, mod))) {
            const strvec *w = (ns & 1) ? rv_lookup(r, cand, &r->types, depth + 1) : NULL;
            if ((!w || !w->len) && (ns & 2)) w = rv_lookup(r, cand, &r->values, depth + 1);
            ok = w && w->len;
        }
        free(uk);
        if (ok) found = cand;
        else free(cand);
    }
    if (owned) free_strvec(reach);
    return found;
}

static char *through_globs(resolver *r, const char *first, const char *sc, int values, int depth)
{
    return glob_find(r, first, sc, values ? 3 : 1, depth);
}

/* The prelude modules of the crate a scope belongs to: core's for core and alloc (no_std),
 * std's (then core's) for the others.  Only modules the index holds count. */
static char *through_prelude(resolver *r, const char *first, const char *scope, int values, int depth)
{
    static const char *const std_preludes[] = {"std::prelude::rust_2021", "std::prelude::v1", "core::prelude::rust_2021",
                                               "core::prelude::v1", NULL};
    size_t cl = strcspn(scope, ":");
    int no_std = (cl == 4 && !strncmp(scope, "core", 4)) || (cl == 5 && !strncmp(scope, "alloc", 5));
    for (const char *const *pm = std_preludes + (no_std ? 2 : 0); *pm; pm++) {
        if (!plait_strmap_get(&r->modules, *pm)) continue;
        char *cand = rv_join(*pm, "::", first);
        const strvec *v = rv_lookup(r, cand, &r->types, depth + 1);
        if ((!v || !v->len) && values) v = rv_lookup(r, cand, &r->values, depth + 1);
        if (v && v->len) return cand;
        free(cand);
    }
    return NULL;
}

/* Past a scope's own items and imports: the module's glob imports, then crate names (and
 * `extern crate` aliases), then the prelude. */
static char *module_segment_uncached(resolver *r, const char *first, const char *sc, int values, int written_abs,
                                     int depth)
{
    char *base = written_abs ? NULL : through_globs(r, first, sc, values, depth);
    if (!base) {
        char *krate = crate_of(sc), *ak = rv_join(krate, "\x1f", first);
        const char *real = plait_strmap_get(&r->crate_alias, ak);
        if (plait_strmap_get(&r->crates, real ? real : first)) base = xstrdup(real ? real : first);
        free(krate);
        free(ak);
    }
    if (!base && !written_abs) base = through_prelude(r, first, sc, values, depth);
    return base;
}

/* The same, remembered per (module, name): every function of a module asks it again. */
static char *module_segment(resolver *r, const char *first, const char *sc, int values, int written_abs, int depth)
{
    if (!memo) return module_segment_uncached(r, first, sc, values, written_abs, depth);
    char flags[4] = {(char)('0' + values), (char)('0' + written_abs), (char)('0' + (glob_guard > 0)), 0};
    char *head = rv_join(sc, "\x1f", first), *q = rv_join(head, "\x1f", flags);
    free(head);
    void *hit = plait_strmap_get(&memo->first, q);
    char *base = NULL;
    int saved;
    if (hit) {
        base = hit == &none ? NULL : xstrdup(hit);
    } else {
        memo_enter(&saved);
        base = module_segment_uncached(r, first, sc, values, written_abs, depth);
        if (memo_leave(saved)) plait_strmap_put(&memo->first, q, base ? xstrdup(base) : (void *)&none);
    }
    free(q);
    return base;
}

/* The first segment of a relative path, in Rust's order: an item or explicit import of the
 * scope (a function body sees its own, then its enclosing scopes' up to the module), then
 * module_segment. */
static char *first_segment(resolver *r, const char *first, const char *scope, int values, int written_abs, int depth)
{
    if (depth > 8) {
        depth_hit();
        return NULL;
    }
    char *sc = xstrdup(scope), *base = NULL;
    while (!written_abs) {
        char *local = rv_join(sc, "::", first), *uk = rv_join(sc, "\x1f", first);
        const char *via_use = plait_strmap_get(&r->uses, uk);
        free(uk);
        if (known(r, local, values)) {
            free(sc);
            return local;
        }
        free(local);
        if (via_use) {
            base = rv_absolute(r, via_use, sc, values, depth + 1);
            free(sc);
            return base;
        }
        char *up = plait_strmap_get(&r->modules, sc) ? NULL : parent_of(sc);
        if (!up) break;
        free(sc);
        sc = up;
    }
    base = module_segment(r, first, sc, values, written_abs, depth);
    free(sc);
    return base;
}

/* The module a scope is in: a function body's scope is the function's path. */
static char *module_of(resolver *r, const char *scope)
{
    char *sc = xstrdup(scope);
    while (!plait_strmap_get(&r->modules, sc)) {
        char *up = parent_of(sc);
        if (!up) break;
        free(sc);
        sc = up;
    }
    return sc;
}

char *rv_absolute(resolver *r, const char *written, const char *scope, int values, int depth)
{
    if (depth > 8) {
        depth_hit();
        return NULL;
    }
    const char *p = written;
    int written_abs = !strncmp(p, "::", 2);
    if (written_abs) p += 2;
    const char *sep = strstr(p, "::");
    char *first = sep ? xstrndup(p, (size_t)(sep - p)) : xstrdup(p);
    const char *rest = sep ? sep + 2 : "";
    char *base = NULL;
    if (!strcmp(first, "crate") || !strcmp(first, "$crate")) {
        base = crate_of(scope);
    } else if (!strcmp(first, "self")) {
        base = module_of(r, scope);
    } else if (!strcmp(first, "super")) {
        char *mod = module_of(r, scope);
        base = parent_of(mod);
        free(mod);
        while (base && !strncmp(rest, "super::", 7)) {
            char *up = parent_of(base);
            free(base);
            base = up;
            rest += 7;
        }
    } else if (strcmp(first, "Self") != 0) {
        base = first_segment(r, first, scope, values && !sep, written_abs, depth);
    }
    free(first);
    if (!base) return NULL;
    if (!*rest) return base;
    char *full = rv_join(base, "::", rest);
    free(base);
    return full;
}

static const strvec *lookup_uncached(resolver *r, const char *abs, const plait_strmap *ns, int depth)
{
    const strvec *v = plait_strmap_get(ns, abs);
    if (v && v->len) return v;
    /* not defined there: maybe re-exported there (`pub use inner::Name;`, `pub use inner::*;`),
     * or the module part is itself a re-export (`std::option` is `core::option`) */
    char *parent = parent_of(abs);
    if (!parent) return NULL;
    const char *last = abs + strlen(parent) + 2;
    char *uk = rv_join(parent, "\x1f", last);
    const char *target = plait_strmap_get(&r->uses, uk);
    const strvec *found = NULL;
    free(uk);
    if (target) {
        char *next = rv_absolute(r, target, parent, ns == &r->values, depth + 1);
        if (next && strcmp(next, abs) != 0) found = rv_lookup(r, next, ns, depth + 1);
        free(next);
    }
    if (!found) {
        char *via = glob_find(r, last, parent, ns == &r->values ? 2 : 1, depth + 1);
        if (via) found = rv_lookup(r, via, ns, depth + 1);
        free(via);
    }
    if (!found && !plait_strmap_get(&r->modules, parent)) {
        const strvec *pm = rv_lookup(r, parent, &r->types, depth + 1);
        const node_info *mi = pm && pm->len ? plait_strmap_get(&r->info, pm->items[0]) : NULL;
        if (mi && strcmp(mi->path, parent) != 0) {
            char *next = rv_join(mi->path, "::", last);
            found = rv_lookup(r, next, ns, depth + 1);
            free(next);
        }
    }
    free(parent);
    return found;
}

const strvec *rv_lookup(resolver *r, const char *abs, const plait_strmap *ns, int depth)
{
    if (depth > 8) {
        depth_hit();
        return plait_strmap_get(ns, abs);
    }
    if (!memo) return lookup_uncached(r, abs, ns, depth);
    plait_strmap *m = &memo->lookup[ns == &r->values];
    const strvec *hit = plait_strmap_get(m, abs);
    if (hit) return hit == &none ? NULL : hit;
    int saved;
    memo_enter(&saved);
    const strvec *v = lookup_uncached(r, abs, ns, depth);
    if (memo_leave(saved)) plait_strmap_put(m, abs, v && v->len ? (void *)v : (void *)&none);
    return v;
}

void rv_type(resolver *r, const char *written, const char *scope, char dst[PLAIT_KEY_LEN], const char **conf)
{
    dst[0] = '\0';
    *conf = "exact";
    char *abs = rv_absolute(r, written, scope, 0, 0);
    if (!abs) return;
    const strvec *v = rv_lookup(r, abs, &r->types, 0);
    free(abs);
    if (!v || !v->len) return;
    memcpy(dst, v->items[0], PLAIT_KEY_LEN);
    if (v->len > 1) *conf = "ambiguous";
}

/* `use a::b::C` names C in either namespace (or both); `use a::b::*` names module b. */
static void rv_import(resolver *r, const char *written, const char *scope, char dst[PLAIT_KEY_LEN], const char **conf)
{
    dst[0] = '\0';
    *conf = "exact";
    size_t n = strlen(written);
    char *path = n > 3 && !strcmp(written + n - 3, "::*") ? xstrndup(written, n - 3) : xstrdup(written);
    char *abs = rv_absolute(r, path, scope, 0, 0);
    free(path);
    if (!abs) return;
    const strvec *v = rv_lookup(r, abs, &r->types, 0);
    if (!v || !v->len) v = rv_lookup(r, abs, &r->values, 0);
    if (!v || !v->len) {
        const plait_strmap *m = &r->macros; /* `use crate::some_macro;` */
        v = plait_strmap_get(m, abs + (strrchr(abs, ':') ? strrchr(abs, ':') - abs + 1 : 0));
    }
    free(abs);
    if (!v || !v->len) return;
    memcpy(dst, v->items[0], PLAIT_KEY_LEN);
    if (v->len > 1) *conf = "ambiguous";
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Candidates in key order: the maps iterate in hash order, and the first candidate is the
 * one an edge keeps. */
static void sort_vectors(plait_strmap *m)
{
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(m, &pos, NULL, &v)) {
        strvec *sv = v;
        qsort(sv->items, sv->len, sizeof *sv->items, cmp_str);
    }
}

void rv_index_methods(resolver *r)
{
    size_t pos = 0;
    const char *k;
    void *v;
    while (plait_strmap_next(&r->impl_trait, &pos, &k, &v)) {
        const char *ty = plait_strmap_get(&r->impl_type, k);
        if (ty && v) rv_push(&r->type_traits, ty, v);
    }
    pos = 0;
    while (plait_strmap_next(&r->info, &pos, &k, &v)) {
        const node_info *ni = v;
        if (strcmp(ni->kind, "method") != 0 || !ni->parent) continue;
        const char *ty = plait_strmap_get(&r->impl_type, ni->parent);
        const node_info *par = plait_strmap_get(&r->info, ni->parent);
        char *mk = NULL;
        if (ty) mk = xasprintf("%s\x1f%s", ty, ni->name), rv_push(&r->type_methods, mk, k);
        else if (par && !strcmp(par->kind, "trait")) mk = xasprintf("%s\x1f%s", ni->parent, ni->name), rv_push(&r->trait_methods, mk, k);
        free(mk);
    }
    sort_vectors(&r->type_traits);
    sort_vectors(&r->type_methods);
    sort_vectors(&r->trait_methods);
}

/* One row of a pass: the edge as stored (or pending) and, once computed, its answer. */
typedef struct {
    sqlite3_int64 rowid;    /* 0: a pending edge, inserted once answered */
    const char *kind, *src, *target, *scope, *old, *oldc;
    char dst[PLAIT_KEY_LEN];
    const char *conf;
    const plait_pending_edge *pending;
} edge_row;

const char *plait_graph_resolvable(const char *k)
{
    static const char *const kinds[] = {"calls", "references_type", "imports", "impl_for", "implements"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(k, kinds[i])) return kinds[i];
    return NULL;
}

/* A pass's rows; their strings live in `strings`. */
typedef struct {
    edge_row *items;
    size_t len, cap;
    plait_arena strings;
} edge_rows;


static void answer(resolver *r, edge_row *e)
{
    const char *target = e->target ? e->target : "";
    const char *scope = e->scope ? e->scope : plait_strmap_get(&r->edge_scope, e->src);
    if (!scope) scope = "";
    if (!strcmp(e->kind, "calls")) rv_call(r, e->src, target, scope, e->dst, &e->conf);
    else if (!strcmp(e->kind, "imports")) rv_import(r, target, scope, e->dst, &e->conf);
    else rv_type(r, target, scope, e->dst, &e->conf);
}

/* Every edge the resolver answers, from one scan of the table and then the pending ones:
 * type-like kinds into `types` (answered first), calls into `calls`. */
static int load_rows(resolver *r, const plait_pending_edge *pending, size_t npending, edge_rows *types, edge_rows *calls)
{
    sqlite3_stmt *q = NULL;
    const char *sql = "SELECT rowid, kind, src, target_path, scope, dst, confidence FROM edges "
                      "WHERE kind IN ('calls','impl_for','implements','imports','references_type') ORDER BY rowid";
    if (sqlite3_prepare_v2(r->db, sql, -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "resolving edges: %s", sqlite3_errmsg(r->db));
    /* Room for every row of the table in both vectors, so they never move while filling (a
     * copy of tens of MB); pages never touched are never made resident. */
    size_t most = 0;
    sqlite3_stmt *m;
    if (sqlite3_prepare_v2(r->db, "SELECT max(rowid) - min(rowid) + 1 FROM edges", -1, &m, NULL) == SQLITE_OK) {
        if (sqlite3_step(m) == SQLITE_ROW) most = (size_t)sqlite3_column_int64(m, 0);
        sqlite3_finalize(m);
    }
    PLAIT_VEC_GROW(types, most + npending);
    PLAIT_VEC_GROW(calls, most + npending);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *f[6];
        int is_call = sqlite3_column_bytes(q, 1) == 5 && !memcmp(sqlite3_column_text(q, 1), "calls", 5);
        edge_rows *to = is_call ? calls : types;
        rv_row_strings(q, 1, 6, f, &to->strings);
        edge_row e = {sqlite3_column_int64(q, 0), f[0], f[1], f[2], f[3], f[4], f[5], {0}, "exact", NULL};
        PLAIT_VEC_PUSH(to, e);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) return plait_error_set(PLAIT_EDB, "resolving edges: %s", sqlite3_errmsg(r->db));
    for (size_t i = 0; i < npending; i++) {
        const plait_pending_edge *p = &pending[i];
        edge_row e = {0, p->kind, p->src, p->target_path, p->scope, p->dst && p->dst[0] ? p->dst : NULL,
                      plait_confidence_name(p->confidence), {0}, "exact", p};
        PLAIT_VEC_PUSH(!strcmp(p->kind, "calls") ? calls : types, e);
    }
    return PLAIT_OK;
}

/* A pass's rows are cut into chunks.  Worker threads answer chunks in any order; the caller's
 * thread writes chunks in order as they are ready and answers chunks itself while the next
 * one to write is not ready, so the database writes overlap the answering.  The resolver's
 * tables are read-only while a pass runs. */
enum { PASS_CHUNK = 2048 };

typedef struct {
    resolver *r;
    edge_rows *rows;
    size_t nchunks;
    _Atomic size_t next;     /* the next chunk nobody answers yet */
    _Atomic int *done;       /* chunk answered */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} pass_work;

/* Answers one unclaimed chunk; 0 when none is left. */
static int answer_next(pass_work *w)
{
    size_t c = atomic_fetch_add(&w->next, 1);
    if (c >= w->nchunks) return 0;
    size_t to = (c + 1) * PASS_CHUNK < w->rows->len ? (c + 1) * PASS_CHUNK : w->rows->len;
    for (size_t i = c * PASS_CHUNK; i < to; i++) answer(w->r, &w->rows->items[i]);
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->done[c], 1);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 1;
}

static void *pass_worker(void *arg)
{
    pass_work *w = arg;
    rv_memo_begin();
    while (answer_next(w)) {}
    rv_memo_end();
    return NULL;
}

/* The caller's side: chunk c answered, by anyone (helping while it is not). */
static void wait_chunk(pass_work *w, size_t c)
{
    while (!atomic_load(&w->done[c]))
        if (!answer_next(w)) {
            pthread_mutex_lock(&w->mu);
            while (!atomic_load(&w->done[c])) pthread_cond_wait(&w->cv, &w->mu);
            pthread_mutex_unlock(&w->mu);
        }
}

/* A pending edge, inserted with its answer (the columns of the store's edge insert). */
static int insert_row(resolver *r, sqlite3_stmt *ins, const edge_row *e)
{
    const plait_pending_edge *p = e->pending;
    sqlite3_bind_text(ins, 1, p->src, -1, SQLITE_STATIC);
    if (e->dst[0]) sqlite3_bind_text(ins, 2, e->dst, -1, SQLITE_STATIC);
    else sqlite3_bind_null(ins, 2);
    sqlite3_bind_text(ins, 3, p->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 4, e->conf, -1, SQLITE_STATIC);
    if (p->target_path) sqlite3_bind_text(ins, 5, p->target_path, -1, SQLITE_STATIC);
    else sqlite3_bind_null(ins, 5);
    if (p->scope) sqlite3_bind_text(ins, 6, p->scope, -1, SQLITE_STATIC);
    else sqlite3_bind_null(ins, 6);
    sqlite3_bind_int64(ins, 7, p->file_id);
    if (p->line) sqlite3_bind_int64(ins, 8, p->line);
    else sqlite3_bind_null(ins, 8);
    int rc = sqlite3_step(ins) == SQLITE_DONE ? PLAIT_OK : plait_error_set(PLAIT_EDB, "writing an edge: %s", sqlite3_errmsg(r->db));
    sqlite3_reset(ins);
    return rc;
}

static int write_row(resolver *r, sqlite3_stmt *u, sqlite3_stmt *ins, edge_row *e, long *updated)
{
    if (e->dst[0] && !strcmp(e->kind, "impl_for")) plait_strmap_put(&r->impl_type, e->src, plait_arena_strdup(&r->arena_impls, e->dst));
    if (e->dst[0] && !strcmp(e->kind, "implements")) plait_strmap_put(&r->impl_trait, e->src, plait_arena_strdup(&r->arena_impls, e->dst));
    int same = !strcmp(e->old ? e->old : "", e->dst) && !strcmp(e->oldc ? e->oldc : "", e->conf);
    if (e->pending) {
        *updated += !same;
        return insert_row(r, ins, e);
    }
    if (same) return PLAIT_OK;
    sqlite3_bind_int64(u, 1, e->rowid);
    if (e->dst[0]) sqlite3_bind_text(u, 2, e->dst, -1, SQLITE_STATIC);
    else sqlite3_bind_null(u, 2);
    sqlite3_bind_text(u, 3, e->conf, -1, SQLITE_STATIC);
    int rc = sqlite3_step(u) == SQLITE_DONE ? PLAIT_OK : plait_error_set(PLAIT_EDB, "updating an edge: %s", sqlite3_errmsg(r->db));
    sqlite3_reset(u);
    (*updated)++;
    return rc;
}

/* One pass over loaded rows: answer each (on `threads` threads, the caller's included) and
 * write the rows whose answer changed. */
static int pass(resolver *r, edge_rows *rows, int threads, long *updated)
{
    sqlite3_stmt *u = NULL, *ins = NULL;
    if (sqlite3_prepare_v2(r->db, "UPDATE edges SET dst = ?2, confidence = ?3 WHERE rowid = ?1", -1, &u, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "INSERT INTO edges(src, dst, kind, confidence, target_path, scope, file_id, line) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins, NULL) != SQLITE_OK) {
        int rc = plait_error_set(PLAIT_EDB, "resolving edges: %s", sqlite3_errmsg(r->db));
        sqlite3_finalize(u);
        return rc;
    }
    pass_work w = {.r = r, .rows = rows, .nchunks = (rows->len + PASS_CHUNK - 1) / PASS_CHUNK};
    atomic_init(&w.next, 0);
    w.done = xcalloc(w.nchunks ? w.nchunks : 1, sizeof *w.done);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    if (threads < 1) threads = 1;
    if (threads > 8) threads = 8;
    pthread_t tid[8];
    int started[8] = {0};
    for (int t = 1; t < threads && w.nchunks > 1; t++) started[t] = pthread_create(&tid[t], NULL, pass_worker, &w) == 0;
    int rc = PLAIT_OK;
    rv_memo_begin();
    for (size_t c = 0; c < w.nchunks; c++) {
        wait_chunk(&w, c);
        size_t to = (c + 1) * PASS_CHUNK < rows->len ? (c + 1) * PASS_CHUNK : rows->len;
        for (size_t i = c * PASS_CHUNK; rc == PLAIT_OK && i < to; i++) rc = write_row(r, u, ins, &rows->items[i], updated);
    }
    rv_memo_end();
    for (int t = 1; t < threads; t++)
        if (started[t]) pthread_join(tid[t], NULL);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    free((void *)w.done);
    sqlite3_finalize(u);
    sqlite3_finalize(ins);
    return rc;
}

static void free_rows(edge_rows *rows)
{
    plait_arena_free(&rows->strings);
    PLAIT_VEC_FREE(rows);
}

/* Which arena each table's keys and values go to: the thread that fills a table owns it. */
static void resolver_init(resolver *r, sqlite3 *db)
{
    memset(r, 0, sizeof *r);
    r->db = db;
    plait_strmap *scopes[] = {&r->edge_scope, &r->fields, &r->info};
    plait_strmap *names[] = {&r->types, &r->values, &r->uses, &r->crates, &r->modules, &r->macros,
                             &r->methods, &r->globs, &r->crate_alias, &r->private};
    plait_strmap *impls[] = {&r->impl_type, &r->impl_trait, &r->type_methods, &r->trait_methods, &r->type_traits};
    for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++) plait_strmap_init_arena(scopes[i], &r->arena_scopes);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) plait_strmap_init_arena(names[i], &r->arena_names);
    for (size_t i = 0; i < sizeof impls / sizeof *impls; i++) plait_strmap_init_arena(impls[i], &r->arena_impls);
}

static void resolver_free(resolver *r)
{
    plait_strmap *all[] = {&r->edge_scope, &r->fields, &r->info, &r->types, &r->values, &r->uses, &r->crates,
                           &r->modules, &r->macros, &r->methods, &r->globs, &r->crate_alias, &r->private,
                           &r->impl_type, &r->impl_trait, &r->type_methods, &r->trait_methods, &r->type_traits};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) plait_strmap_free(all[i]);
    plait_arena_free(&r->arena_scopes);
    plait_arena_free(&r->arena_names);
    plait_arena_free(&r->arena_impls);
}

int plait_graph_resolve(sqlite3 *db, int threads, const plait_pending_edge *pending, size_t npending, long *updated)
{
    resolver r;
    resolver_init(&r, db);
    *updated = 0;
    edge_rows types = {0}, calls = {0};
    /* the edge rows are read while the name tables are being built */
    int rc = rv_load_begin(&r);
    if (rc == PLAIT_OK) rc = load_rows(&r, pending, npending, &types, &calls);
    rv_load_end(&r);
    /* types first: call sites need to know which impls belong to which type */
    if (rc == PLAIT_OK) rc = pass(&r, &types, threads, updated);
    free_rows(&types);
    if (rc == PLAIT_OK) {
        rv_index_methods(&r);
        rc = pass(&r, &calls, threads, updated);
    }
    free_rows(&calls);
    resolver_free(&r);
    return rc;
}
