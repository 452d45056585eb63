/* cmd_query.c - the read-only commands: status, find, show, export.  They open the index with
 * a read-only connection, so they run while `plait index` writes (WAL). */
#include "discover/deps.h"
#include "cli/cli.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "discover/glob.h"
#include "search/text.h"
#include "search/vecs.h"
#include "store/store.h"
#include "plait/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

plait_store *cli_open_index(cli_opts *o, int *exit_code)
{
    char *db = cli_db_path(o, ".");
    plait_store *s = NULL;
    int rc = plait_store_open(db, 0, 1, &s);
    free(db);
    if (rc != PLAIT_OK) {
        fprintf(stderr, "plait: %s\n", plait_error_last());
        *exit_code = rc == PLAIT_ENOTFOUND ? EXIT_NOINDEX : cli_exit_for(rc);
        return NULL;
    }
    return s;
}

static json_t *col_json(sqlite3_stmt *q, int i)
{
    switch (sqlite3_column_type(q, i)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(q, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(q, i));
    case SQLITE_NULL: return json_null();
    case SQLITE_BLOB: {
        char hex[PLAIT_HASH_HEX * 2];
        int n = sqlite3_column_bytes(q, i);
        if (n > PLAIT_HASH_BYTES) n = PLAIT_HASH_BYTES;
        plait_hex(sqlite3_column_blob(q, i), (size_t)n, hex);
        return json_string(hex);
    }
    default: return json_string((const char *)sqlite3_column_text(q, i));
    }
}

/* One row as a JSON object with the statement's column names. */
static json_t *row_json(sqlite3_stmt *q)
{
    json_t *o = json_object();
    for (int i = 0; i < sqlite3_column_count(q); i++) json_object_set_new(o, sqlite3_column_name(q, i), col_json(q, i));
    /* a dependency's file (plait index --with-deps) is stored by absolute path: its items are
     * external to the workspace */
    const char *file = json_string_value(json_object_get(o, "file"));
    if (file && plait_deps_is_dep_path(file)) json_object_set_new(o, "external", json_true());
    return o;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    puts(s ? s : "null");
    free(s);
}

