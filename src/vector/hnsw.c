/*
 * hnsw.c - the graph itself: distances between queries and slots, level draws, greedy
 * descent, the beam search on one layer, the neighbour-selection heuristic and insertion.
 *
 * Insertion follows the HNSW paper (Malkov & Yashunin, Alg. 1/2/4) with two choices made for
 * concurrency: a node's lists are only written under that node's spinlock, and never two
 * spinlocks at once (so no lock order exists to get wrong).  Because other inserters may
 * link to a new node before it has written its own lower lists, the new node merges what it
 * selected with what others already appended instead of overwriting.
 */
#include "vector/vx_internal.h"

#include "core/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_ACQ(p) atomic_load_explicit((p), memory_order_acquire)
#define STORE_REL(p, v) atomic_store_explicit((p), (v), memory_order_release)

static int8_t *i8_codes(const float *hdr) { return (int8_t *)((char *)hdr + VX_I8_HDR); }
static uint32_t i8_cent(const float *hdr)
{
    uint32_t c;
    memcpy(&c, hdr + 2, 4);
    return c;
}

static uint32_t nearest_centroid(const plait_vindex *ix, const float *cent, uint32_t k, const float *v)
{
    uint32_t best = 0;
    float bd = INFINITY;
    for (uint32_t j = 0; j < k; j++) {
        float d = ix->k->l2_f32(v, cent + (size_t)j * ix->p.dim, ix->p.dim);
        if (d < bd) {
            bd = d;
            best = j;
        }
    }
    return best;
}

void vx_set_vector(plait_vindex *ix, uint32_t id, const float *vec)
{
    vx_node *n = vx_rec(ix, id);
    uint32_t dim = ix->p.dim;
    if (ix->p.storage == PLAIT_VSTORE_F32) {
        memcpy(vx_payload(ix, n), vec, sizeof(float) * dim);
        return;
    }
    /* The residual from the nearest centroid, per-vector symmetric scale, 8 bits plus one
     * refinement bit per dimension (see vx_internal.h and docs/vector.md for the measured
     * reasons).  Before centroids exist the residual is the vector itself. */
    const float *cent = atomic_load_explicit(&ix->cent, memory_order_acquire);
    uint32_t c = cent ? nearest_centroid(ix, cent, ix->ncent, vec) : VX_NONE;
    const float *cv = cent ? cent + (size_t)c * dim : NULL;
    float maxabs = 0;
    for (uint32_t i = 0; i < dim; i++) maxabs = fmaxf(maxabs, fabsf(vec[i] - (cv ? cv[i] : 0.0f)));
    float scale = maxabs > 0 ? maxabs / 127.0f : 0.0f, inv = maxabs > 0 ? 127.0f / maxabs : 0.0f;
    float *hdr = vx_payload(ix, n);
    int8_t *codes = i8_codes(hdr);
    uint8_t *bits = (uint8_t *)codes + dim;
    memset(bits, 0, (dim + 7) / 8);
    double norm2 = 0;
    for (uint32_t i = 0; i < dim; i++) {
        float r = vec[i] - (cv ? cv[i] : 0.0f);
        long q = lrintf(r * inv);
        if (q > 127) q = 127;
        if (q < -127) q = -127;
        codes[i] = (int8_t)q;
        int bit = r - (float)q * scale >= 0;
        bits[i >> 3] |= (uint8_t)(bit << (i & 7));
        double x = (cv ? cv[i] : 0.0) + ((double)q + 0.5 * bit - 0.25) * scale;
        norm2 += x * x;
    }
    hdr[0] = scale;
    hdr[1] = (float)norm2;
    memcpy(hdr + 2, &c, 4);
    if (ix->fchunks) memcpy(vx_fvec(ix, id), vec, sizeof(float) * dim);
}

void vx_dequant(const plait_vindex *ix, uint32_t id, float *out)
{
    const float *hdr = vx_payload(ix, vx_rec(ix, id));
    uint32_t dim = ix->p.dim, c = i8_cent(hdr);
    const int8_t *codes = i8_codes(hdr);
    const uint8_t *bits = (const uint8_t *)codes + dim;
    const float *cent = atomic_load_explicit(&ix->cent, memory_order_acquire);
    const float *cv = c != VX_NONE ? cent + (size_t)c * dim : NULL;
    float sc = hdr[0];
    for (uint32_t i = 0; i < dim; i++)
        out[i] = ((float)codes[i] + 0.5f * (float)((bits[i >> 3] >> (i & 7)) & 1) - 0.25f) * sc;
    if (cv)
        for (uint32_t i = 0; i < dim; i++) out[i] += cv[i];
}

