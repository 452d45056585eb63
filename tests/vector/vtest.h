/*
 * vtest.h - shared helpers for the vector index tests: seeded data (uniform and clustered),
 * brute-force ground truth and recall.  Header-only so each test binary stays one file.
 */
#ifndef PLAIT_TESTS_VTEST_H
#define PLAIT_TESTS_VTEST_H

#include "plait/vector.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t vt_next(uint64_t *s)
{
    uint64_t x = (*s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
static inline float vt_unif(uint64_t *s) { return (float)((vt_next(s) >> 40) * (1.0 / 16777216.0)); }
static inline float vt_gauss(uint64_t *s)
{
    float u = vt_unif(s) + 1e-7f, v = vt_unif(s);
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

/* n vectors of dim: a mixture of `clusters` Gaussians (0 = uniform in [-1,1]). */
static inline float *vt_data(size_t n, unsigned dim, unsigned clusters, uint64_t seed)
{
    float *v = malloc(sizeof(float) * n * dim);
    float *cent = clusters ? malloc(sizeof(float) * clusters * dim) : NULL;
    for (size_t i = 0; i < (size_t)clusters * dim; i++) cent[i] = vt_gauss(&seed) * 2.0f;
    for (size_t i = 0; i < n; i++) {
        unsigned c = clusters ? (unsigned)(vt_next(&seed) % clusters) : 0;
        for (unsigned d = 0; d < dim; d++)
            v[i * dim + d] = clusters ? cent[(size_t)c * dim + d] + vt_gauss(&seed) * 0.5f
                                      : vt_unif(&seed) * 2.0f - 1.0f;
    }
    free(cent);
    return v;
}

static inline float vt_dist(plait_vmetric m, const float *a, const float *b, unsigned dim)
{
    double s = 0, na = 0, nb = 0;
    for (unsigned i = 0; i < dim; i++) {
        if (m == PLAIT_VMETRIC_L2) s += (double)(a[i] - b[i]) * (a[i] - b[i]);
        else s += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    if (m == PLAIT_VMETRIC_L2) return (float)s;
    if (m == PLAIT_VMETRIC_IP) return (float)(1.0 - s);
    return (float)(1.0 - s / sqrt(na * nb));
}

typedef int (*vt_allow)(uint64_t label, void *ctx);

/* Exact top-k labels (out[k]) among rows whose label[i] is live and allowed. */
static inline size_t vt_brute(plait_vmetric m, const float *data, const uint64_t *labels,
                              const unsigned char *live, size_t n, unsigned dim, const float *q,
                              size_t k, vt_allow allow, void *ctx, uint64_t *out)
{
    float *bd = malloc(sizeof(float) * k);
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        if (live && !live[i]) continue;
        if (allow && !allow(labels[i], ctx)) continue;
        float d = vt_dist(m, data + i * dim, q, dim);
        if (got == k && d >= bd[k - 1]) continue;
        size_t j = got < k ? got++ : k - 1;
        while (j > 0 && bd[j - 1] > d) {
            bd[j] = bd[j - 1];
            out[j] = out[j - 1];
            j--;
        }
        bd[j] = d;
        out[j] = labels[i];
    }
    free(bd);
    return got;
}

static inline size_t vt_overlap(const uint64_t *truth, size_t nt, const plait_vindex_hit *hits, size_t nh)
{
    size_t c = 0;
    for (size_t i = 0; i < nh; i++)
        for (size_t j = 0; j < nt; j++)
            if (hits[i].label == truth[j]) {
                c++;
                break;
            }
    return c;
}

#endif
