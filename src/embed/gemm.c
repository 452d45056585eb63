/*
 * gemm.c - C += A W over pre-packed weight panels (layout in gemm.h), in three families:
 * portable C, AVX2+FMA and AVX-512F.  As in src/vector/distance.c, the SIMD families are
 * compiled with __attribute__((target)) so the rest of the program keeps the baseline ISA,
 * and the family is picked at run time with __builtin_cpu_supports.
 *
 * Loop order: panels outside, blocks of rows inside, k innermost.  A panel (k x 32 floats,
 * 32-192 KiB) is streamed from memory once by the first row block and re-read from L2 by the
 * others; each row block keeps its MR x 32 partial sums in registers for the whole k loop and
 * touches C once at the end.  For the few rows of a query the cost is the single pass over
 * the weights, which is the floor for any method.
 */
#include "embed/gemm.h"

#include <cblas.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define NR USE_GEMM_NR

void use_gemm_pack(const float *w, int k, int n, float *out)
{
    for (int p = 0; p < n / NR; p++)
        for (int kk = 0; kk < k; kk++, out += NR) memcpy(out, w + (size_t)kk * n + (size_t)p * NR, NR * sizeof(float));
}

/* ---- portable: MR = 4 rows of 32 sums; the compiler vectorises the j loops ---- */

static inline void p_block(const float *a, int mr, int k, const float *pw, float *c, int ldc)
{
    float acc[4][NR];
    memset(acc, 0, sizeof acc);
    for (int kk = 0; kk < k; kk++, pw += NR)
        for (int i = 0; i < mr; i++) {
            const float x = a[(size_t)i * k + kk];
            for (int j = 0; j < NR; j++) acc[i][j] += x * pw[j];
        }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < NR; j++) c[(size_t)i * ldc + j] += acc[i][j];
}