void vx_train_centroids(plait_vindex *ix, const float *vecs, size_t n)
{
    if (ix->p.storage != PLAIT_VSTORE_INT8 || n < VX_I8_MIN_TRAIN) return;
    if (atomic_load_explicit(&ix->cent, memory_order_acquire)) return;
    pthread_mutex_lock(&ix->train_lock);
    if (atomic_load_explicit(&ix->cent, memory_order_acquire)) {
        pthread_mutex_unlock(&ix->train_lock);
        return;
    }
    /* k-means (Lloyd, 8 rounds) on an evenly spaced sample of at most 32 vectors per
     * centroid (non-finite vectors skipped, normalised for cosine); starts from evenly
     * spaced sample vectors, so the result is deterministic. */
    uint32_t dim = ix->p.dim, k = (uint32_t)(n / 32 < VX_I8_MAX_CENT ? n / 32 : VX_I8_MAX_CENT);
    size_t want = (size_t)k * 32, step = n / want, m = 0;
    float *smp = xmalloc(sizeof(float) * want * dim);
    for (size_t i = 0; i < want; i++) {
        const float *v = vecs + i * step * dim;
        double n2 = 0;
        for (uint32_t d = 0; d < dim; d++) n2 += (double)v[d] * v[d];
        if (!isfinite(n2) || (ix->p.metric == PLAIT_VMETRIC_COSINE && n2 == 0)) continue;
        float sc = ix->p.metric == PLAIT_VMETRIC_COSINE ? (float)(1.0 / sqrt(n2)) : 1.0f;
        for (uint32_t d = 0; d < dim; d++) smp[m * dim + d] = v[d] * sc;
        m++;
    }
    if (m < (size_t)k * 16) { /* mostly invalid input: leave it untrained */
        free(smp);
        pthread_mutex_unlock(&ix->train_lock);
        return;
    }
    float *cent = xmalloc(sizeof(float) * k * dim);
    double *sum = xmalloc(sizeof(double) * k * dim);
    uint32_t *cnt = xmalloc(sizeof(uint32_t) * k);
    for (uint32_t j = 0; j < k; j++) memcpy(cent + (size_t)j * dim, smp + (size_t)j * (m / k) * dim, sizeof(float) * dim);
    for (int round = 0; round < 8; round++) {
        memset(sum, 0, sizeof(double) * k * dim);
        memset(cnt, 0, sizeof(uint32_t) * k);
        for (size_t i = 0; i < m; i++) {
            const float *v = smp + i * dim;
            uint32_t c = nearest_centroid(ix, cent, k, v);
            cnt[c]++;
            for (uint32_t d = 0; d < dim; d++) sum[(size_t)c * dim + d] += v[d];
        }
        for (uint32_t j = 0; j < k; j++)
            if (cnt[j])
                for (uint32_t d = 0; d < dim; d++) cent[(size_t)j * dim + d] = (float)(sum[(size_t)j * dim + d] / cnt[j]);
    }
    free(sum);
    free(cnt);
    free(smp);
    ix->ncent = k;
    atomic_store_explicit(&ix->cent, cent, memory_order_release);
    pthread_mutex_unlock(&ix->train_lock);
}

/* int8: the query as int16 with one scale (v ~ qscale * qi), so the distance to a code is
 * one exact integer kernel pass; 15 bits against the codes' 9 add no measurable error. */
static void quantize_query(const plait_vindex *ix, vx_query *q, int16_t *out)
{
    uint32_t dim = ix->p.dim;
    /* Plain compares and a truncating conversion: fmaxf and lrintf are library calls at the
     * project's flags, and this runs once per candidate in the int8 neighbour heuristic. */
    float m = 0;
    for (uint32_t i = 0; i < dim; i++) {
        float a = fabsf(q->v[i]);
        m = a > m ? a : m;
    }
    float inv = m > 0 ? 32767.0f / m : 0.0f;
    for (uint32_t i = 0; i < dim; i++) {
        float y = q->v[i] * inv;
        int x = (int)(y + (y >= 0 ? 0.5f : -0.5f));
        out[i] = (int16_t)(x > 32767 ? 32767 : x < -32767 ? -32767 : x);
    }
    q->qscale = m > 0 ? m / 32767.0f : 0.0f;
    q->qi = out;
}

