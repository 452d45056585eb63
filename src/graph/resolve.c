/*
 * resolve.c - fills in impl_for / implements edges by name, over the whole index.
 *
 * Runs after a batch of files is written, so it sees every crate.  A written path is looked up
 * from the module it was written in: first segment `crate`/`self`/`super`/a workspace crate
 * name, else an item of that module, else a `use` import of that module (followed through
 * its own path, which may itself need resolving).  The last segment must name a type-like item
 * (struct, enum, union, type alias, trait).  A path into a crate that is not indexed stays
 * unresolved with its written path kept; several candidates (cfg'd twins) give `ambiguous`.
 */
#include "graph/graph.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "plait/error.h"

#include <stdlib.h>
#include <string.h>

typedef PLAIT_VEC(char *) strvec;

typedef struct {
    sqlite3 *db;
    plait_strmap by_path;  /* canonical path -> strvec* of keys (type-like items and modules) */
    plait_strmap uses;     /* "scope\x1fname" -> target path as written */
    plait_strmap crates;   /* crate name -> (void*)1 */
    plait_strmap modules;  /* module and crate paths -> (void*)1 */
} resolver;

static void add_path(resolver *r, const char *path, const char *key)
{
    strvec *v = plait_strmap_get(&r->by_path, path);
    if (!v) {
        v = xcalloc(1, sizeof *v);
        plait_strmap_put(&r->by_path, path, v);
    }
    PLAIT_VEC_PUSH(v, xstrdup(key));
}

static int load(resolver *r)
{
    sqlite3_stmt *q;
    const char *sql = "SELECT key, kind, path, name, scope, target FROM nodes WHERE kind IN "
                      "('struct','enum','union','type_alias','trait','module','crate','use') ORDER BY key";
    if (sqlite3_prepare_v2(r->db, sql, -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "loading names: %s", sqlite3_errmsg(r->db));
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q, 0), *kind = (const char *)sqlite3_column_text(q, 1);
        const char *path = (const char *)sqlite3_column_text(q, 2), *name = (const char *)sqlite3_column_text(q, 3);
        if (!strcmp(kind, "use")) {
            const char *scope = (const char *)sqlite3_column_text(q, 4), *target = (const char *)sqlite3_column_text(q, 5);
            if (!scope || !target || !strcmp(name, "*") || !strcmp(name, "_")) continue;
            char *k = xasprintf("%s\x1f%s", scope, name);
            char *old = plait_strmap_put(&r->uses, k, xstrdup(target));
            free(old); /* duplicates (cfg'd imports): the last by key wins, deterministically */
            free(k);
            continue;
        }
        if (!strcmp(kind, "crate")) plait_strmap_put(&r->crates, name, (void *)1);
        if (!strcmp(kind, "crate") || !strcmp(kind, "module")) plait_strmap_put(&r->modules, path, (void *)1);
        add_path(r, path, key);
    }
    sqlite3_finalize(q);
    return PLAIT_OK;
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

/* Turns a written path into an absolute candidate path; NULL if it leaves the index. */
static char *absolute(resolver *r, const char *written, const char *scope, int depth)
{
    if (depth > 8) return NULL;
    const char *p = written;
    if (!strncmp(p, "::", 2)) p += 2;
    const char *sep = strstr(p, "::");
    char *first = sep ? xstrndup(p, (size_t)(sep - p)) : xstrdup(p);
    const char *rest = sep ? sep + 2 : "";
    char *base = NULL;
    if (!strcmp(first, "crate") || !strcmp(first, "$crate")) {
        base = crate_of(scope);
    } else if (!strcmp(first, "self")) {
        base = xstrdup(scope);
    } else if (!strcmp(first, "super")) {
        base = parent_of(scope);
        while (base && !strncmp(rest, "super::", 7)) {
            char *up = parent_of(base);
            free(base);
            base = up;
            rest += 7;
        }
    } else if (!strcmp(first, "Self")) {
        base = NULL;
    } else {
        /* a function body sees its own items, then those of the enclosing scopes up to the
         * first module (modules do not inherit their parent's names) */
        char *sc = xstrdup(scope);
        while (!plait_strmap_get(&r->modules, sc)) {
            char *local = xasprintf("%s::%s", sc, first);
            int hit = plait_strmap_get(&r->by_path, local) != NULL;
            free(local);
            char *up = hit ? NULL : parent_of(sc);
            if (hit || !up) {
                free(up);
                break;
            }
            free(sc);
            sc = up;
        }
        scope = sc;
        char *local = xasprintf("%s::%s", scope, first);
        char *uk = xasprintf("%s\x1f%s", scope, first);
        const char *via_use = plait_strmap_get(&r->uses, uk);
        if (plait_strmap_get(&r->by_path, local)) {
            base = local;
            local = NULL;
        } else if (via_use) {
            base = absolute(r, via_use, scope, depth + 1);
        } else if (plait_strmap_get(&r->crates, first) && written[0] != ':') {
            base = xstrdup(first);
        } else if (written[0] == ':' && plait_strmap_get(&r->crates, first)) {
            base = xstrdup(first);
        }
        free(local);
        free(uk);
        free(sc);
    }
    free(first);
    if (!base) return NULL;
    char *full = *rest ? xasprintf("%s::%s", base, rest) : base;
    if (*rest) free(base);
    return full;
}

