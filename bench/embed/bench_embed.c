/*
 * bench_embed.c - local USE-lite throughput: nodes/s and tokens/s over a JSON array of texts,
 * plus the latency of embedding one text alone (what a search query pays).
 *
 *   bench_embed TEXTS.json THREADS [BATCH] [--blas-threads N]
 *
 * THREADS is plait's own worker count (--jobs).  --blas-threads N instead lets OpenBLAS use
 * N threads inside each sgemm (with one plait worker): the alternative design, measured so
 * the choice in docs/embed.md stays checkable.  Prints one JSON line.
 */
#include <cblas.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/xalloc.h"
#include "plait/embed.h"
#include "plait/error.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* CPU seconds used by the process so far: with wall time it shows whether the threads really
 * ran in parallel (the machine may be shared). */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static const char **load_texts(const char *path, size_t *n)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!json_is_array(j)) {
        fprintf(stderr, "bench_embed: %s: %s\n", path, j ? "not an array" : err.text);
        exit(2);
    }
    *n = json_array_size(j);
    const char **t = xcalloc(*n, sizeof *t);
    for (size_t i = 0; i < *n; i++) t[i] = xstrdup(json_string_value(json_array_get(j, i)));
    json_decref(j);
    return t;
}

/* Tokens the model actually reads, summed over all texts. */
static size_t count_tokens(plait_embedder *e, const char **t, size_t n)
{
    size_t total = 0, max = plait_embed_max_tokens(e);
    for (size_t i = 0; i < n; i++) {
        int32_t *ids;
        size_t k;
        plait_embed_tokenize(e, t[i], strlen(t[i]), &ids, &k);
        total += k < max ? k : max;
        free(ids);
    }
    return total;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* p50 / p99 of embedding single texts, in ms: wall, and this thread's CPU time (with one
 * worker the call runs on the calling thread), which a loaded machine does not inflate. */
static void single_latency(plait_embedder *e, const char **t, size_t n, double q[4])
{
    size_t m = n < 300 ? n : 300;
    uint64_t *ns = xmalloc(m * sizeof *ns), *cpu = xmalloc(m * sizeof *cpu);
    float v[512];
    for (size_t i = 0; i < m; i++) {
        uint64_t t0 = plait_now_ns(), c0 = thread_cpu_ns();
        plait_embed_batch(e, &t[i * (n / m)], 1, v);
        cpu[i] = thread_cpu_ns() - c0;
        ns[i] = plait_now_ns() - t0;
    }
    qsort(ns, m, sizeof *ns, cmp_u64);
    qsort(cpu, m, sizeof *cpu, cmp_u64);
    q[0] = ns[m / 2] / 1e6;
    q[1] = ns[(m * 99) / 100] / 1e6;
    q[2] = cpu[m / 2] / 1e6;
    q[3] = cpu[(m * 99) / 100] / 1e6;
    free(ns);
    free(cpu);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_embed TEXTS.json THREADS [BATCH] [--blas-threads N]\n");
        return 2;
    }
    size_t n;
    const char **texts = load_texts(argv[1], &n);
    unsigned threads = (unsigned)atoi(argv[2]);
    size_t batch = argc > 3 && argv[3][0] != '-' ? (size_t)atoi(argv[3]) : 256;
    int blas = 0;
    for (int i = 3; i + 1 < argc; i++)
        if (strcmp(argv[i], "--blas-threads") == 0) blas = atoi(argv[i + 1]);
    plait_embed_local_opts o = {.threads = blas ? 1 : threads};
    plait_embedder *e;
    uint64_t t_open = plait_now_ns();
    if (plait_embed_open_local(NULL, &o, &e) != PLAIT_OK) {
        fprintf(stderr, "bench_embed: %s\n", plait_error_last());
        return 1;
    }
    double open_ms = (plait_now_ns() - t_open) / 1e6;
    if (blas) openblas_set_num_threads(blas); /* the alternative: OpenBLAS threads, one worker */
    size_t tokens = count_tokens(e, texts, n);
    float *out = xmalloc(batch * 512 * sizeof(float));
    plait_embed_batch(e, texts, batch < n ? batch : n, out); /* warm-up: page in weights */
    uint64_t t0 = plait_now_ns();
    double c0 = cpu_seconds();
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch;
        if (plait_embed_batch(e, texts + i, k, out) != PLAIT_OK) {
            fprintf(stderr, "bench_embed: %s\n", plait_error_last());
            return 1;
        }
    }
    double secs = (plait_now_ns() - t0) / 1e9, cpu = cpu_seconds() - c0;
    double q[4];
    single_latency(e, texts, n, q);
    printf("{\"runtime\":\"plait-c\",\"threads\":%u,\"blas_threads\":%d,\"batch\":%zu,\"texts\":%zu,\"tokens\":%zu,"
           "\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"nodes_per_s\":%.1f,\"tokens_per_s\":%.1f,\"single_p50_ms\":%.2f,\"single_p99_ms\":%.2f,"
           "\"single_cpu_p50_ms\":%.2f,\"single_cpu_p99_ms\":%.2f,\"open_ms\":%.1f}\n",
           blas ? 1 : threads, blas ? blas : 1, batch, n, tokens, secs, cpu, n / secs, tokens / secs, q[0], q[1], q[2], q[3],
           open_ms);
    free(out);
    for (size_t i = 0; i < n; i++) free((void *)texts[i]);
    free(texts);
    plait_embed_free(e);
    return 0;
}