void vx_query_prepare(const plait_vindex *ix, vx_query *q, const float *vec, vx_work *w)
{
    q->v = vec;
    q->norm2 = q->sum = 0.0f;
    q->cdot = NULL;
    q->cent = NULL;
    q->qi = NULL;
    q->qscale = 0.0f;
    if (ix->p.storage != PLAIT_VSTORE_INT8) return;
    q->norm2 = ix->k->dot_f32(vec, vec, ix->p.dim);
    float s = 0;
    for (uint32_t i = 0; i < ix->p.dim; i++) s += vec[i];
    q->sum = s;
    q->cent = atomic_load_explicit(&ix->cent, memory_order_acquire);
    if (w && w->qi) quantize_query(ix, q, w->qi);
    if (q->cent && w) {
        if (w->ncdot < ix->ncent) {
            free(w->cdot);
            w->cdot = xmalloc(sizeof(float) * ix->ncent);
            w->ncdot = ix->ncent;
        }
        for (uint32_t j = 0; j < ix->ncent; j++) w->cdot[j] = NAN;
        q->cdot = w->cdot;
    }
}

static float from_dot(const plait_vindex *ix, float dot, float na, float nb)
{
    /* Cosine: the reconstruction is not exactly unit length, and its norm error would add a
     * per-vector bias to 1 - dot; dividing by the norms leaves only the angular error. */
    if (ix->p.metric == PLAIT_VMETRIC_COSINE) {
        float nn = na * nb;
        return 1.0f - (nn > 0 ? dot / sqrtf(nn) : dot);
    }
    if (ix->p.metric != PLAIT_VMETRIC_L2) return 1.0f - dot;
    float d = na + nb - 2.0f * dot;
    return d > 0 ? d : 0.0f;
}

float vx_dist_q(const plait_vindex *ix, const vx_query *q, const vx_node *n)
{
    const float *pl = vx_payload(ix, n);
    if (ix->p.storage == PLAIT_VSTORE_F32) {
        if (ix->p.metric == PLAIT_VMETRIC_L2) return ix->k->l2_f32(q->v, pl, ix->p.dim);
        return 1.0f - ix->k->dot_f32(q->v, pl, ix->p.dim);
    }
    const int8_t *codes = i8_codes(pl);
    const uint8_t *bits = (const uint8_t *)codes + ix->p.dim;
    /* <q, code + bit/2 - 1/4>: from the int16 query (one exact integer pass) when there is
     * one, else from the float query. */
    float cq = q->qi ? 0.5f * q->qscale * (float)ix->k->dot_i16_i9(q->qi, codes, bits, ix->p.dim)
                     : ix->k->dot_f32_i8b(q->v, codes, bits, ix->p.dim);
    float dot = pl[0] * (cq - 0.25f * q->sum);
    uint32_t c = i8_cent(pl);
    if (c != VX_NONE) {
        /* A node coded against a centroid was written after the centroids were published,
         * and this query found it through a list, so the centroids are visible. */
        float cd = q->cdot ? q->cdot[c] : NAN;
        if (isnan(cd)) {
            const float *cent = q->cent ? q->cent : atomic_load_explicit(&ix->cent, memory_order_acquire);
            cd = ix->k->dot_f32(q->v, cent + (size_t)c * ix->p.dim, ix->p.dim);
            if (q->cdot && q->cent) q->cdot[c] = cd;
        }
        dot += cd;
    }
    return from_dot(ix, dot, q->norm2, pl[1]);
}

float vx_dist_exact(const plait_vindex *ix, const float *q, uint32_t id)
{
    const float *v;
    if (ix->p.storage == PLAIT_VSTORE_F32) v = vx_payload(ix, vx_rec(ix, id));
    else if (ix->fchunks) v = vx_fvec(ix, id);
    else {
        vx_query pq;
        vx_query_prepare(ix, &pq, q, NULL);
        return vx_dist_q(ix, &pq, vx_rec(ix, id));
    }
    if (ix->p.metric == PLAIT_VMETRIC_L2) return ix->k->l2_f32(q, v, ix->p.dim);
    return 1.0f - ix->k->dot_f32(q, v, ix->p.dim);
}

