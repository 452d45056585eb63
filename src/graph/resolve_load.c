/*
 * resolve_load.c - fills the resolver's name tables from the nodes table.
 *
 * Loading is the largest serial step of resolution on a big index (rust-src library/: 117k
 * nodes, ~1M map entries), and it runs while one of the two cores would otherwise idle.  So
 * it is split: rv_load_begin reads the rows (SQLite, on the caller's thread), sorts them by
 * key and hands them to two builder threads — one for scopes, fields and node infos, one
 * for the namespaces — and returns, so the caller can read the edge rows meanwhile;
 * rv_load_end joins the builders.  The builders touch disjoint maps and only read the rows.
 *
 * Rows are sorted by key before building, so every table is the same whatever order SQLite
 * returned them in (cfg'd twins: the last `use` by key wins; candidate lists in key order).
 */
#include "graph/resolve_internal.h"
#include "plait/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NC_KEY, NC_KIND, NC_PATH, NC_NAME, NC_SCOPE, NC_TARGET, NC_PARENT, NC_CRATE, NC_VIS, NC_SIG, NC_COUNT };

struct rv_node_row {
    const char *c[NC_COUNT]; /* NULL for SQL NULL; in r->arena_nodes */
};

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const rv_node_row *)a)->c[NC_KEY], ((const rv_node_row *)b)->c[NC_KEY]);
}

static int is_type_kind(const char *k)
{
    return !strcmp(k, "struct") || !strcmp(k, "enum") || !strcmp(k, "union") || !strcmp(k, "type_alias") ||
           !strcmp(k, "trait") || !strcmp(k, "module") || !strcmp(k, "crate");
}

static int is_value_kind(const char *k)
{
    return !strcmp(k, "function") || !strcmp(k, "method") || !strcmp(k, "const") || !strcmp(k, "static") ||
           !strcmp(k, "variant") || !strcmp(k, "struct");
}

static int has_info(const char *k)
{
    return !strcmp(k, "method") || !strcmp(k, "function") || !strcmp(k, "impl") || !strcmp(k, "trait") ||
           !strcmp(k, "macro") || !strcmp(k, "module") || !strcmp(k, "crate") || !strcmp(k, "type_alias");
}

static int is_private(const char *vis) { return !vis || !strcmp(vis, "private"); }

static char *dup_or_null(plait_arena *a, const char *s) { return s ? plait_arena_strdup(a, s) : NULL; }

/* "struct key\x1fname" -> "scope\x1ftype as written", from a field's signature */
static void add_field(resolver *r, const rv_node_row *n)
{
    const char *sig = n->c[NC_SIG], *parent = n->c[NC_PARENT], *colon = sig ? strstr(sig, ": ") : NULL;
    const char *ty = colon ? colon + 2 : sig;
    if (!ty || !parent || !n->c[NC_SCOPE]) return;
    if (!colon && !strncmp(ty, "pub", 3)) ty = strchr(ty, ' ') ? strchr(ty, ' ') + 1 : ty; /* pub T */
    char *fk = rv_join(parent, "\x1f", n->c[NC_NAME]), *fv = rv_join(n->c[NC_SCOPE], "\x1f", ty);
    plait_strmap_put(&r->fields, fk, plait_arena_strdup(&r->arena_scopes, fv));
    free(fk);
    free(fv);
}

/* Builder 1: the scope each node's edges are written in, struct fields, node infos. */
static void *build_scopes(void *arg)
{
    resolver *r = arg;
    for (size_t i = 0; i < r->rows_len; i++) {
        const rv_node_row *n = &r->rows[i];
        const char *kind = n->c[NC_KIND];
        /* Edges do not store the scope their path was written in: a function's body looks
         * names up from the function (its local items first), anything else from its scope. */
        const char *esc = !strcmp(kind, "function") ? n->c[NC_PATH] : n->c[NC_SCOPE];
        plait_arena *a = &r->arena_scopes;
        if (esc) plait_strmap_put(&r->edge_scope, n->c[NC_KEY], plait_arena_strdup(a, esc));
        if (!strcmp(kind, "field")) add_field(r, n);
        if (!has_info(kind)) continue;
        node_info *ni = plait_arena_alloc(a, sizeof *ni);
        ni->kind = plait_arena_strdup(a, kind);
        ni->path = plait_arena_strdup(a, n->c[NC_PATH]);
        ni->name = plait_arena_strdup(a, n->c[NC_NAME]);
        ni->parent = dup_or_null(a, n->c[NC_PARENT]);
        ni->target = dup_or_null(a, n->c[NC_TARGET]);
        ni->crate = dup_or_null(a, n->c[NC_CRATE]);
        /* return types (functions, methods) and alias targets are read from signatures */
        int has_sig = !strcmp(kind, "function") || !strcmp(kind, "method") || !strcmp(kind, "type_alias");
        ni->sig = has_sig ? dup_or_null(a, n->c[NC_SIG]) : NULL;
        plait_strmap_put(&r->info, n->c[NC_KEY], ni);
    }
    return NULL;
}

