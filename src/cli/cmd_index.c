/* cmd_index.c - `plait index [PATH]`: the structural index, then the embedding stage; and
 * the shared index-location rule. */
#include "cli/cli.h"
#include "core/fsutil.h"
#include "core/xalloc.h"
#include "index/index.h"
#include "search/embed_stage.h"
#include "plait/embed.h"
#include "plait/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *cli_db_path(const cli_opts *o, const char *root)
{
    if (o->db) return plait_path_join(o->db, "index.db");
    char *dir = plait_path_join(root ? root : ".", ".plait");
    char *p = plait_path_join(dir, "index.db");
    free(dir);
    return p;
}

static int open_local(void *ctx, plait_embedder **out)
{
    cli_opts *o = ctx;
    plait_embed_local_opts lo = {.threads = (unsigned)o->jobs};
    return plait_embed_open_local(NULL, &lo, out);
}

static int open_http(void *ctx, plait_embedder **out)
{
    cli_opts *o = ctx;
    plait_embed_http_opts ho = {.url = o->embed_url, .model = o->embed_model, .dims = (uint32_t)o->embed_dims};
    return plait_embed_open_http(&ho, out);
}

/* Checks --embed and its companions; fills the stage's provider fields.  0 or a usage error. */
static int embed_options(cli_opts *o, plait_embed_stage_opts *eo, char **config)
{
    const char *p = o->embed ? o->embed : getenv("PLAIT_EMBED") && *getenv("PLAIT_EMBED") ? getenv("PLAIT_EMBED") : "local";
    *config = NULL;
    eo->provider = p;
    if (!strcmp(p, "none")) return 0;
    if (!strcmp(p, "local")) {
        *config = xstrdup("local");
        eo->open_embedder = open_local;
    } else if (!strcmp(p, "http")) {
        if (!o->embed_url || !o->embed_model) {
            fprintf(stderr, "plait index: --embed http needs --embed-url URL and --embed-model NAME\n");
            return EXIT_USAGE;
        }
        *config = xasprintf("http %s %s", o->embed_url, o->embed_model);
        eo->open_embedder = open_http;
        eo->http_url = o->embed_url;
        eo->http_model = o->embed_model;
    } else {
        fprintf(stderr, "plait index: --embed takes none, local or http (not `%s`)\n", p);
        return EXIT_USAGE;
    }
    eo->open_ctx = o;
    return 0;
}

static void print_embed(const cli_opts *o, const plait_embed_stage_stats *es)
{
    if (o->json) {
        printf(",\"embed\":{\"status\":\"%s\",\"embedded\":%ld,\"cached\":%ld,\"removed\":%ld,\"missing\":%ld,"
               "\"rebuilt\":%s,\"seconds\":%.3f}}\n", es->status ? es->status : "skipped", es->embedded, es->cached,
               es->removed, es->missing, es->rebuilt ? "true" : "false", es->seconds);
    } else if (!o->quiet && es->status && strcmp(es->status, "unchanged") != 0 && strcmp(es->status, "disabled") != 0) {
        fprintf(stderr, "embedded %ld nodes (%ld more from the cache, %ld vectors removed) in %.2fs%s", es->embedded,
                es->cached, es->removed, es->seconds, es->rebuilt ? "; vector index rebuilt" : "");
        if (es->missing) fprintf(stderr, "; %ld nodes without a vector (%s, see `plait status`)", es->missing, es->status);
        fputc('\n', stderr);
    }
}

int cmd_index(cli_opts *o)
{
    plait_embed_stage_opts eo = {0};
    char *config = NULL;
    int uc = embed_options(o, &eo, &config);
    if (uc) return uc;
    const char *root = o->argc > 0 ? o->argv[0] : ".";
    char *db = cli_db_path(o, root);
    char *dir = plait_path_dirname(db);
    if (plait_mkdirs(dir) != PLAIT_OK) {
        fprintf(stderr, "plait: %s\n", plait_error_last());
        free(db);
        free(dir);
        return EXIT_FAIL;
    }
    plait_index_opts io = {.root = root, .db_path = db, .jobs = o->jobs, .quiet = o->quiet,
                           .progress = isatty(2), .max_file_size = o->max_file_size, .shuffle_seed = (unsigned)o->shuffle,
                           .with_deps = o->with_deps};
    plait_index_stats st;
    int rc = plait_index_run(&io, &st);
    if (rc != PLAIT_OK) fprintf(stderr, "plait: %s\n", plait_error_last());
    /* the structure is committed: find and show work from here on, while vectors are made */
    plait_embed_stage_stats es = {0};
    if (rc == PLAIT_OK) {
        eo.db_path = db;
        eo.config = config;
        eo.jobs = (unsigned)o->jobs;
        eo.structural_changed = st.changed;
        eo.quiet = o->quiet;
        eo.progress = isatty(2);
        rc = plait_embed_stage_run(&eo, &es);
        if (rc != PLAIT_OK) fprintf(stderr, "plait: %s\n", plait_error_last());
    }
    if (!o->quiet || o->json) {
        FILE *out = o->json ? stdout : stderr;
        if (o->json)
            fprintf(out, "{\"files\":%ld,\"parsed\":%ld,\"written\":%ld,\"unchanged\":%ld,\"failed\":%ld,\"deleted\":%ld,\"orphans\":%ld,"
                         "\"nodes\":%ld,\"edges\":%ld,\"edges_resolved\":%ld,\"bytes\":%lld,\"seconds\":%.3f,\"changed\":%s,"
                         "\"phases\":{\"stream\":%.3f,\"settle\":%.3f,\"resolve\":%.3f,\"indexes\":%.3f,\"commit\":%.3f}",
                    st.files_seen, st.files_parsed, st.files_written, st.files_unchanged, st.files_failed, st.files_deleted, st.orphans,
                    st.nodes_written, st.edges_written, st.edges_resolved, (long long)st.bytes_read, st.seconds,
                    st.changed ? "true" : "false", st.phase_stream, st.phase_settle, st.phase_resolve, st.phase_indexes,
                    st.phase_commit);
        else if (st.interrupted)
            fprintf(out, "stopped after %ld of %ld files were parsed; %ld nodes written and committed\n", st.files_parsed,
                    st.files_seen, st.nodes_written);
        else
            fprintf(out, "indexed %ld files (%ld parsed, %ld unchanged, %ld failed, %ld removed) in %.2fs: %ld nodes, %ld edges written%s\n",
                    st.files_seen, st.files_parsed, st.files_unchanged, st.files_failed, st.files_deleted, st.seconds,
                    st.nodes_written, st.edges_written, st.changed ? "" : "; nothing changed");
        print_embed(o, &es);
    }
    free(db);
    free(dir);
    free(config);
    return cli_exit_for(rc);
}
