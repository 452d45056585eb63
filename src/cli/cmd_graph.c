/* cmd_graph.c - graph walks: callers, callees, impls, refs.  Each starts from the items a
 * canonical path or key names and follows edges breadth-first up to --depth levels, keeping
 * edges at or above --min-confidence; every hit shows where (file:line) and how sure. */
#include "cli/cli.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "plait/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { WALK_CALLERS, WALK_CALLEES, WALK_IMPLS, WALK_REFS } walk_kind;

static const char *conf_filter(const char *min)
{
    if (!min || !strcmp(min, "ambiguous")) return "('exact','inferred','ambiguous')";
    if (!strcmp(min, "inferred")) return "('exact','inferred')";
    if (!strcmp(min, "exact")) return "('exact')";
    return NULL;
}

/* The edges one step away from `key`, as JSON rows {key, path, kind, file, line, confidence, via}. */
static json_t *step(sqlite3 *db, walk_kind w, const char *key, const char *confs)
{
    /* incoming edges: the other end is src; outgoing: dst (or the written path if unresolved) */
    const char *in = "SELECT n.key, n.path, n.kind, f.path, coalesce(e.line, n.line_start), e.confidence, e.kind, NULL "
                     "FROM edges e JOIN nodes n ON n.key = e.src JOIN files f ON f.id = e.file_id "
                     "WHERE e.dst = ?1 AND e.kind IN %s AND e.confidence IN %s ORDER BY n.path, e.line";
    const char *out = "SELECT n.key, n.path, n.kind, f.path, e.line, e.confidence, e.kind, e.target_path "
                      "FROM edges e LEFT JOIN nodes n ON n.key = e.dst JOIN files f ON f.id = e.file_id "
                      "WHERE e.src = ?1 AND e.kind IN %s AND (e.dst IS NULL OR e.confidence IN %s) ORDER BY e.line, n.path";
    const char *kinds = w == WALK_IMPLS ? "('impl_for','implements')"
                      : w == WALK_REFS  ? "('calls','impl_for','implements','imports','references_type')"
                                        : "('calls')";
    char *sql = xasprintf(w == WALK_CALLEES ? out : in, kinds, confs);
    sqlite3_stmt *q;
    json_t *arr = json_array();
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW) {
            json_t *o = json_object();
            static const char *const names[] = {"key", "path", "kind", "file", "line", "confidence", "edge", "unresolved"};
            for (int i = 0; i < 8; i++) {
                int t = sqlite3_column_type(q, i);
                json_object_set_new(o, names[i], t == SQLITE_NULL      ? json_null()
                                                 : t == SQLITE_INTEGER ? json_integer(sqlite3_column_int64(q, i))
                                                                       : json_string((const char *)sqlite3_column_text(q, i)));
            }
            json_array_append_new(arr, o);
        }
        sqlite3_finalize(q);
    }
    free(sql);
    return arr;
}

static int cmd_walk(cli_opts *o, walk_kind w, const char *verb)
{
    if (o->argc < 1) {
        fprintf(stderr, "plait %s: give an ITEM (canonical path or key), e.g. `plait %s syn::parse::Parser`\n", verb, verb);
        return EXIT_USAGE;
    }
    const char *confs = conf_filter(o->min_confidence);
    if (!confs) {
        fprintf(stderr, "plait %s: --min-confidence is exact, inferred or ambiguous\n", verb);
        return EXIT_USAGE;
    }
    int ec = 0;
    plait_store *s = cli_open_index(o, &ec);
    if (!s) return ec;
    sqlite3 *db = plait_store_db(s);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT key, path FROM nodes WHERE (path = ?1 OR key = ?1) AND kind != 'use' ORDER BY key", -1, &q, NULL);
    sqlite3_bind_text(q, 1, o->argv[0], -1, SQLITE_STATIC);
    json_t *frontier = json_array(), *all = json_array();
    plait_strmap seen;
    plait_strmap_init(&seen);
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_array_append_new(frontier, json_string((const char *)sqlite3_column_text(q, 0)));
        plait_strmap_put(&seen, (const char *)sqlite3_column_text(q, 0), (void *)1);
    }
    sqlite3_finalize(q);
    if (!json_array_size(frontier)) {
        fprintf(stderr, "plait %s: no item `%s`; try `plait find`\n", verb, o->argv[0]);
        json_decref(frontier);
        json_decref(all);
        plait_strmap_free(&seen);
        plait_store_close(s);
        return EXIT_NOTFOUND;
    }
    int depth = o->depth > 0 ? o->depth : 1;
    for (int d = 1; d <= depth && json_array_size(frontier); d++) {
        json_t *next = json_array();
        size_t i, k;
        json_t *from, *hit;
        json_array_foreach(frontier, i, from) {
            json_t *hits = step(db, w, json_string_value(from), confs);
            json_array_foreach(hits, k, hit) {
                json_object_set_new(hit, "depth", json_integer(d));
                json_object_set_new(hit, "from", json_copy(from));
                const char *hk = json_string_value(json_object_get(hit, "key"));
                if (hk && !plait_strmap_get(&seen, hk)) {
                    plait_strmap_put(&seen, hk, (void *)1);
                    json_array_append_new(next, json_string(hk));
                }
                json_array_append(all, hit);
            }
            json_decref(hits);
        }
        json_decref(frontier);
        frontier = next;
    }
    json_decref(frontier);
    plait_strmap_free(&seen);
    size_t i;
    json_t *h;
    if (o->json) {
        char *txt = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(txt ? txt : "[]");
        free(txt);
    } else {
        json_array_foreach(all, i, h) {
            const char *path = json_string_value(json_object_get(h, "path"));
            printf("%*s%-10s %s  %s:%lld  (%s)\n", 2 * ((int)json_integer_value(json_object_get(h, "depth")) - 1), "",
                   json_string_value(json_object_get(h, "edge")),
                   path ? path : json_string_value(json_object_get(h, "unresolved")),
                   json_string_value(json_object_get(h, "file")), json_integer_value(json_object_get(h, "line")),
                   path ? json_string_value(json_object_get(h, "confidence")) : "unresolved");
        }
        if (!json_array_size(all)) fprintf(stderr, "plait %s: nothing found for `%s`\n", verb, o->argv[0]);
    }
    int n = (int)json_array_size(all);
    json_decref(all);
    plait_store_close(s);
    return n ? EXIT_OKAY : EXIT_NOTFOUND;
}

int cmd_callers(cli_opts *o) { return cmd_walk(o, WALK_CALLERS, "callers"); }
int cmd_callees(cli_opts *o) { return cmd_walk(o, WALK_CALLEES, "callees"); }
int cmd_impls(cli_opts *o) { return cmd_walk(o, WALK_IMPLS, "impls"); }
int cmd_refs(cli_opts *o) { return cmd_walk(o, WALK_REFS, "refs"); }