/* A `use` item: a glob, an `extern crate` alias, or one imported name of its scope. */
static void add_use(resolver *r, const rv_node_row *n)
{
    const char *scope = n->c[NC_SCOPE], *target = n->c[NC_TARGET], *name = n->c[NC_NAME];
    if (!scope || !target || !strcmp(name, "_")) return;
    int priv = is_private(n->c[NC_VIS]);
    if (!strcmp(name, "*")) { /* "+a::b" for `pub use a::b::*`, "-a::b" for a private glob */
        size_t tn = strlen(target);
        char *mod = tn > 3 && !strcmp(target + tn - 3, "::*") ? xstrndup(target, tn - 3) : xstrdup(target);
        char *entry = rv_join(priv ? "-" : "+", "", mod);
        rv_push(&r->globs, scope, entry);
        free(entry);
        free(mod);
        return;
    }
    if (strstr(n->c[NC_PATH], "extern crate ") && !strstr(scope, "::")) { /* the crate's extern prelude */
        char *ak = rv_join(scope, "\x1f", name);
        plait_strmap_put(&r->crate_alias, ak, plait_arena_strdup(&r->arena_names, !strcmp(target, "self") ? scope : target));
        free(ak);
    }
    char *k = rv_join(scope, "\x1f", name);
    plait_strmap_put(&r->uses, k, plait_arena_strdup(&r->arena_names, target)); /* cfg'd twins: last by key wins */
    if (priv) plait_strmap_put(&r->private, k, (void *)1);
    free(k);
}

/* Builder 2: imports, globs, visibility and the two namespaces. */
static void *build_names(void *arg)
{
    resolver *r = arg;
    for (size_t i = 0; i < r->rows_len; i++) {
        const rv_node_row *n = &r->rows[i];
        const char *kind = n->c[NC_KIND], *key = n->c[NC_KEY], *path = n->c[NC_PATH];
        if (!strcmp(kind, "field")) continue;
        if (!strcmp(kind, "use")) {
            add_use(r, n);
            continue;
        }
        if (is_private(n->c[NC_VIS])) plait_strmap_put(&r->private, key, (void *)1);
        if (!strcmp(kind, "crate")) plait_strmap_put(&r->crates, n->c[NC_NAME], (void *)1);
        if (!strcmp(kind, "crate") || !strcmp(kind, "module")) plait_strmap_put(&r->modules, path, (void *)1);
        if (is_type_kind(kind)) rv_push(&r->types, path, key);
        if (is_value_kind(kind)) rv_push(&r->values, path, key);
        if (!strcmp(kind, "macro")) rv_push(&r->macros, n->c[NC_NAME], key);
        if (!strcmp(kind, "method")) rv_push(&r->methods, n->c[NC_NAME], key);
    }
    return NULL;
}

void rv_row_strings(sqlite3_stmt *q, int first, int n, const char **out, plait_arena *arena)
{
    size_t len[16], total = 0;
    for (int i = 0; i < n; i++)
        total += (len[i] = sqlite3_column_type(q, first + i) != SQLITE_NULL ? (size_t)sqlite3_column_bytes(q, first + i) + 1 : 0);
    char *at = plait_arena_chars(arena, total);
    for (int i = 0; i < n; i++) {
        out[i] = len[i] ? memcpy(at, sqlite3_column_text(q, first + i), len[i]) : NULL;
        at += len[i];
    }
}

static int read_rows(resolver *r)
{
    sqlite3_stmt *q;
    const char *sql = "SELECT key, kind, path, name, scope, target, parent, crate, visibility, "
                      "CASE WHEN kind IN ('field', 'function', 'method', 'type_alias') THEN signature END FROM nodes";
    if (sqlite3_prepare_v2(r->db, sql, -1, &q, NULL) != SQLITE_OK)
        return plait_error_set(PLAIT_EDB, "loading names: %s", sqlite3_errmsg(r->db));
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        rv_node_row n;
        rv_row_strings(q, 0, NC_COUNT, n.c, &r->arena_nodes);
        if (r->rows_len == cap) r->rows = xrealloc(r->rows, (cap = cap ? cap * 2 : 4096) * sizeof *r->rows);
        r->rows[r->rows_len++] = n;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? PLAIT_OK : plait_error_set(PLAIT_EDB, "loading names: %s", sqlite3_errmsg(r->db));
}

/* Renamed dependencies, one "CRATE ALIAS REAL" line each (index/writer.c stores them). */
static void load_crate_aliases(resolver *r)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, "SELECT value FROM meta WHERE key = 'crate_aliases'", -1, &q, NULL) != SQLITE_OK) return;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) {
        char *all = xstrdup((const char *)sqlite3_column_text(q, 0));
        for (char *save = NULL, *line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char krate[128], alias[128], real[128];
            if (sscanf(line, "%127s %127s %127s", krate, alias, real) != 3) continue;
            char *ak = rv_join(krate, "\x1f", alias);
            plait_strmap_put(&r->crate_alias, ak, plait_arena_strdup(&r->arena_names, real));
            free(ak);
        }
        free(all);
    }
    sqlite3_finalize(q);
}

int rv_load_begin(resolver *r)
{
    int rc = read_rows(r);
    if (rc != PLAIT_OK) return rc;
    qsort(r->rows, r->rows_len, sizeof *r->rows, cmp_rows);
    r->builders_started = 0;
    if (pthread_create(&r->builders[0], NULL, build_scopes, r) == 0) r->builders_started |= 1;
    else build_scopes(r);
    if (pthread_create(&r->builders[1], NULL, build_names, r) == 0) r->builders_started |= 2;
    else build_names(r);
    return PLAIT_OK;
}

void rv_load_end(resolver *r)
{
    for (int t = 0; t < 2; t++)
        if (r->builders_started & (1 << t)) pthread_join(r->builders[t], NULL);
    r->builders_started = 0;
    load_crate_aliases(r); /* after the builders: Cargo renames override `extern crate` aliases */
    plait_arena_free(&r->arena_nodes);
    free(r->rows);
    r->rows = NULL;
    r->rows_len = 0;
}
