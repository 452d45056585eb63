/* cmd_index.c - `plait index [PATH]` and the shared index-location rule. */
#include "cli/cli.h"
#include "core/fsutil.h"
#include "core/xalloc.h"
#include "index/index.h"
#include "plait/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

char *cli_db_path(const cli_opts *o, const char *root)
{
    if (o->db) return plait_path_join(o->db, "index.db");
    char *dir = plait_path_join(root ? root : ".", ".plait");
    char *p = plait_path_join(dir, "index.db");
    free(dir);
    return p;
}

int cmd_index(cli_opts *o)
{
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
                           .progress = isatty(2), .max_file_size = o->max_file_size, .shuffle_seed = (unsigned)o->shuffle};
    plait_index_stats st;
    int rc = plait_index_run(&io, &st);
    if (rc != PLAIT_OK) fprintf(stderr, "plait: %s\n", plait_error_last());
    if (!o->quiet || o->json) {
        FILE *out = o->json ? stdout : stderr;
        if (o->json)
            fprintf(out, "{\"files\":%ld,\"parsed\":%ld,\"written\":%ld,\"unchanged\":%ld,\"failed\":%ld,\"deleted\":%ld,\"orphans\":%ld,"
                         "\"nodes\":%ld,\"edges\":%ld,\"edges_resolved\":%ld,\"bytes\":%lld,\"seconds\":%.3f,\"changed\":%s,"
                         "\"phases\":{\"stream\":%.3f,\"settle\":%.3f,\"resolve\":%.3f,\"indexes\":%.3f,\"commit\":%.3f}}\n",
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
    }
    free(db);
    free(dir);
    return cli_exit_for(rc);
}