/* A stored node as a query: float32 nodes point at their vector; int8 nodes without float
 * copies are reconstructed into buf (dim floats) with a centroid-dot cache in cdot
 * (VX_I8_MAX_CENT floats), so measuring one node against many costs one kernel pass each. */
typedef struct {
    vx_query q;
    float *buf;
    int16_t *ibuf;
    float cdot[VX_I8_MAX_CENT];
    float stackbuf[512];
    int16_t stackibuf[512];
} node_query;

static void node_query_init(const plait_vindex *ix, node_query *nq, uint32_t a)
{
    nq->buf = NULL;
    if (ix->p.storage == PLAIT_VSTORE_F32 || ix->fchunks) {
        nq->q.v = ix->fchunks ? vx_fvec(ix, a) : vx_payload(ix, vx_rec(ix, a));
        return;
    }
    if (ix->p.dim <= 512) {
        nq->buf = nq->stackbuf;
        nq->ibuf = nq->stackibuf;
    } else {
        nq->buf = xmalloc((sizeof(float) + sizeof(int16_t)) * ix->p.dim);
        nq->ibuf = (int16_t *)(nq->buf + ix->p.dim);
    }
    vx_dequant(ix, a, nq->buf);
    nq->q.v = nq->buf;
    nq->q.norm2 = ((const float *)vx_payload(ix, vx_rec(ix, a)))[1];
    float s = 0;
    for (uint32_t i = 0; i < ix->p.dim; i++) s += nq->buf[i];
    nq->q.sum = s;
    nq->q.cent = atomic_load_explicit(&ix->cent, memory_order_acquire);
    nq->q.cdot = nq->q.cent ? nq->cdot : NULL;
    quantize_query(ix, &nq->q, nq->ibuf);
    if (nq->q.cent)
        for (uint32_t j = 0; j < ix->ncent; j++) nq->cdot[j] = NAN;
}

static float node_query_dist(const plait_vindex *ix, node_query *nq, uint32_t b)
{
    if (!nq->buf) return vx_dist_exact(ix, nq->q.v, b);
    return vx_dist_q(ix, &nq->q, vx_rec(ix, b));
}

static void node_query_done(node_query *nq)
{
    if (nq->buf && nq->buf != nq->stackbuf) free(nq->buf);
}

float vx_dist_nodes(const plait_vindex *ix, uint32_t a, uint32_t b)
{
    node_query nq;
    node_query_init(ix, &nq, a);
    float d = node_query_dist(ix, &nq, b);
    node_query_done(&nq);
    return d;
}

uint32_t vx_level_for(const plait_vindex *ix, uint64_t label)
{
    /* Levels depend only on (seed, label), so a rebuild from the same data in any order or
     * thread count draws the same levels. */
    uint64_t h = vx_mix64(ix->p.seed ^ vx_mix64(label));
    double u = ((double)(h >> 11) + 1.0) * (1.0 / 9007199254740992.0); /* (0, 1] */
    double l = -log(u) * ix->level_mult;
    return l >= VX_MAX_LEVEL ? VX_MAX_LEVEL : (uint32_t)l;
}

static uint32_t list_count(const plait_vindex *ix, _Atomic uint32_t *lst, uint32_t l)
{
    uint32_t c = LOAD_ACQ(lst), cap = vx_cap(ix, l);
    return c < cap ? c : cap;
}

static uint32_t greedy(plait_vindex *ix, const vx_query *q, uint32_t cur, float *curd, uint32_t l)
{
    for (;;) {
        _Atomic uint32_t *lst = vx_list(ix, vx_rec(ix, cur), l);
        uint32_t cnt = list_count(ix, lst, l), best = cur;
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t id = LOAD_ACQ(&lst[1 + i]);
            float d = vx_dist_q(ix, q, vx_rec(ix, id));
            if (d < *curd) {
                *curd = d;
                best = id;
            }
        }
        if (best == cur) return cur;
        cur = best;
    }
}

static int eligible(const vx_node *n, const vx_filter *f)
{
    if (atomic_load_explicit(&n->flags, memory_order_acquire) & f->skip_flags) return 0;
    return !f->allow || f->allow(n->label, f->ctx);
}

