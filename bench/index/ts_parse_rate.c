/*
 * ts_parse_rate - the bare tree-sitter parse rate over every .rs file under a root.
 *
 *   ts_parse_rate ROOT [THREADS...]        (default: 1 2)
 *
 * All files are read into memory first; only parsing is timed (ts_parser_parse_string plus
 * ts_tree_delete, one parser per thread, files taken from a shared counter, largest first).
 * Hidden directories are skipped.  Prints one line per thread count:
 *   threads=N files=F bytes=B lines=L seconds=S mbps=M error_trees=E
 * MB here is 10^6 bytes.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_rust(void);

typedef struct {
    char *src;
    size_t len;
} src_file;

static src_file *files;
static size_t nfiles, capfiles;
static size_t next_file; /* shared work counter */
static long error_trees;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    const char *base = path + ftw->base;
    if (type == FTW_D && base[0] == '.' && ftw->level > 0) return FTW_SKIP_SUBTREE;
    if (type != FTW_F) return FTW_CONTINUE;
    size_t n = strlen(base);
    if (n < 3 || strcmp(base + n - 3, ".rs") != 0) return FTW_CONTINUE;
    FILE *f = fopen(path, "rb");
    if (!f) return FTW_CONTINUE;
    char *buf = malloc((size_t)st->st_size + 1);
    size_t got = buf ? fread(buf, 1, (size_t)st->st_size, f) : 0;
    fclose(f);
    if (!buf) return FTW_STOP;
    if (nfiles == capfiles) {
        capfiles = capfiles ? capfiles * 2 : 1024;
        files = realloc(files, capfiles * sizeof *files);
        if (!files) return FTW_STOP;
    }
    files[nfiles].src = buf;
    files[nfiles].len = got;
    nfiles++;
    return FTW_CONTINUE;
}

static int by_size_desc(const void *a, const void *b)
{
    size_t x = ((const src_file *)a)->len, y = ((const src_file *)b)->len;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void *worker(void *arg)
{
    (void)arg;
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_rust());
    long errors = 0;
    for (;;) {
        size_t i = __atomic_fetch_add(&next_file, 1, __ATOMIC_RELAXED);
        if (i >= nfiles) break;
        TSTree *tree = ts_parser_parse_string(parser, NULL, files[i].src, (uint32_t)files[i].len);
        if (!tree) continue;
        if (ts_node_has_error(ts_tree_root_node(tree))) errors++;
        ts_tree_delete(tree);
    }
    ts_parser_delete(parser);
    __atomic_fetch_add(&error_trees, errors, __ATOMIC_RELAXED);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ts_parse_rate ROOT [THREADS...]\n");
        return 2;
    }
    if (nftw(argv[1], visit, 32, FTW_PHYS | FTW_ACTIONRETVAL) != 0) {
        fprintf(stderr, "ts_parse_rate: cannot walk %s\n", argv[1]);
        return 1;
    }
    if (!nfiles) {
        fprintf(stderr, "ts_parse_rate: no .rs files under %s\n", argv[1]);
        return 1;
    }
    qsort(files, nfiles, sizeof *files, by_size_desc); /* big files first: balanced threads */
    size_t bytes = 0, lines = 0;
    for (size_t i = 0; i < nfiles; i++) {
        bytes += files[i].len;
        for (size_t k = 0; k < files[i].len; k++) lines += files[i].src[k] == '\n';
        if (files[i].len && files[i].src[files[i].len - 1] != '\n') lines++;
    }
    static const char *const defaults[] = {"1", "2"};
    int nt = argc > 2 ? argc - 2 : 2;
    for (int t = 0; t < nt; t++) {
        int threads = atoi(argc > 2 ? argv[2 + t] : defaults[t]);
        if (threads < 1 || threads > 64) {
            fprintf(stderr, "ts_parse_rate: bad thread count\n");
            return 2;
        }
        pthread_t tid[64];
        next_file = 0;
        error_trees = 0;
        double t0 = now();
        for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, worker, NULL);
        for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
        double s = now() - t0;
        printf("threads=%d files=%zu bytes=%zu lines=%zu seconds=%.3f mbps=%.2f error_trees=%ld\n", threads, nfiles,
               bytes, lines, s, (double)bytes / 1e6 / s, error_trees);
        fflush(stdout);
    }
    for (size_t i = 0; i < nfiles; i++) free(files[i].src);
    free(files);
    return 0;
}