static long long scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    long long v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static char *meta_text(sqlite3 *db, const char *key)
{
    sqlite3_stmt *q;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) v = xstrdup((const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    return v;
}

/* Vectors: how many embeddable nodes have one for the recorded model, why the rest do not,
 * the model, the HTTP breaker as the last run left it, and whether the HNSW file is current. */
static json_t *vectors_json(sqlite3 *db, const char *db_path)
{
    char *model = meta_text(db, "embed_model"), *status = meta_text(db, "embed_status");
    char *breaker = meta_text(db, "embed_breaker"), *provider = meta_text(db, "embed_provider");
    long long embeddable = scalar(db, "SELECT count(*) FROM nodes WHERE " PLAIT_TEXT_KIND_SQL), have = 0;
    sqlite3_stmt *q;
    if (model && sqlite3_prepare_v2(db, "SELECT count(*) FROM nodes n JOIN node_vecs v ON v.key = n.key AND v.model = ?1 "
                                        "AND v.stamp = n.stamp WHERE n." PLAIT_TEXT_KIND_SQL, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, model, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) have = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    const char *file_state = "none";
    char *path = NULL;
    if (model) {
        char *dir = plait_path_dirname(db_path);
        path = plait_vecs_file(dir[0] ? dir : ".", model);
        free(dir);
        uint64_t gen = 0;
        file_state = plait_vecs_peek(path, &gen) != PLAIT_OK ? "missing"
                     : gen == plait_vecs_generation(db)    ? "current"
                                                           : "stale (rebuilt by the next `plait index`)";
    }
    json_t *v = json_pack("{s:s?, s:s?, s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s, s:I}", "provider", provider, "model", model,
                          "embeddable", (json_int_t)embeddable, "present", (json_int_t)have, "missing",
                          (json_int_t)(embeddable - have), "status", status, "breaker", breaker, "file", path, "file_state",
                          file_state, "fts_rows", (json_int_t)scalar(db, "SELECT count(*) FROM nodes_fts"));
    free(model);
    free(status);
    free(breaker);
    free(provider);
    free(path);
    return v;
}

static void print_vectors(json_t *v)
{
    const char *status = json_string_value(json_object_get(v, "status"));
    printf("vectors: %lld of %lld nodes (%lld missing)", json_integer_value(json_object_get(v, "present")),
           json_integer_value(json_object_get(v, "embeddable")), json_integer_value(json_object_get(v, "missing")));
    if (json_integer_value(json_object_get(v, "missing")) || (status && strcmp(status, "complete") != 0))
        printf("; %s", status ? status : "not embedded yet: run `plait index`");
    putchar('\n');
    if (json_is_string(json_object_get(v, "model")))
        printf("  model %s (%s); vector index file %s\n", json_string_value(json_object_get(v, "model")),
               json_string_value(json_object_get(v, "provider")), json_string_value(json_object_get(v, "file_state")));
    if (json_is_string(json_object_get(v, "breaker")))
        printf("  breaker: %s\n", json_string_value(json_object_get(v, "breaker")));
}

int cmd_status(cli_opts *o)
{
    int ec = 0;
    plait_store *s = cli_open_index(o, &ec);
    if (!s) return ec;
    sqlite3 *db = plait_store_db(s);
    json_t *st = json_object(), *kinds = json_object(), *diags = json_array();
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT kind, count(*) FROM nodes GROUP BY kind ORDER BY kind", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW)
        json_object_set_new(kinds, (const char *)sqlite3_column_text(q, 0), json_integer(sqlite3_column_int64(q, 1)));
    sqlite3_finalize(q);
    json_object_set_new(st, "files", json_integer(scalar(db, "SELECT count(*) FROM files")));
    json_object_set_new(st, "lines", json_integer(scalar(db, "SELECT total(lines) FROM files")));
    json_object_set_new(st, "nodes", json_integer(scalar(db, "SELECT count(*) FROM nodes")));
    json_object_set_new(st, "edges", json_integer(scalar(db, "SELECT count(*) FROM edges")));
    json_object_set_new(st, "edges_unresolved", json_integer(scalar(db, "SELECT count(*) FROM edges WHERE dst IS NULL")));
    json_object_set_new(st, "kinds", kinds);
    json_t *ekinds = json_object(); /* per edge kind: how many, and how many found their target */
    sqlite3_prepare_v2(db, "SELECT kind, count(*), count(dst) FROM edges GROUP BY kind ORDER BY kind", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW)
        json_object_set_new(ekinds, (const char *)sqlite3_column_text(q, 0),
                            json_pack("{s:I, s:I}", "total", (json_int_t)sqlite3_column_int64(q, 1), "resolved",
                                      (json_int_t)sqlite3_column_int64(q, 2)));
    sqlite3_finalize(q);
    json_object_set_new(st, "edge_kinds", ekinds);
    json_object_set_new(st, "files_with_diagnostics", json_integer(scalar(db, "SELECT count(DISTINCT path) FROM diagnostics")));
    sqlite3_prepare_v2(db, "SELECT path, severity, line, code, message FROM diagnostics ORDER BY severity = 'info', path, line LIMIT 20", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) json_array_append_new(diags, row_json(q));
    sqlite3_finalize(q);
    json_object_set_new(st, "diagnostics", diags);
    json_object_set_new(st, "db_bytes", json_integer(scalar(db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")));
    sqlite3_prepare_v2(db, "SELECT started, seconds, files_seen, files_parsed, files_deleted, status FROM runs ORDER BY id DESC LIMIT 1", -1, &q, NULL);
    json_object_set_new(st, "last_run", sqlite3_step(q) == SQLITE_ROW ? row_json(q) : json_null());
    sqlite3_finalize(q);
    char *dbp = cli_db_path(o, ".");
    json_object_set_new(st, "vectors", vectors_json(db, dbp));
    free(dbp);
    if (o->json) {
        print_json(st);
    } else {
        printf("files %lld, lines %lld, nodes %lld, edges %lld (%lld unresolved), database %.1f MB\n",
               json_integer_value(json_object_get(st, "files")), json_integer_value(json_object_get(st, "lines")),
               json_integer_value(json_object_get(st, "nodes")), json_integer_value(json_object_get(st, "edges")),
               json_integer_value(json_object_get(st, "edges_unresolved")),
               (double)json_integer_value(json_object_get(st, "db_bytes")) / 1e6);
        const char *k;
        json_t *v;
        printf("by kind:");
        json_object_foreach(kinds, k, v) printf(" %s %lld", k, json_integer_value(v));
        printf("\nedges:");
        json_object_foreach(json_object_get(st, "edge_kinds"), k, v)
            printf(" %s %lld/%lld", k, json_integer_value(json_object_get(v, "resolved")),
                   json_integer_value(json_object_get(v, "total")));
        printf(" (resolved/total)\nfiles with diagnostics: %lld\n", json_integer_value(json_object_get(st, "files_with_diagnostics")));
        size_t i;
        json_array_foreach(diags, i, v)
            printf("  %s %s:%lld [%s] %s\n", json_string_value(json_object_get(v, "severity")),
                   json_string_value(json_object_get(v, "path")), json_integer_value(json_object_get(v, "line")),
                   json_string_value(json_object_get(v, "code")), json_string_value(json_object_get(v, "message")));
        json_t *lr = json_object_get(st, "last_run");
        if (json_is_object(lr))
            printf("last run that changed the index: %lld files seen, %lld parsed, %lld removed, %.2fs, %s\n",
                   json_integer_value(json_object_get(lr, "files_seen")), json_integer_value(json_object_get(lr, "files_parsed")),
                   json_integer_value(json_object_get(lr, "files_deleted")), json_real_value(json_object_get(lr, "seconds")),
                   json_string_value(json_object_get(lr, "status")));
        print_vectors(json_object_get(st, "vectors"));
    }
    json_decref(st);
    plait_store_close(s);
    return EXIT_OKAY;
}

#define NODE_COLS "n.key, n.kind, n.name, n.path, f.path AS file, n.line_start, n.line_end, n.byte_start, n.byte_end, " \
                  "n.visibility, n.content_hash, n.stamp"

int cmd_find(cli_opts *o)
{
    if (o->argc < 1) {
        fprintf(stderr, "plait find: give a NAME (e.g. `plait find Parser`, `plait find 'syn::*::parse'`)\n");
        return EXIT_USAGE;
    }
    int ec = 0;
    plait_store *s = cli_open_index(o, &ec);
    if (!s) return ec;
    const char *name = o->argv[0];
    int glob = strpbrk(name, "*?[") != NULL;
    sqlite3_stmt *q;
    const char *sql = glob ? "SELECT " NODE_COLS ", n.signature, 3 AS rank FROM nodes n JOIN files f ON f.id = n.file_id "
                             "WHERE (?2 IS NULL OR n.kind = ?2) ORDER BY n.path, n.key"
                           : "SELECT " NODE_COLS ", n.signature, CASE WHEN n.name = ?1 OR n.path = ?1 THEN 0 "
                             "WHEN n.name = ?1 COLLATE NOCASE THEN 1 ELSE 2 END AS rank "
                             "FROM nodes n JOIN files f ON f.id = n.file_id WHERE (n.name = ?1 COLLATE NOCASE OR n.path = ?1 "
                             "OR n.name LIKE ?3 ESCAPE '\\') AND ((?2 IS NULL AND n.kind != 'use') OR n.kind = ?2) "
                             "ORDER BY rank, length(n.name), n.path, n.key";
    if (sqlite3_prepare_v2(plait_store_db(s), sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "plait: %s\n", sqlite3_errmsg(plait_store_db(s)));
        plait_store_close(s);
        return EXIT_FAIL;
    }
    strbuf lb = {0}; /* prefix pattern: LIKE's `_` and `%` are wildcards, so escape them */
    for (const char *c = name; *c; c++) {
        if (*c == '_' || *c == '%' || *c == '\\') strbuf_putc(&lb, '\\');
        strbuf_putc(&lb, *c);
    }
    strbuf_putc(&lb, '%');
    char *like = strbuf_detach(&lb);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    if (o->kind) sqlite3_bind_text(q, 2, o->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, like, -1, SQLITE_STATIC);
    int n = 0;
    json_t *arr = json_array();
    /* A file reached from several crates (a test helper module, core_arch inside core) is
     * indexed once per crate; list such an item once, with the other crates' paths. */
    plait_strmap seen;
    plait_strmap_init(&seen);
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(q, 3);
        if (glob && !plait_glob_match(name, path, 0)) continue;
        char *site = xasprintf("%s\x1f%lld\x1f%s", sqlite3_column_text(q, 4), (long long)sqlite3_column_int64(q, 7),
                               sqlite3_column_text(q, 1));
        json_t *first = plait_strmap_get(&seen, site);
        if (first) {
            json_t *also = json_object_get(first, "also_in");
            if (!also) json_object_set_new(first, "also_in", also = json_array());
            json_array_append_new(also, json_string(path));
        } else if (n < o->limit) {
            n++;
            json_t *row = row_json(q);
            json_array_append_new(arr, row);
            plait_strmap_put(&seen, site, row);
        }
        free(site);
    }
    plait_strmap_free(&seen);
    if (!o->json) {
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
            size_t more = json_array_size(json_object_get(v, "also_in"));
            printf("%-10s %s  %s:%lld", json_string_value(json_object_get(v, "kind")), json_string_value(json_object_get(v, "path")),
                   json_string_value(json_object_get(v, "file")), json_integer_value(json_object_get(v, "line_start")));
            if (more) printf("  (also in %zu other crate%s)", more, more == 1 ? "" : "s");
            putchar('\n');
        }
    }
    if (o->json) print_json(arr);
    else if (!n) fprintf(stderr, "plait find: nothing named `%s`%s%s\n", name, o->kind ? " of kind " : "", o->kind ? o->kind : "");
    json_decref(arr);
    free(like);
    sqlite3_finalize(q);
    plait_store_close(s);
    return n ? EXIT_OKAY : EXIT_NOTFOUND;
}

static json_t *edges_json(sqlite3 *db, const char *key, int outgoing)
{
    const char *sql = outgoing ? "SELECT e.kind, e.confidence, e.dst AS key, n.path, e.target_path FROM edges e "
                                 "LEFT JOIN nodes n ON n.key = e.dst WHERE e.src = ?1 ORDER BY e.kind, n.path, e.target_path"
                               : "SELECT e.kind, e.confidence, e.src AS key, n.path, e.target_path FROM edges e "
                                 "LEFT JOIN nodes n ON n.key = e.src WHERE e.dst = ?1 ORDER BY e.kind, n.path";
    sqlite3_stmt *q;
    json_t *arr = json_array();
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) return arr;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW) json_array_append_new(arr, row_json(q));
    sqlite3_finalize(q);
    return arr;
}

/* The node's source from disk, and whether the file still matches what was indexed. */
static json_t *source_json(sqlite3 *db, const char *file, long long b0, long long b1)
{
    json_t *src = json_object();
    char *root = NULL;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'root'", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        root = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    char *abs = plait_path_join(root ? root : ".", file), *buf = NULL;
    size_t len = 0;
    if (plait_read_file(abs, 0, &buf, &len) != PLAIT_OK) {
        json_object_set_new(src, "status", json_string("missing"));
    } else {
        plait_hash h;
        plait_hash_bytes(&h, buf, len);
        int same = 0;
        if (sqlite3_prepare_v2(db, "SELECT hash FROM files WHERE path = ?1", -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, file, -1, SQLITE_STATIC);
            if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == PLAIT_HASH_BYTES)
                same = memcmp(sqlite3_column_blob(q, 0), h.b, PLAIT_HASH_BYTES) == 0;
            sqlite3_finalize(q);
        }
        json_object_set_new(src, "status", json_string(same ? "current" : "changed since indexing"));
        if ((size_t)b1 <= len && b0 <= b1) json_object_set_new(src, "text", json_stringn(buf + b0, (size_t)(b1 - b0)));
        free(buf);
    }
    free(abs);
    free(root);
    return src;
}