/* Beam search of width ef on layer l from `ep`; the best eligible nodes end in w->res. */
static void search_layer(plait_vindex *ix, vx_work *w, const vx_query *q, uint32_t ep, float epd,
                         size_t ef, uint32_t l, const vx_filter *f)
{
    w->cand.len = w->res.len = 0;
    vx_work_visit_reset(ix, w);
    vx_work_ensure(w, ep);
    vx_work_visit(w, ep);
    vx_heap_push_min(&w->cand, epd, ep);
    if (eligible(vx_rec(ix, ep), f)) vx_heap_push_max(&w->res, epd, ep);
    while (w->cand.len) {
        vx_pair c = vx_heap_pop_min(&w->cand);
        if (w->res.len >= ef && c.d > w->res.items[0].d) break;
        _Atomic uint32_t *lst = vx_list(ix, vx_rec(ix, c.id), l);
        uint32_t cnt = list_count(ix, lst, l);
        /* First pass: drop visited ids and prefetch the rest (record header for the flags,
         * the start of the vector), so the loads of all neighbours overlap. */
        uint32_t ids[256], k = 0;
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t id = LOAD_ACQ(&lst[1 + i]);
            vx_work_ensure(w, id);
            if (vx_work_visit(w, id)) continue;
            const char *r = (const char *)vx_rec(ix, id);
            __builtin_prefetch(r);
            for (uint32_t o = ix->vec_off; o < ix->pf_end; o += 64) __builtin_prefetch(r + o);
            ids[k++] = id;
        }
        for (uint32_t i = 0; i < k; i++) {
            vx_node *m = vx_rec(ix, ids[i]);
            float d = vx_dist_q(ix, q, m);
            if (w->res.len < ef || d < w->res.items[0].d) {
                vx_heap_push_min(&w->cand, d, ids[i]);
                if (eligible(m, f)) {
                    vx_heap_push_max(&w->res, d, ids[i]);
                    if (w->res.len > ef) vx_heap_pop_max(&w->res);
                }
            }
        }
    }
}

void vx_search_graph(plait_vindex *ix, vx_work *w, const vx_query *q, size_t ef, const vx_filter *f)
{
    w->res.len = 0;
    uint64_t st = LOAD_ACQ(&ix->ep_state);
    if (st == VX_EP_EMPTY) return;
    uint32_t ep = (uint32_t)st, maxl = (uint32_t)(st >> 32);
    float d = vx_dist_q(ix, q, vx_rec(ix, ep));
    for (uint32_t l = maxl; l > 0; l--) ep = greedy(ix, q, ep, &d, l);
    search_layer(ix, w, q, ep, d, ef, 0, f);
}

size_t vx_select_neighbours(plait_vindex *ix, vx_pair *cand, size_t n, size_t cap)
{
    /* Keep a candidate only if it is closer to the base than to every neighbour kept so far:
     * this spreads the links over directions, which is what keeps clustered data navigable. */
    size_t kept = 0;
    int quant = ix->p.storage == PLAIT_VSTORE_INT8 && !ix->fchunks;
    if (!quant) {
        for (size_t i = 0; i < n && kept < cap; i++) {
            int ok = 1;
            for (size_t j = 0; j < kept && ok; j++)
                if (vx_dist_nodes(ix, cand[i].id, cand[j].id) < cand[i].d) ok = 0;
            if (ok) cand[kept++] = cand[i];
        }
        return kept;
    }
    /* int8 without floats: each kept node is reconstructed once, as a query, and measured
     * against the candidates' codes (reconstructing every candidate instead cost half of an
     * int8 build: up to efConstruction reconstructions per level against at most cap). */
    node_query one, *kq = cap <= 1 ? &one : xmalloc(cap * sizeof *kq);
    for (size_t i = 0; i < n && kept < cap; i++) {
        int ok = 1;
        for (size_t j = 0; j < kept && ok; j++)
            if (node_query_dist(ix, &kq[j], cand[i].id) < cand[i].d) ok = 0;
        if (!ok) continue;
        node_query_init(ix, &kq[kept], cand[i].id);
        cand[kept++] = cand[i];
    }
    for (size_t j = 0; j < kept; j++) node_query_done(&kq[j]);
    if (kq != &one) free(kq);
    return kept;
}

/* Writes sorted, selected pairs as node n's list on level l (caller holds n's lock). */
static void write_list(plait_vindex *ix, vx_node *n, uint32_t l, const vx_pair *sel, size_t k)
{
    _Atomic uint32_t *lst = vx_list(ix, n, l);
    /* Entries are written before the count so a reader never sees an unwritten slot; a
     * reader racing with the rewrite sees a mix of old and new ids, all of them valid. */
    for (size_t i = 0; i < k; i++) STORE_REL(&lst[1 + i], sel[i].id);
    STORE_REL(lst, (uint32_t)k);
}

