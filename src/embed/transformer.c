/*
 * transformer.c - USE-lite inference: embedding + position signal, two pre-norm transformer
 * layers, mean pooling, tanh projection, L2 normalisation.
 *
 * Read off the TF graph (use_lite_graph_dump.txt), with its quirks kept:
 *  - layer 0 input is 2*E[id] + signal: the graph scatters the embeddings once on their own
 *    and once with the signal added, then adds the two;
 *  - signal[p] = [sin(p * f_i) | cos(p * f_i)], i < 128, f_i from the model file;
 *  - layer norm: (x - mean) * rsqrt(var + 1e-6) * scale + bias (biased variance);
 *  - attention: q|k|v = LN(x) W + b split in three equal column blocks, 4 heads each of
 *    width/4 consecutive columns, q scaled by 1/sqrt(head width) before q.k, softmax, x V,
 *    then an output projection to 512;
 *  - residual of layer 0 is x projected 256 -> 512 ("AdjustResidualInput"), of layer 1 x;
 *  - FFN: LN, 512 -> 1536 ReLU -> 512, added to its input;
 *  - no final layer norm; mean over a sequence's tokens (divided by max(len, 1)), which
 *    commutes with layer 1's last FFN product, so that product runs on the mean (pool_ffn);
 *    tanh(pooled W + b); y * rsqrt(max(sum y^2, 1e-12)).
 * Matrices are row-major [in][out], so every projection is C = A W: OpenBLAS sgemm for a chunk
 * of many tokens (indexing), the packed small-M kernel of gemm.c for a few (a search query).
 */
#include "embed/transformer.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void use_scratch_free(use_scratch *s)
{
    free(s->x);
    free(s->h);
    free(s->ln);
    free(s->qkv);
    free(s->att);
    free(s->ffn);
    free(s->scores);
    free(s->pooled);
    free(s->pooled_ffn);
    memset(s, 0, sizeof *s);
}

static void scratch_reserve(use_scratch *s, size_t tokens, size_t nseq, int max_len)
{
    if (tokens > s->tok_cap) {
        size_t cap = tokens < 64 ? 64 : tokens;
        s->x = xrealloc(s->x, cap * USE_EMB * sizeof(float));
        s->h = xrealloc(s->h, cap * USE_HID * sizeof(float));
        s->ln = xrealloc(s->ln, cap * USE_HID * sizeof(float));
        s->qkv = xrealloc(s->qkv, cap * 3 * USE_HID * sizeof(float));
        s->att = xrealloc(s->att, cap * USE_HID * sizeof(float));
        s->ffn = xrealloc(s->ffn, cap * USE_FFN * sizeof(float));
        s->tok_cap = cap;
    }
    if (!s->scores) s->scores = xmalloc((size_t)max_len * (size_t)max_len * sizeof(float));
    if (nseq > s->seq_cap) {
        s->pooled = xrealloc(s->pooled, nseq * USE_HID * sizeof(float));
        s->pooled_ffn = xrealloc(s->pooled_ffn, nseq * USE_FFN * sizeof(float));
        s->seq_cap = nseq;
    }
}

/* x[t] = 2 * E[id] + position signal (tabulated at load, w->signal). */
static void embed_tokens(const use_weights *w, const int32_t *const *ids, const size_t *lens, size_t nseq, float *x)
{
    for (size_t s = 0; s < nseq; s++) {
        for (size_t p = 0; p < lens[s]; p++, x += USE_EMB) {
            const float *e = w->embeddings + (size_t)ids[s][p] * USE_EMB, *sig = w->signal + p * USE_EMB;
            for (int i = 0; i < USE_EMB; i++) x[i] = (e[i] + e[i]) + sig[i];
        }
    }
}

static void layer_norm(const float *in, float *out, size_t rows, int d, const float *scale, const float *bias, float eps)
{
    for (size_t r = 0; r < rows; r++, in += d, out += d) {
        double sum = 0, sq = 0;
        for (int i = 0; i < d; i++) sum += in[i];
        float mean = (float)(sum / d);
        for (int i = 0; i < d; i++) {
            float c = in[i] - mean;
            sq += (double)c * c;
        }
        float inv = 1.0f / sqrtf((float)(sq / d) + eps);
        for (int i = 0; i < d; i++) out[i] = (in[i] - mean) * inv * scale[i] + bias[i];
    }
}

/* One weight matrix in both layouts: row-major [k][n] for sgemm, panels for the kernel. */
typedef struct {
    const float *w, *packed;
} use_mat;

/* C[rows][n] = bias (broadcast) or += bias, then C += A[rows][k] W[k][n].  Few rows (a query)
 * go to the packed kernel, which does not repack W on every call as sgemm does. */
static void dense(const use_weights *w, const float *a, size_t rows, int k, use_mat m, const float *bias, int n,
                  float *c, int accumulate)
{
    for (size_t r = 0; r < rows; r++) {
        float *row = c + r * (size_t)n;
        if (accumulate)
            for (int i = 0; i < n; i++) row[i] += bias[i];
        else
            memcpy(row, bias, (size_t)n * sizeof(float));
    }
    if (rows <= w->small_m)
        w->gemm(a, rows, k, m.packed, n, c);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, n, k, 1.0f, a, k, m.w, n, 1.0f, c, n);
}

#define MAT(L, f) ((use_mat){L->f##_w, L->f##_p})

