/*
 * distance.c - float32 / int8 inner loops in three families: portable C, AVX2+FMA and
 * AVX-512 (F+BW).  The SIMD families are compiled with __attribute__((target)) so the rest of
 * the program keeps the baseline ISA and runs on any x86-64 (or non-x86) machine; which one is
 * used is decided at run time with __builtin_cpu_supports.
 */
#include "vector/distance.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- portable: four accumulators so the loop is not one long dependency chain ---- */

static float p_dot_f32(const float *a, const float *b, size_t n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static float p_l2_f32(const float *a, const float *b, size_t n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1];
        float d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < n; i++) {
        float d = a[i] - b[i];
        s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
}

static float p_dot_f32_i8(const float *a, const int8_t *b, size_t n)
{
    float s0 = 0, s1 = 0;
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        s0 += a[i] * (float)b[i];
        s1 += a[i + 1] * (float)b[i + 1];
    }
    for (; i < n; i++) s0 += a[i] * (float)b[i];
    return s0 + s1;
}

static int32_t p_dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
    int32_t s = 0;
    for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return s;
}

static float p_dot_f32_i8b(const float *a, const int8_t *b, const uint8_t *bits, size_t n)
{
    float s0 = 0, s1 = 0;
    for (size_t i = 0; i < n; i++) {
        s0 += a[i] * (float)b[i];
        if ((bits[i >> 3] >> (i & 7)) & 1) s1 += a[i];
    }
    return s0 + 0.5f * s1;
}

static int64_t p_dot_i16_i9(const int16_t *q, const int8_t *b, const uint8_t *bits, size_t n)
{
    int64_t s = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        unsigned m = bits[i >> 3];
        int32_t t = 0; /* 8 products of |q| <= 32768 and |2b + bit| <= 255 fit easily */
        for (unsigned j = 0; j < 8; j++) t += (int32_t)q[i + j] * (2 * (int32_t)b[i + j] + (int32_t)((m >> j) & 1));
        s += t;
    }
    for (; i < n; i++) s += (int32_t)q[i] * (2 * (int32_t)b[i] + (int32_t)((bits[i >> 3] >> (i & 7)) & 1));
    return s;
}

static const vx_kernels k_portable = {"portable", p_dot_f32, p_l2_f32, p_dot_f32_i8, p_dot_i8, p_dot_f32_i8b,
                                      p_dot_i16_i9};

const vx_kernels *vx_kernels_portable(void) { return &k_portable; }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* ---- AVX2 + FMA ---- */
#define T_AVX2 __attribute__((target("avx2,fma")))

T_AVX2 static float hsum256(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

T_AVX2 static int32_t hsum256_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

T_AVX2 static float a2_dot_f32(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    if (i + 8 <= n) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        i += 8;
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

T_AVX2 static float a2_l2_f32(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    if (i + 8 <= n) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        i += 8;
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) {
        float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

T_AVX2 static float a2_dot_f32_i8(const float *a, const int8_t *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i q = _mm_loadu_si128((const __m128i *)(b + i));
        __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
        __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), f0, s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), f1, s1);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * (float)b[i];
    return s;
}

T_AVX2 static int32_t a2_dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
    __m256i s = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        s = _mm256_add_epi32(s, _mm256_madd_epi16(x, y));
    }
    int32_t r = hsum256_epi32(s);
    for (; i < n; i++) r += (int32_t)a[i] * (int32_t)b[i];
    return r;
}

T_AVX2 static float a2_dot_f32_i8b(const float *a, const int8_t *b, const uint8_t *bits, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i q = _mm_loadl_epi64((const __m128i *)(b + i));
        __m256 av = _mm256_loadu_ps(a + i);
        s0 = _mm256_fmadd_ps(av, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), s0);
        __m256i m = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits[i >> 3]), sel), sel);
        s1 = _mm256_add_ps(s1, _mm256_and_ps(av, _mm256_castsi256_ps(m)));
    }
    float s = hsum256(s0), t = hsum256(s1);
    for (; i < n; i++) {
        s += a[i] * (float)b[i];
        if ((bits[i >> 3] >> (i & 7)) & 1) t += a[i];
    }
    return s + 0.5f * t;
}

/* Per 16 elements: widen the codes to int16, double them, add the refinement bits (a
 * compare against one bit per lane gives -1, subtracted), then pmaddwd with the int16 query.
 * int32 lanes take 64 steps (2 products of <= 32768 * 255 each) before they are widened. */
T_AVX2 static int64_t a2_dot_i16_i9(const int16_t *q, const int8_t *b, const uint8_t *bits, size_t n)
{
    const __m256i sel = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
                                          16384, (short)0x8000);
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    while (i + 16 <= n) {
        size_t end = i + 1024 < n ? i + 1024 : n;
        __m256i s = _mm256_setzero_si256();
        for (; i + 16 <= end; i += 16) {
            __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
            uint16_t bm;
            memcpy(&bm, bits + (i >> 3), 2);
            __m256i m = _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_set1_epi16((short)bm), sel), sel);
            v = _mm256_sub_epi16(_mm256_add_epi16(v, v), m);
            s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(q + i)), v));
        }
        acc = _mm256_add_epi64(acc, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(s)));
        acc = _mm256_add_epi64(acc, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(s, 1)));
    }
    int64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, acc);
    int64_t r = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    for (; i < n; i++) r += (int32_t)q[i] * (2 * (int32_t)b[i] + (int32_t)((bits[i >> 3] >> (i & 7)) & 1));
    return r;
}