static void p_gemm(const float *a, size_t m, int k, const float *packed, int n, float *c)
{
    for (int p = 0; p < n / NR; p++) {
        const float *pw = packed + (size_t)p * k * NR;
        for (size_t r = 0; r < m; r += 4) {
            int mr = m - r < 4 ? (int)(m - r) : 4;
            p_block(a + r * k, mr, k, pw, c + r * n + (size_t)p * NR, n);
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* ---- AVX2+FMA: 16 ymm registers, so MR = 2 rows x 4 ymm of sums + 4 of weights (a 6-row
 * block over half panels measured 1.5x slower on Zen 4) ---- */

#define T_AVX2 __attribute__((target("avx2,fma")))

static inline __attribute__((always_inline)) T_AVX2 void a2_block(const float *a, int mr, int k, const float *pw, float *c, int ldc)
{
    __m256 acc[2][4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = _mm256_setzero_ps();
    for (int kk = 0; kk < k; kk++, pw += NR) {
        __m256 w0 = _mm256_loadu_ps(pw), w1 = _mm256_loadu_ps(pw + 8);
        __m256 w2 = _mm256_loadu_ps(pw + 16), w3 = _mm256_loadu_ps(pw + 24);
#pragma GCC unroll 2
        for (int i = 0; i < mr; i++) {
            __m256 x = _mm256_broadcast_ss(a + (size_t)i * k + kk);
            acc[i][0] = _mm256_fmadd_ps(x, w0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(x, w1, acc[i][1]);
            acc[i][2] = _mm256_fmadd_ps(x, w2, acc[i][2]);
            acc[i][3] = _mm256_fmadd_ps(x, w3, acc[i][3]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < 4; j++) {
            float *o = c + (size_t)i * ldc + 8 * j;
            _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), acc[i][j]));
        }
}

static T_AVX2 void a2_gemm(const float *a, size_t m, int k, const float *packed, int n, float *c)
{
    for (int p = 0; p < n / NR; p++) {
        const float *pw = packed + (size_t)p * k * NR;
        float *cp = c + (size_t)p * NR;
        size_t r = 0;
        for (; r + 2 <= m; r += 2) a2_block(a + r * k, 2, k, pw, cp + r * n, n);
        if (r < m) a2_block(a + r * k, 1, k, pw, cp + r * n, n);
    }
}

/* ---- AVX-512F: 32 zmm registers, MR = 8 rows x 2 zmm of sums ---- */

#define T_AVX512 __attribute__((target("avx512f,fma")))

static inline __attribute__((always_inline)) T_AVX512 void a5_block(const float *a, int mr, int k, const float *pw, float *c, int ldc)
{
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int kk = 0; kk < k; kk++, pw += NR) {
        __m512 w0 = _mm512_loadu_ps(pw), w1 = _mm512_loadu_ps(pw + 16);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 x = _mm512_set1_ps(a[(size_t)i * k + kk]);
            acc[i][0] = _mm512_fmadd_ps(x, w0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(x, w1, acc[i][1]);
        }
    }
    for (int i = 0; i < mr; i++) {
        float *o = c + (size_t)i * ldc;
        _mm512_storeu_ps(o, _mm512_add_ps(_mm512_loadu_ps(o), acc[i][0]));
        _mm512_storeu_ps(o + 16, _mm512_add_ps(_mm512_loadu_ps(o + 16), acc[i][1]));
    }
}

/* The row remainder (m % 8) as blocks of 4, 2, 1, each with its own unrolled body. */
static T_AVX512 void a5_panel(const float *a, size_t m, int k, const float *pw, float *cp, int n)
{
    size_t r = 0;
    for (; r + 8 <= m; r += 8) a5_block(a + r * k, 8, k, pw, cp + r * n, n);
    if (r + 4 <= m) a5_block(a + r * k, 4, k, pw, cp + r * n, n), r += 4;
    if (r + 2 <= m) a5_block(a + r * k, 2, k, pw, cp + r * n, n), r += 2;
    if (r < m) a5_block(a + r * k, 1, k, pw, cp + r * n, n);
}

static T_AVX512 void a5_gemm(const float *a, size_t m, int k, const float *packed, int n, float *c)
{
    for (int p = 0; p < n / NR; p++) a5_panel(a, m, k, packed + (size_t)p * k * NR, c + (size_t)p * NR, n);
}

static int has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}
#else
static int has_avx2(void) { return 0; }
static int has_avx512(void) { return 0; }
#define a2_gemm p_gemm
#define a5_gemm p_gemm
#endif

static use_gemm_kind g_best = USE_GEMM_PORTABLE;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void pick_best(void)
{
    g_best = has_avx512() ? USE_GEMM_AVX512 : has_avx2() ? USE_GEMM_AVX2 : USE_GEMM_PORTABLE;
}

use_gemm_fn use_gemm_kernel(use_gemm_kind kind)
{
    pthread_once(&g_once, pick_best);
    if (kind == USE_GEMM_BEST) kind = g_best;
    switch (kind) {
    case USE_GEMM_AVX512: return has_avx512() ? a5_gemm : NULL;
    case USE_GEMM_AVX2: return has_avx2() ? a2_gemm : NULL;
    default: return p_gemm;
    }
}

/* Measured with bench/embed/bench_gemm (docs/embed.md), CPU time of a whole forward pass on
 * an AMD EPYC (Zen 4) against OpenBLAS 0.3.21, whose kernel for that CPU is its AVX2
 * "Haswell" one: the AVX-512 kernel takes 0.21x sgemm's time at 1 token, 0.45x at 16 and
 * 0.53-0.65x from 48 to 384, so it runs everything; the AVX2 kernel wins at 4 rows (0.51x,
 * 0.78x in another run) and is even at 8-16 (0.87-1.08x, 1.6x at 128); the portable one
 * wins at 1 row (0.47x), not reliably at 4 (0.87x, 1.86x in another run).  Where OpenBLAS
 * runs an AVX-512 kernel of its own (SkylakeX and later), its large products were not
 * measured against ours, so the AVX-512 kernel there stops at 64 rows. */
size_t use_gemm_default_small_m(use_gemm_kind kind)
{
    pthread_once(&g_once, pick_best);
    if (kind == USE_GEMM_BEST) kind = g_best;
    if (kind == USE_GEMM_AVX512) {
        const char *core = openblas_get_corename();
        int blas512 = core && (strstr(core, "kylakeX") || strstr(core, "ooperlake") || strstr(core, "apphireRapids"));
        return blas512 ? 64 : SIZE_MAX;
    }
    return kind == USE_GEMM_AVX2 ? 4 : 1;
}

const char *use_gemm_name(use_gemm_kind kind)
{
    pthread_once(&g_once, pick_best);
    if (kind == USE_GEMM_BEST) kind = g_best;
    return kind == USE_GEMM_AVX512 ? "avx512" : kind == USE_GEMM_AVX2 ? "avx2" : "portable";
}