static void softmax_rows(float *s, int rows, int cols)
{
    for (int r = 0; r < rows; r++, s += cols) {
        float mx = s[0];
        for (int j = 1; j < cols; j++)
            if (s[j] > mx) mx = s[j];
        float sum = 0;
        for (int j = 0; j < cols; j++) {
            s[j] = expf(s[j] - mx);
            sum += s[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < cols; j++) s[j] *= inv;
    }
}

/* att[t][0..d) = multi-head attention of one sequence's qkv rows. */
static void attention(const use_layer *L, const float *qkv, int len, float *att, float *scores)
{
    const int d = L->in, dh = d / USE_HEADS, ld = 3 * d;
    for (int h = 0; h < USE_HEADS; h++) {
        const float *q = qkv + h * dh, *k = q + d, *v = q + 2 * d;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, len, len, dh, L->q_scale, q, ld, k, ld, 0.0f, scores, len);
        softmax_rows(scores, len, len);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, len, dh, len, 1.0f, scores, len, v, ld, 0.0f, att + h * dh, d);
    }
}

/* One transformer layer: in[T][L->in] -> s->h[T][512] (in may be s->h for layer 1).  With
 * last set, the FFN's second product is left to pool_ffn: s->h then holds the FFN's input h
 * and s->ffn its ReLU activations. */
static void layer_forward(const use_weights *w, const use_layer *L, const float *in, const size_t *lens, size_t nseq,
                          size_t T, int last, use_scratch *s)
{
    const int d = L->in;
    const float eps = w->ln_eps;
    layer_norm(in, s->ln, T, d, L->ln1_scale, L->ln1_bias, eps);
    dense(w, s->ln, T, d, MAT(L, qkv), L->qkv_b, 3 * d, s->qkv, 0);
    size_t row = 0;
    for (size_t q = 0; q < nseq; q++) {
        if (lens[q]) attention(L, s->qkv + row * 3 * (size_t)d, (int)lens[q], s->att + row * (size_t)d, s->scores);
        row += lens[q];
    }
    if (L->adj_w) /* layer 0: residual projected to the wider stream */
        dense(w, in, T, d, MAT(L, adj), L->adj_b, USE_HID, s->h, 0);
    dense(w, s->att, T, d, MAT(L, out), L->out_b, USE_HID, s->h, 1);
    layer_norm(s->h, s->ln, T, USE_HID, L->ln2_scale, L->ln2_bias, eps);
    dense(w, s->ln, T, USE_HID, MAT(L, ffn1), L->ffn1_b, USE_FFN, s->ffn, 0);
    for (size_t i = 0; i < T * USE_FFN; i++)
        if (s->ffn[i] < 0) s->ffn[i] = 0;
    if (!last) dense(w, s->ffn, T, USE_FFN, MAT(L, ffn2), L->ffn2_b, USE_HID, s->h, 1);
}

/* out[q][0..d) = mean of the sequence's rows of in[][d] (0 for an empty sequence). */
static void mean_rows(const float *in, int d, const size_t *lens, size_t nseq, float *out)
{
    for (size_t q = 0; q < nseq; q++) {
        float *p = out + q * (size_t)d;
        memset(p, 0, (size_t)d * sizeof(float));
        for (size_t t = 0; t < lens[q]; t++, in += d)
            for (int i = 0; i < d; i++) p[i] += in[i];
        float div = lens[q] > 1 ? (float)lens[q] : 1.0f;
        for (int i = 0; i < d; i++) p[i] /= div;
    }
}

/* The mean over a sequence of the last layer's output, mean(h + relu W2 + b2), computed as
 * mean(h) + mean(relu) W2 + b2: the same value (no layer norm follows), with the largest
 * product of the layer done once per sequence instead of once per token (16% of the
 * network's arithmetic).  An empty sequence pools to 0, as before. */
static void pool_ffn(const use_weights *w, const size_t *lens, size_t nseq, use_scratch *s)
{
    const use_layer *L = &w->layer[1];
    mean_rows(s->h, USE_HID, lens, nseq, s->pooled);
    mean_rows(s->ffn, USE_FFN, lens, nseq, s->pooled_ffn);
    dense(w, s->pooled_ffn, nseq, USE_FFN, MAT(L, ffn2), L->ffn2_b, USE_HID, s->pooled, 1);
    for (size_t q = 0; q < nseq; q++)
        if (!lens[q]) memset(s->pooled + q * USE_HID, 0, USE_HID * sizeof(float));
}

static void project(const use_weights *w, size_t nseq, float *out, use_scratch *s)
{
    dense(w, s->pooled, nseq, USE_HID, (use_mat){w->proj_w, w->proj_p}, w->proj_b, USE_HID, out, 0);
    for (size_t q = 0; q < nseq; q++) {
        float *y = out + q * USE_HID;
        float sq = 0;
        for (int i = 0; i < USE_HID; i++) {
            y[i] = tanhf(y[i]);
            sq += y[i] * y[i];
        }
        float inv = 1.0f / sqrtf(sq > w->l2_floor ? sq : w->l2_floor);
        for (int i = 0; i < USE_HID; i++) y[i] *= inv;
    }
}

void use_forward(const use_weights *w, const int32_t *const *ids, const size_t *lens, size_t nseq, float *out, use_scratch *s)
{
    size_t T = 0;
    for (size_t q = 0; q < nseq; q++) T += lens[q];
    scratch_reserve(s, T, nseq, w->max_len);
    if (T > 0) {
        embed_tokens(w, ids, lens, nseq, s->x);
        layer_forward(w, &w->layer[0], s->x, lens, nseq, T, 0, s);
        layer_forward(w, &w->layer[1], s->h, lens, nseq, T, 1, s);
        pool_ffn(w, lens, nseq, s);
    } else {
        memset(s->pooled, 0, nseq * USE_HID * sizeof(float));
    }
    project(w, nseq, out, s);
}
