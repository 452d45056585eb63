/* cli.h - the command-line front end: option parsing shared by the commands. */
#ifndef PLAIT_CLI_H
#define PLAIT_CLI_H

/* Exit codes: documented in `plait --help`. */
enum { EXIT_OKAY = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOINDEX = 3, EXIT_NOTFOUND = 4, EXIT_INTERRUPTED = 130 };

typedef struct {
    const char *db;     /* --db: the index folder (default: <root>/.plait) */
    int json, quiet, jobs, stable, shuffle;
    long long max_file_size;
    const char *kind;   /* --kind filter */
    const char *format;
    int limit;
    int depth;                 /* --depth for graph walks */
    const char *min_confidence;
    /* index: embedding (--embed none|local|http, --embed-url, --embed-model, --embed-dims) */
    const char *embed, *embed_url, *embed_model;
    int embed_dims;
    int with_deps;      /* index: --with-deps */
    /* search: --k, --mode, --crate, --path, --explain, --batch FILE (--kind shared with find) */
    int k, explain;
    const char *mode, *crate, *path_glob, *batch;
    int argc;           /* positional arguments */
    char **argv;
} cli_opts;

int cmd_index(cli_opts *o);
int cmd_status(cli_opts *o);
int cmd_find(cli_opts *o);
int cmd_show(cli_opts *o);
int cmd_export(cli_opts *o);
int cmd_callers(cli_opts *o);
int cmd_callees(cli_opts *o);
int cmd_impls(cli_opts *o);
int cmd_refs(cli_opts *o);
int cmd_search(cli_opts *o);
/* The database file for the options (caller frees). */
char *cli_db_path(const cli_opts *o, const char *root);
int cli_exit_for(int plait_rc);
/* Opens the index read-only for a query command; on failure prints why and sets *exit_code.
 * Caller closes with plait_store_close(). */
struct plait_store *cli_open_index(cli_opts *o, int *exit_code);

#endif
