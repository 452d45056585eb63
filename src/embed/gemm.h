/*
 * gemm.h - the small-M matrix product of the local model: C[m][n] += A[m][k] W[k][n] with W
 * packed once, at model load, into column panels.
 *
 * Why: a search query is 5-20 tokens, so every projection of the network is a product of a
 * few rows by a large weight matrix.  OpenBLAS's sgemm repacks the whole weight matrix on each
 * call (sgemm_itcopy), which for so few rows costs about as much as the arithmetic; packing
 * once and streaming the panels through a register-blocked kernel leaves only the unavoidable
 * cost, reading the 19.6 MB of weights once per call.  Large chunks (indexing) keep sgemm.
 *
 * Packed layout: panel p holds columns [32p, 32p + 32) of W for every k, k-major:
 * packed[(p * k + kk) * 32 + j] = W[kk][32p + j].  n must be a multiple of USE_GEMM_NR.
 */
#ifndef PLAIT_EMBED_GEMM_H
#define PLAIT_EMBED_GEMM_H

#include <stddef.h>

#define USE_GEMM_NR 32

/* Each output element is C + sum over kk = 0..k-1 in order (one rounding per step, fused in
 * the SIMD kernels), so kernels differ from each other and from sgemm only by rounding. */
typedef void (*use_gemm_fn)(const float *a, size_t m, int k, const float *packed, int n, float *c);

typedef enum { USE_GEMM_BEST = 0, USE_GEMM_PORTABLE, USE_GEMM_AVX2, USE_GEMM_AVX512 } use_gemm_kind;

/* The kernel of that kind, or NULL if this CPU cannot run it; BEST is chosen at run time
 * (AVX-512F, else AVX2+FMA, else portable C) once per process. */
use_gemm_fn use_gemm_kernel(use_gemm_kind kind);
const char *use_gemm_name(use_gemm_kind kind);

/* Products of at most this many rows should use that kernel rather than sgemm (SIZE_MAX:
 * every product); the measurements behind it are in gemm.c. */
size_t use_gemm_default_small_m(use_gemm_kind kind);

/* Packs w[k][n] (row-major) into out[k * n] as described above. */
void use_gemm_pack(const float *w, int k, int n, float *out);

#endif