static const vx_kernels k_avx2 = {"avx2", a2_dot_f32, a2_l2_f32, a2_dot_f32_i8, a2_dot_i8, a2_dot_f32_i8b,
                                  a2_dot_i16_i9};

/* ---- AVX-512 F + BW + VL: masked loads take the tails without a scalar loop ---- */
#define T_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))

T_AVX512 static float a5_dot_f32(const float *a, const float *b, size_t n)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

T_AVX512 static float a5_l2_f32(const float *a, const float *b, size_t n)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

T_AVX512 static float a5_dot_f32_i8(const float *a, const int8_t *b, size_t n)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i q = _mm256_loadu_si256((const __m256i *)(b + i));
        __m512 f0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q)));
        __m512 f1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1)));
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), f0, s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), f1, s1);
    }
    for (; i < n; i += 16) {
        size_t left = n - i;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        __m128i q = _mm_maskz_loadu_epi8(m, b + i);
        __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), f, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

T_AVX512 static int32_t a5_dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
    __m512i s = _mm512_setzero_si512();
    size_t i = 0;
    for (; i < n; i += 32) {
        size_t left = n - i;
        __mmask32 m = left >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << left) - 1);
        __m512i x = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, a + i));
        __m512i y = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, b + i));
        s = _mm512_add_epi32(s, _mm512_madd_epi16(x, y));
    }
    return _mm512_reduce_add_epi32(s);
}

T_AVX512 static float a5_dot_f32_i8b(const float *a, const int8_t *b, const uint8_t *bits, size_t n)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        size_t left = n - i;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        uint16_t bm = bits[i >> 3];
        if (left > 8) bm |= (uint16_t)bits[(i >> 3) + 1] << 8;
        __m512 av = _mm512_maskz_loadu_ps(m, a + i);
        __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, b + i)));
        s0 = _mm512_fmadd_ps(av, f, s0);
        s1 = _mm512_mask_add_ps(s1, (__mmask16)(bm & m), s1, av);
    }
    return _mm512_reduce_add_ps(s0) + 0.5f * _mm512_reduce_add_ps(s1);
}

/* 32 elements per step; the refinement bits are a 32-bit mask register driving a masked
 * subtract of -1; int32 lanes take 64 steps before they are widened to int64. */
T_AVX512 static int64_t a5_dot_i16_i9(const int16_t *q, const int8_t *b, const uint8_t *bits, size_t n)
{
    const __m512i minus1 = _mm512_set1_epi16(-1);
    __m512i acc = _mm512_setzero_si512();
    size_t i = 0;
    while (i < n) {
        size_t end = i + 2048 < n ? i + 2048 : n;
        __m512i s = _mm512_setzero_si512();
        for (; i + 32 <= end; i += 32) {
            __m512i v = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i)));
            uint32_t bm;
            memcpy(&bm, bits + (i >> 3), 4);
            v = _mm512_add_epi16(v, v);
            v = _mm512_mask_sub_epi16(v, (__mmask32)bm, v, minus1);
            s = _mm512_add_epi32(s, _mm512_madd_epi16(_mm512_loadu_si512(q + i), v));
        }
        if (i < end) { /* the last, partial step: masked loads, only the bytes of bits that exist */
            size_t left = end - i;
            __mmask32 m = (__mmask32)((1u << left) - 1);
            uint32_t bm = 0;
            memcpy(&bm, bits + (i >> 3), (left + 7) / 8);
            __m512i v = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, b + i));
            v = _mm512_add_epi16(v, v);
            v = _mm512_mask_sub_epi16(v, (__mmask32)bm & m, v, minus1);
            s = _mm512_add_epi32(s, _mm512_madd_epi16(_mm512_maskz_loadu_epi16(m, q + i), v));
            i = end;
        }
        acc = _mm512_add_epi64(acc, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(s)));
        acc = _mm512_add_epi64(acc, _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(s, 1)));
    }
    return _mm512_reduce_add_epi64(acc);
}

static const vx_kernels k_avx512 = {"avx512", a5_dot_f32, a5_l2_f32, a5_dot_f32_i8, a5_dot_i8, a5_dot_f32_i8b,
                                    a5_dot_i16_i9};

const vx_kernels *vx_kernels_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &k_avx2 : NULL;
}

const vx_kernels *vx_kernels_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma")
               ? &k_avx512
               : NULL;
}
#else
const vx_kernels *vx_kernels_avx2(void) { return NULL; }
const vx_kernels *vx_kernels_avx512(void) { return NULL; }
#endif

static const vx_kernels *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose(void)
{
    const char *force = getenv("PLAIT_VX_KERNELS");
    const vx_kernels *k = NULL;
    if (force && strcmp(force, "portable") == 0) k = vx_kernels_portable();
    else if (force && strcmp(force, "avx2") == 0) k = vx_kernels_avx2();
    else if (force && strcmp(force, "avx512") == 0) k = vx_kernels_avx512();
    else {
        k = vx_kernels_avx512();
        if (!k) k = vx_kernels_avx2();
    }
    chosen = k ? k : vx_kernels_portable();
}

const vx_kernels *vx_kernels_best(void)
{
    pthread_once(&chosen_once, choose);
    return chosen;
}
