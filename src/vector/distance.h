/*
 * distance.h - the distance kernels behind the HNSW index, and their runtime dispatch.
 *
 * Every kernel family implements the same primitives; the metric arithmetic (1 - dot,
 * norms for quantised L2) is done by the caller in hnsw.c so that each family only has to get
 * the inner loops right.  vx_kernels_best() picks the widest family the CPU supports, once;
 * the portable family is always available and the tests hold the others to it.
 */
#ifndef PLAIT_VECTOR_DISTANCE_H
#define PLAIT_VECTOR_DISTANCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    float (*dot_f32)(const float *a, const float *b, size_t n);
    float (*l2_f32)(const float *a, const float *b, size_t n); /* squared */
    float (*dot_f32_i8)(const float *a, const int8_t *b, size_t n);
    int32_t (*dot_i8)(const int8_t *a, const int8_t *b, size_t n);
    /* sum of a[i] * (b[i] + 0.5 * bit i of bits): int8 codes with one refinement bit each
     * (bit i is bits[i / 8] >> (i % 8) & 1) */
    float (*dot_f32_i8b)(const float *a, const int8_t *b, const uint8_t *bits, size_t n);
    /* sum of q[i] * (2 * b[i] + bit i), exactly (integer arithmetic in every family, so the
     * families agree bit for bit): the same codes against a query quantised to int16.  The
     * products fit int32 lanes for any n; lanes are widened to int64 every 1,024 elements. */
    int64_t (*dot_i16_i9)(const int16_t *q, const int8_t *b, const uint8_t *bits, size_t n);
} vx_kernels;

const vx_kernels *vx_kernels_portable(void);
/* NULL when this CPU (or compiler) lacks the instructions. */
const vx_kernels *vx_kernels_avx2(void);
const vx_kernels *vx_kernels_avx512(void);
/* The best available family; PLAIT_VX_KERNELS=portable|avx2|avx512 in the environment
 * forces a family (falls back to portable if unsupported), for measuring and testing. */
const vx_kernels *vx_kernels_best(void);

#endif
