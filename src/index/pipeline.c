/* pipeline.c - the reader and parser stages and the run driver (see index.h); the writer's
 * module-tree bookkeeping lives in writer.c. */
#include "index/index.h"
#include "index/index_internal.h"
#include "core/fsutil.h"
#include "core/utf8.h"
#include "core/queue.h"
#include "discover/deps.h"
#include "plait/error.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }
int plait_index_stopping(void) { return stop_requested; }

void plait_job_free(plait_job *j)
{
    if (!j) return;
    free(j->rel);
    free(j->src);
    plait_extract_free(&j->x);
    free(j);
}

/* Reader stage: decides per file whether it must be parsed. */
static void read_job(pipeline *p, plait_job *j)
{
    const plait_file_rec *old = plait_strmap_get(&p->old_files, j->rel);
    if (old && old->size == j->size && old->mtime_ns == j->mtime_ns && old->mods) {
        j->state = JOB_UNCHANGED;
        return;
    }
    char *abs = plait_path_join(p->opts->root, j->rel);
    int rc = plait_read_file(abs, (size_t)p->opts->max_file_size, &j->src, &j->len);
    free(abs);
    if (rc == PLAIT_ENOTFOUND) {
        j->state = JOB_VANISHED;
        return;
    }
    if (rc != PLAIT_OK) {
        j->state = JOB_FAILED;
        plait_extract_diag(&j->x, PLAIT_DIAG_ERROR, 0, rc == PLAIT_EINVALID ? "too-large" : "unreadable", "%s", plait_error_last());
        return;
    }
    __atomic_add_fetch(&p->stats->bytes_read, (int64_t)j->len, __ATOMIC_RELAXED);
    plait_hash_bytes(&j->hash, j->src, j->len);
    j->has_hash = 1;
    /* a hash hit counts only if the length agrees too */
    if (old && old->has_hash && (size_t)old->size == j->len && plait_hash_equal(&old->hash, &j->hash) && old->mods) {
        j->state = JOB_SAME_CONTENT;
        return;
    }
    if (memchr(j->src, '\0', j->len < 8192 ? j->len : 8192)) {
        j->state = JOB_FAILED;
        plait_extract_diag(&j->x, PLAIT_DIAG_ERROR, 0, "binary", "contains NUL bytes: a binary file, not Rust source; skipped");
        return;
    }
    long bad = plait_utf8_sanitize(j->src, j->len);
    if (bad >= 0)
        plait_extract_diag(&j->x, PLAIT_DIAG_WARNING, 0, "utf8",
                           "invalid UTF-8 at byte %ld; invalid bytes were read as '?' and the rest is indexed", bad);
    j->state = JOB_PARSE;
}

static void *reader_main(void *arg)
{
    pipeline *p = arg;
    pthread_setname_np(pthread_self(), "plait-read");
    /* Tests widen the window between discovery and reading to delete files inside it. */
    const char *delay = getenv("PLAIT_TEST_READ_DELAY_MS");
    long delay_ms = delay ? atol(delay) : 0;
    for (size_t i = 0; i < p->jobs.len && !stop_requested; i++) {
        plait_job *j = p->jobs.items[i];
        p->jobs.items[i] = NULL;
        if (delay_ms > 0) nanosleep(&(struct timespec){delay_ms / 1000, (delay_ms % 1000) * 1000000L}, NULL);
        read_job(p, j);
        if (plait_queue_push(p->parse_q, j) != 0) {
            plait_job_free(j);
            break;
        }
    }
    plait_queue_close(p->parse_q);
    return NULL;
}

static void *parser_main(void *arg)
{
    pipeline *p = arg;
    pthread_setname_np(pthread_self(), "plait-parse"); /* names show in top, perf, gdb */
    plait_rust_parser *rp = plait_rust_parser_new();
    if (rp) plait_rust_parser_set_refs(rp, !p->structure_only);
    plait_job *j;
    while ((j = plait_queue_pop(p->parse_q))) {
        if (j->state == JOB_PARSE && rp) {
            __atomic_add_fetch(&p->stats->files_parsed, 1, __ATOMIC_RELAXED);
            if (plait_rust_extract(rp, j->src, j->len, &j->x) != PLAIT_OK) {
                j->state = JOB_FAILED;
                plait_extract_diag(&j->x, PLAIT_DIAG_ERROR, 0, "parse", "%s", plait_error_last());
            }
            free(j->src); /* the writer needs the items, not the bytes */
            j->src = NULL;
        }
        plait_queue_push(p->write_q, j);
    }
    plait_rust_parser_free(rp);
    /* the last parser out closes the writer's queue */
    if (__atomic_sub_fetch(&p->parsers_left, 1, __ATOMIC_ACQ_REL) == 0) plait_queue_close(p->write_q);
    return NULL;
}

