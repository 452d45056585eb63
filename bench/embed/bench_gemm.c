/*
 * bench_gemm.c - where the packed small-M kernel stops beating OpenBLAS sgemm: the whole
 * forward pass over chunks of T tokens (sequences of at most 128), once with every product
 * on sgemm and once on the kernel, median thread CPU time per call (a loaded machine inflates
 * wall time, not this).  Behind use_gemm_default_small_m (src/embed/gemm.c).
 *
 *   bench_gemm [REPS [portable|avx2|avx512]]   prints "T sgemm_ms kernel_ms kernel/sgemm" per line
 */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "embed/transformer.h"
#include "embed/weights.h"
#include "plait/error.h"

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median CPU ms of use_forward over `reps` calls on T tokens cut into sequences of <= 128. */
static double time_forward(const use_weights *w, int32_t *ids, size_t T, int reps, use_scratch *s)
{
    const int32_t *seqs[8];
    size_t lens[8], nseq = 0;
    for (size_t at = 0; at < T; at += 128, nseq++) {
        seqs[nseq] = ids + at;
        lens[nseq] = T - at < 128 ? T - at : 128;
    }
    float out[8 * USE_HID];
    double *ms = xmalloc((size_t)reps * sizeof *ms);
    use_forward(w, seqs, lens, nseq, out, s); /* warm-up */
    for (int r = 0; r < reps; r++) {
        double c0 = thread_cpu_ms();
        use_forward(w, seqs, lens, nseq, out, s);
        ms[r] = thread_cpu_ms() - c0;
    }
    qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
    double med = ms[reps / 2];
    free(ms);
    return med;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 31;
    use_weights w;
    if (use_weights_load(PLAIT_SOURCE_DIR "/third_party/use-lite/dist", &w) != PLAIT_OK) {
        fprintf(stderr, "bench_gemm: %s\n", plait_error_last());
        return 1;
    }
    openblas_set_num_threads(1);
    int32_t ids[1024];
    srand(7);
    for (int i = 0; i < 1024; i++) ids[i] = 6 + rand() % 7990;
    use_gemm_kind kind = USE_GEMM_BEST;
    if (argc > 2)
        kind = strcmp(argv[2], "portable") == 0 ? USE_GEMM_PORTABLE : strcmp(argv[2], "avx2") == 0 ? USE_GEMM_AVX2 : USE_GEMM_AVX512;
    if (!(w.gemm = use_gemm_kernel(kind))) {
        fprintf(stderr, "bench_gemm: this CPU cannot run the %s kernel\n", use_gemm_name(kind));
        return 1;
    }
    use_scratch s = {0};
    printf("# kernel: %s\n", use_gemm_name(kind));
    static const size_t Ts[] = {1, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384};
    for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++) {
        w.small_m = 0;
        double a = time_forward(&w, ids, Ts[i], reps, &s);
        w.small_m = SIZE_MAX;
        double b = time_forward(&w, ids, Ts[i], reps, &s);
        printf("%4zu %8.3f %8.3f %6.2f\n", Ts[i], a, b, b / a);
        fflush(stdout);
    }
    use_scratch_free(&s);
    use_weights_free(&w);
    return 0;
}