/* Adds `add` (distance d from node `base`) to base's list on level l, pruning if full. */
static void link_into(plait_vindex *ix, uint32_t base, const vx_pair *add, size_t nadd, uint32_t l)
{
    vx_pair buf[3 * 256 + 1];
    vx_node *n = vx_rec(ix, base);
    uint32_t cap = vx_cap(ix, l);
    vx_node_lock(n);
    _Atomic uint32_t *lst = vx_list(ix, n, l);
    uint32_t cnt = list_count(ix, lst, l);
    size_t m = 0;
    for (size_t i = 0; i < nadd; i++) {
        int dup = add[i].id == base;
        for (uint32_t j = 0; j < cnt && !dup; j++) dup = atomic_load_explicit(&lst[1 + j], memory_order_relaxed) == add[i].id;
        if (!dup) buf[m++] = add[i];
    }
    if (cnt + m <= cap) {
        for (size_t i = 0; i < m; i++) STORE_REL(&lst[1 + cnt + i], buf[i].id);
        STORE_REL(lst, cnt + (uint32_t)m);
    } else if (m) {
        node_query nq;
        node_query_init(ix, &nq, base);
        for (uint32_t j = 0; j < cnt; j++) {
            uint32_t id = atomic_load_explicit(&lst[1 + j], memory_order_relaxed);
            buf[m++] = (vx_pair){node_query_dist(ix, &nq, id), id};
        }
        node_query_done(&nq);
        vx_pairs_sort(buf, m);
        size_t k = vx_select_neighbours(ix, buf, m, cap);
        write_list(ix, n, l, buf, k);
    }
    vx_node_unlock(n);
}

void vx_insert(plait_vindex *ix, vx_work *w, uint32_t id, const float *vec)
{
    vx_node *n = vx_rec(ix, id);
    uint32_t level = n->level;
    uint64_t st = LOAD_ACQ(&ix->ep_state);
    if (st == VX_EP_EMPTY) {
        pthread_mutex_lock(&ix->ep_lock);
        st = LOAD_ACQ(&ix->ep_state);
        if (st == VX_EP_EMPTY) STORE_REL(&ix->ep_state, ((uint64_t)level << 32) | id);
        pthread_mutex_unlock(&ix->ep_lock);
        if (st == VX_EP_EMPTY) return;
    }
    vx_query q;
    vx_query_prepare(ix, &q, vec, w);
    uint32_t cur = (uint32_t)st, maxl = (uint32_t)(st >> 32);
    float d = vx_dist_q(ix, &q, vx_rec(ix, cur));
    for (uint32_t l = maxl; l > level; l--) cur = greedy(ix, &q, cur, &d, l);
    vx_filter f = {VX_F_DELETED | VX_F_FREE, NULL, NULL};
    for (uint32_t l = level < maxl ? level : maxl;; l--) {
        search_layer(ix, w, &q, cur, d, ix->p.ef_construction, l, &f);
        /* Popping the max-heap fills the array from the back: ascending, no qsort. */
        w->tmp.len = 0;
        for (size_t i = 0; i < w->res.len; i++) vx_heap_push_min(&w->tmp, 0, 0);
        for (size_t i = w->res.len; i-- > 0;) w->tmp.items[i] = vx_heap_pop_max(&w->res);
        if (w->tmp.len) {
            cur = w->tmp.items[0].id;
            d = w->tmp.items[0].d;
        }
        size_t k = vx_select_neighbours(ix, w->tmp.items, w->tmp.len, ix->p.M);
        link_into(ix, id, w->tmp.items, k, l);
        for (size_t i = 0; i < k; i++) {
            vx_pair back = {w->tmp.items[i].d, id};
            link_into(ix, w->tmp.items[i].id, &back, 1, l);
        }
        if (l == 0) break;
    }
    if (level > maxl) {
        pthread_mutex_lock(&ix->ep_lock);
        st = LOAD_ACQ(&ix->ep_state);
        if (st == VX_EP_EMPTY || level > (uint32_t)(st >> 32))
            STORE_REL(&ix->ep_state, ((uint64_t)level << 32) | id);
        pthread_mutex_unlock(&ix->ep_lock);
    }
}