static int cmp_found(const void *a, const void *b)
{
    return strcmp(((const plait_found *)a)->rel, ((const plait_found *)b)->rel);
}

/* Dependency files join the walk by absolute path (workspace files are relative to the root):
 * nothing about them depends on where the index or the root lives, `show` and the embedding
 * stage read them by joining the root with a path that is already absolute, and the reader
 * skips them by size and mtime like any other file.  Only the library root's directory is
 * walked: tests, benches and examples of a dependency are not part of its library. */
void plait_index_add_deps(pipeline *p)
{
    plait_deps d = {0};
    plait_deps_discover(p->opts->root, &p->ws, NULL, &d, &p->diags);
    plait_deps_add_targets(&p->ws, p->opts->root, &d);
    plait_walk_opts wo = {p->opts->max_file_size};
    for (size_t i = 0; i < d.deps.len; i++) {
        const plait_dep *dep = &d.deps.items[i];
        if (!dep->lib) {
            p->stats->deps_missing += !dep->dir;
            continue;
        }
        p->stats->deps_found++;
        char *dir = plait_path_dirname(dep->lib);
        plait_walk w = {0};
        if (plait_walk_run(dir, &wo, &w) == PLAIT_OK) {
            for (size_t k = 0; k < w.files.len; k++) {
                plait_found f = w.files.items[k];
                if (f.kind != PLAIT_FILE_RUST) continue;
                f.rel = plait_path_join(dir, f.rel);
                PLAIT_VEC_PUSH(&p->walk.files, f);
            }
            for (size_t k = 0; k < w.diags.len; k++) {
                plait_path_diag *pd = &w.diags.items[k];
                char *abs = plait_path_join(dir, pd->path);
                plait_path_diag_add(&p->diags, abs, pd->severity, pd->code, "%s", pd->message);
                free(abs);
            }
        } else {
            plait_path_diag_add(&p->diags, dir, PLAIT_DIAG_WARNING, "dependency", "%s", plait_error_last());
        }
        plait_walk_free(&w);
        free(dir);
    }
    if (p->walk.files.len) qsort(p->walk.files.items, p->walk.files.len, sizeof *p->walk.files.items, cmp_found);
    plait_deps_free(&d);
}

static void progress(pipeline *p, int final)
{
    if (!p->opts->progress || p->opts->quiet) return;
    uint64_t now = plait_now_ns();
    if (!final && now - p->last_draw < 100000000ull) return;
    p->last_draw = now;
    double secs = (double)(now - p->t0) / 1e9;
    long done = p->files_done, total = (long)p->njobs;
    double mb = (double)p->stats->bytes_read / 1e6;
    int width = 30, fill = total ? (int)(width * done / total) : width;
    double eta = done > 0 ? secs * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld files  %.1f MB/s  ETA %.0fs ", fill, "==============================",
            width - fill, "", done, total, secs > 0 ? mb / secs : 0, eta);
    if (final) fputc('\n', stderr);
}

void plait_index_progress(pipeline *p) { progress(p, 0); }

int plait_index_run(const plait_index_opts *opts, plait_index_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    pipeline p = {0};
    p.opts = opts;
    p.stats = stats;
    p.t0 = plait_now_ns();
    stop_requested = 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    int rc = plait_index_prepare(&p);
    if (rc == PLAIT_OK) {
        int n = opts->jobs > 0 ? opts->jobs : 1;
        p.parse_q = plait_queue_new(64);
        p.write_q = plait_queue_new(64);
        p.parsers_left = n;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 16u << 20); /* deep syntax trees recurse in the extractor */
        pthread_t reader, *parsers = xcalloc((size_t)n, sizeof *parsers);
        pthread_create(&reader, &attr, reader_main, &p);
        for (int i = 0; i < n; i++) pthread_create(&parsers[i], &attr, parser_main, &p);
        rc = plait_index_write(&p); /* runs until the write queue closes */
        if (rc != PLAIT_OK) { /* drain so the other stages can finish */
            stop_requested = 1;
            plait_job *j;
            while ((j = plait_queue_pop(p.write_q))) plait_job_free(j);
        }
        pthread_join(reader, NULL);
        for (int i = 0; i < n; i++) pthread_join(parsers[i], NULL);
        pthread_attr_destroy(&attr);
        free(parsers);
        if (rc == PLAIT_OK) rc = plait_index_finish(&p, stop_requested);
        progress(&p, 1);
    }
    plait_index_cleanup(&p);
    stats->interrupted = stop_requested;
    stats->seconds = (double)(plait_now_ns() - p.t0) / 1e9;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc == PLAIT_OK && stop_requested)
        return plait_error_set(PLAIT_EINTERRUPTED, "interrupted: what was indexed is committed; run `plait index` again to finish");
    return rc;
}
