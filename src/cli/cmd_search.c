/* cmd_search.c - `plait search QUERY` and `plait search --batch FILE`: options, text and
 * JSON output.  The retrieval itself is in src/search/search.c. */
#include "cli/cli.h"
#include "core/xalloc.h"
#include "search/search.h"
#include "store/store.h"
#include "plait/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *mode_name(plait_search_mode m)
{
    return m == PLAIT_SEARCH_LEXICAL ? "lexical" : m == PLAIT_SEARCH_SEMANTIC ? "semantic" : "hybrid";
}

static json_t *result_json(const char *query, const plait_search_result *r, int explain)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const plait_search_hit *h = &r->hits[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:f}", "key", h->key, "name", h->name, "path", h->path, "kind",
                              h->kind, "file", h->file, "line", (json_int_t)h->line, "score", h->score);
        if (explain) {
            json_t *ex = json_object();
            if (h->lex_rank)
                json_object_set_new(ex, "lexical", json_pack("{s:i, s:f, s:f}", "rank", h->lex_rank, "bm25", h->lex_score,
                                                             "relative", h->lex_norm));
            if (h->sem_rank)
                json_object_set_new(ex, "semantic", json_pack("{s:i, s:f}", "rank", h->sem_rank, "similarity", h->sem_score));
            /* the similarity the fusion used: the node's own vector, or (none) the list's lowest */
            if (r->mode == PLAIT_SEARCH_HYBRID && (h->has_dense || h->lex_rank))
                json_object_set_new(ex, "dense", json_pack("{s:f, s:b}", "similarity", h->dense, "own_vector", h->has_dense));
            if (h->name_boost) json_object_set_new(ex, "name_boost", json_real(h->name_boost));
            json_object_set_new(o, "explain", ex);
        }
        json_array_append_new(arr, o);
    }
    return json_pack("{s:s, s:o, s:f, s:f, s:f, s:f, s:s}", "query", query, "results", arr, "ms_total", r->ms_total,
                     "ms_embed", r->ms_embed, "ms_cpu", r->ms_cpu, "ms_cpu_embed", r->ms_cpu_embed, "mode", mode_name(r->mode));
}

static void print_text(const plait_search_result *r, int explain)
{
    for (size_t i = 0; i < r->n; i++) {
        const plait_search_hit *h = &r->hits[i];
        printf("%.4f %-10s %s  %s:%lld\n", h->score, h->kind, h->path, h->file, (long long)h->line);
        if (!explain) continue;
        printf("        ");
        if (h->lex_rank) printf(" lexical #%d (bm25 %.3f, %.3f of the best)", h->lex_rank, h->lex_score, h->lex_norm);
        if (h->sem_rank) printf(" semantic #%d (similarity %.3f)", h->sem_rank, h->sem_score);
        if (r->mode == PLAIT_SEARCH_HYBRID && (h->has_dense || h->lex_rank))
            printf(" dense %.3f%s", h->dense, h->has_dense ? "" : " (no vector: the list's lowest)");
        if (h->name_boost) printf(" name +%.3f", h->name_boost);
        putchar('\n');
    }
}

static int one_query(cli_opts *o, plait_searcher *s, const char *query, plait_search_mode mode, const plait_search_filter *f,
                     int *found)
{
    plait_search_result r;
    int rc = plait_search_run(s, query, mode, f, (size_t)o->k, &r);
    if (rc != PLAIT_OK) {
        fprintf(stderr, "plait search: %s\n", plait_error_last());
        return rc;
    }
    if (o->json) {
        json_t *j = result_json(query, &r, o->explain);
        char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(txt ? txt : "null");
        free(txt);
        json_decref(j);
    } else {
        print_text(&r, o->explain);
    }
    *found += r.n > 0;
    plait_search_result_free(&r);
    return PLAIT_OK;
}

/* One query per line of `path` ("-" = stdin); empty lines are skipped. */
static int batch(cli_opts *o, plait_searcher *s, plait_search_mode mode, const plait_search_filter *f, int *found)
{
    FILE *in = strcmp(o->batch, "-") ? fopen(o->batch, "r") : stdin;
    if (!in) {
        fprintf(stderr, "plait search: cannot read %s\n", o->batch);
        return PLAIT_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = PLAIT_OK;
    /* a query that fails is reported (in JSON, as its line with an "error") and the batch
     * goes on: one line out per query line in, whatever happens; the exit status says so */
    while ((n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        int qrc = one_query(o, s, line, mode, f, found);
        if (qrc != PLAIT_OK && o->json) {
            json_t *j = json_pack("{s:s, s:[], s:s}", "query", line, "results", "error", plait_error_last());
            char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
            puts(txt ? txt : "null");
            free(txt);
            json_decref(j);
        }
        if (qrc != PLAIT_OK && rc == PLAIT_OK) rc = qrc;
        fflush(stdout);
    }
    free(line);
    if (in != stdin) fclose(in);
    return rc;
}

int cmd_search(cli_opts *o)
{
    plait_search_mode mode = PLAIT_SEARCH_HYBRID;
    if (o->mode && !strcmp(o->mode, "lexical")) mode = PLAIT_SEARCH_LEXICAL;
    else if (o->mode && !strcmp(o->mode, "semantic")) mode = PLAIT_SEARCH_SEMANTIC;
    else if (o->mode && strcmp(o->mode, "hybrid") != 0) {
        fprintf(stderr, "plait search: --mode takes hybrid, lexical or semantic (not `%s`)\n", o->mode);
        return EXIT_USAGE;
    }
    if ((o->argc < 1 && !o->batch) || o->k < 1) {
        fprintf(stderr, "plait search: give a QUERY (e.g. `plait search \"parse a token stream\"`) or --batch FILE; "
                        "--k must be at least 1\n");
        return EXIT_USAGE;
    }
    int ec = 0;
    plait_store *st = cli_open_index(o, &ec);
    if (!st) return ec;
    char *db = cli_db_path(o, ".");
    plait_searcher *s = NULL;
    plait_searcher_open(plait_store_db(st), db, &s);
    free(db);
    if (mode != PLAIT_SEARCH_LEXICAL && plait_searcher_note(s)[0] && !o->quiet)
        fprintf(stderr, "plait search: note: %s\n", plait_searcher_note(s));
    plait_search_filter f = {o->kind, o->crate, o->path_glob};
    int found = 0, rc;
    if (o->batch) {
        rc = batch(o, s, mode, &f, &found);
    } else {
        char *query = xstrdup(o->argv[0]); /* several words without quotes make one query */
        for (int i = 1; i < o->argc; i++) {
            char *q2 = xasprintf("%s %s", query, o->argv[i]);
            free(query);
            query = q2;
        }
        rc = one_query(o, s, query, mode, &f, &found);
        if (rc == PLAIT_OK && !found && !o->json) fprintf(stderr, "plait search: nothing matches `%s`\n", query);
        free(query);
    }
    plait_searcher_free(s);
    plait_store_close(st);
    if (rc != PLAIT_OK) return cli_exit_for(rc);
    return found || o->batch ? EXIT_OKAY : EXIT_NOTFOUND;
}