/* Answers one edge: sets dst ("" if unresolved) and confidence. */
static void answer(resolver *r, const char *target, const char *scope, char dst[PLAIT_KEY_LEN], const char **conf)
{
    dst[0] = '\0';
    *conf = "exact";
    char *abs = absolute(r, target, scope, 0);
    if (!abs) return;
    strvec *v = plait_strmap_get(&r->by_path, abs);
    free(abs);
    if (!v || !v->len) return;
    memcpy(dst, v->items[0], PLAIT_KEY_LEN);
    if (v->len > 1) *conf = "ambiguous";
}

int plait_graph_resolve(sqlite3 *db, long *updated)
{
    resolver r = {.db = db};
    plait_strmap_init(&r.by_path);
    plait_strmap_init(&r.uses);
    plait_strmap_init(&r.crates);
    plait_strmap_init(&r.modules);
    *updated = 0;
    int rc = load(&r);
    sqlite3_stmt *q = NULL, *u = NULL;
    if (rc == PLAIT_OK &&
        (sqlite3_prepare_v2(db, "SELECT rowid, target_path, scope, dst, confidence FROM edges "
                                "WHERE kind IN ('impl_for','implements')", -1, &q, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(db, "UPDATE edges SET dst = ?2, confidence = ?3 WHERE rowid = ?1", -1, &u, NULL) != SQLITE_OK))
        rc = plait_error_set(PLAIT_EDB, "resolving edges: %s", sqlite3_errmsg(db));
    while (rc == PLAIT_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *target = (const char *)sqlite3_column_text(q, 1), *scope = (const char *)sqlite3_column_text(q, 2);
        const char *old = (const char *)sqlite3_column_text(q, 3), *oldc = (const char *)sqlite3_column_text(q, 4);
        char dst[PLAIT_KEY_LEN];
        const char *conf;
        answer(&r, target ? target : "", scope ? scope : "", dst, &conf);
        if (!strcmp(old ? old : "", dst) && !strcmp(oldc ? oldc : "", conf)) continue;
        sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
        if (dst[0]) sqlite3_bind_text(u, 2, dst, -1, SQLITE_TRANSIENT);
        else sqlite3_bind_null(u, 2);
        sqlite3_bind_text(u, 3, conf, -1, SQLITE_STATIC);
        if (sqlite3_step(u) != SQLITE_DONE) rc = plait_error_set(PLAIT_EDB, "updating an edge: %s", sqlite3_errmsg(db));
        sqlite3_reset(u);
        (*updated)++;
    }
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(&r.by_path, &pos, NULL, &v)) {
        strvec *sv = v;
        for (size_t i = 0; i < sv->len; i++) free(sv->items[i]);
        free(sv->items);
        free(sv);
    }
    pos = 0;
    while (plait_strmap_next(&r.uses, &pos, NULL, &v)) free(v);
    plait_strmap_free(&r.by_path);
    plait_strmap_free(&r.uses);
    plait_strmap_free(&r.crates);
    plait_strmap_free(&r.modules);
    return rc;
}