int cmd_show(cli_opts *o)
{
    if (o->argc < 1) {
        fprintf(stderr, "plait show: give an ITEM: a canonical path (syn::parse::Parser) or a key\n");
        return EXIT_USAGE;
    }
    int ec = 0;
    plait_store *s = cli_open_index(o, &ec);
    if (!s) return ec;
    sqlite3 *db = plait_store_db(s);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT " NODE_COLS ", n.crate, n.signature, n.doc, n.attrs, n.cfg, n.parent FROM nodes n "
                           "JOIN files f ON f.id = n.file_id WHERE n.path = ?1 OR n.key = ?1 ORDER BY n.kind = 'use', n.key", -1, &q, NULL);
    sqlite3_bind_text(q, 1, o->argv[0], -1, SQLITE_STATIC);
    int n = 0;
    json_t *all = json_array();
    while (sqlite3_step(q) == SQLITE_ROW) {
        n++;
        json_t *node = row_json(q);
        const char *key = (const char *)sqlite3_column_text(q, 0);
        json_object_set_new(node, "edges_out", edges_json(db, key, 1));
        json_object_set_new(node, "edges_in", edges_json(db, key, 0));
        json_object_set_new(node, "source", source_json(db, (const char *)sqlite3_column_text(q, 4), sqlite3_column_int64(q, 7),
                                                        sqlite3_column_int64(q, 8)));
        json_array_append_new(all, node);
    }
    sqlite3_finalize(q);
    size_t i;
    json_t *v;
    if (o->json) print_json(all);
    else json_array_foreach(all, i, v) {
        if (i) puts("");
        printf("%s %s\n  key %s\n  %s:%lld-%lld  %s\n", json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "path")), json_string_value(json_object_get(v, "key")),
               json_string_value(json_object_get(v, "file")), json_integer_value(json_object_get(v, "line_start")),
               json_integer_value(json_object_get(v, "line_end")), json_string_value(json_object_get(v, "visibility")));
        printf("  %s\n", json_string_value(json_object_get(v, "signature")));
        if (json_is_string(json_object_get(v, "doc"))) printf("  doc: %s\n", json_string_value(json_object_get(v, "doc")));
        if (json_is_string(json_object_get(v, "cfg"))) printf("  cfg: %s\n", json_string_value(json_object_get(v, "cfg")));
        for (int dir = 0; dir < 2; dir++) {
            size_t k;
            json_t *e;
            json_array_foreach(json_object_get(v, dir ? "edges_in" : "edges_out"), k, e) {
                const char *p = json_string_value(json_object_get(e, "path"));
                printf("  %s %s %s (%s)\n", dir ? "<-" : "->", json_string_value(json_object_get(e, "kind")),
                       p ? p : json_string_value(json_object_get(e, "target_path")), json_string_value(json_object_get(e, "confidence")));
            }
        }
        json_t *src = json_object_get(v, "source");
        printf("  source (%s):\n%s\n", json_string_value(json_object_get(src, "status")),
               json_is_string(json_object_get(src, "text")) ? json_string_value(json_object_get(src, "text")) : "");
    }
    if (!n) fprintf(stderr, "plait show: no item `%s`; try `plait find %s`\n", o->argv[0], o->argv[0]);
    json_decref(all);
    plait_store_close(s);
    return n ? EXIT_OKAY : EXIT_NOTFOUND;
}

int cmd_export(cli_opts *o)
{
    if (strcmp(o->format, "jsonl") != 0) {
        fprintf(stderr, "plait export: unknown --format %s (supported: jsonl)\n", o->format);
        return EXIT_USAGE;
    }
    int ec = 0;
    plait_store *s = cli_open_index(o, &ec);
    if (!s) return ec;
    sqlite3 *db = plait_store_db(s);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT 'node' AS type, " NODE_COLS " FROM nodes n JOIN files f ON f.id = n.file_id "
                           "ORDER BY n.path, n.kind, n.key", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *j = row_json(q);
        if (o->stable) json_object_del(j, "stamp");
        print_json(j);
        json_decref(j);
    }
    sqlite3_finalize(q);
    sqlite3_prepare_v2(db, "SELECT 'edge' AS type, src, dst, kind, confidence, target_path FROM edges "
                           "ORDER BY src, kind, dst, target_path", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *j = row_json(q);
        print_json(j);
        json_decref(j);
    }
    sqlite3_finalize(q);
    plait_store_close(s);
    return EXIT_OKAY;
}
