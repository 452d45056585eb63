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
#include <string.h>

#define LOAD_ACQ(p) atomic_load_explicit((p), memory_order_acquire)
#define STORE_REL(p, v) atomic_store_explicit((p), (v), memory_order_release)

void vx_set_vector(plait_vindex *ix, uint32_t id, const float *vec)
{
    vx_node *n = vx_rec(ix, id);
    uint32_t dim = ix->p.dim;
    if (ix->p.storage == PLAIT_VSTORE_F32) {
        memcpy(vx_payload(ix, n), vec, sizeof(float) * dim);
        return;
    }
    /* Per-vector symmetric scale: no training pass, works from the first insert, and an
     * outlier dimension in one vector cannot hurt the precision of every other vector. */
    float maxabs = 0;
    for (uint32_t i = 0; i < dim; i++) maxabs = fmaxf(maxabs, fabsf(vec[i]));
    float scale = maxabs > 0 ? maxabs / 127.0f : 0.0f, inv = maxabs > 0 ? 127.0f / maxabs : 0.0f;
    float *hdr = vx_payload(ix, n);
    int8_t *codes = (int8_t *)(hdr + 2);
    double norm2 = 0;
    for (uint32_t i = 0; i < dim; i++) {
        long q = lrintf(vec[i] * inv);
        if (q > 127) q = 127;
        if (q < -127) q = -127;
        codes[i] = (int8_t)q;
        double x = (double)q * scale;
        norm2 += x * x;
    }
    hdr[0] = scale;
    hdr[1] = (float)norm2;
    if (ix->fchunks) memcpy(vx_fvec(ix, id), vec, sizeof(float) * dim);
}

void vx_query_prepare(const plait_vindex *ix, vx_query *q, const float *vec)
{
    q->v = vec;
    q->norm2 = ix->p.storage == PLAIT_VSTORE_INT8 ? ix->k->dot_f32(vec, vec, ix->p.dim) : 0.0f;
}

static float from_dot(const plait_vindex *ix, float dot, float na, float nb)
{
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
    float dot = pl[0] * ix->k->dot_f32_i8(q->v, (const int8_t *)(pl + 2), ix->p.dim);
    return from_dot(ix, dot, q->norm2, pl[1]);
}

float vx_dist_exact(const plait_vindex *ix, const float *q, uint32_t id)
{
    const float *v;
    if (ix->p.storage == PLAIT_VSTORE_F32) v = vx_payload(ix, vx_rec(ix, id));
    else if (ix->fchunks) v = vx_fvec(ix, id);
    else {
        vx_query pq;
        vx_query_prepare(ix, &pq, q);
        return vx_dist_q(ix, &pq, vx_rec(ix, id));
    }
    if (ix->p.metric == PLAIT_VMETRIC_L2) return ix->k->l2_f32(q, v, ix->p.dim);
    return 1.0f - ix->k->dot_f32(q, v, ix->p.dim);
}

float vx_dist_nodes(const plait_vindex *ix, uint32_t a, uint32_t b)
{
    if (ix->p.storage == PLAIT_VSTORE_F32 || ix->fchunks) {
        const float *va = ix->fchunks ? vx_fvec(ix, a) : vx_payload(ix, vx_rec(ix, a));
        return vx_dist_exact(ix, va, b);
    }
    const float *pa = vx_payload(ix, vx_rec(ix, a)), *pb = vx_payload(ix, vx_rec(ix, b));
    int32_t idot = ix->k->dot_i8((const int8_t *)(pa + 2), (const int8_t *)(pb + 2), ix->p.dim);
    return from_dot(ix, pa[0] * pb[0] * (float)idot, pa[1], pb[1]);
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
        if (cnt) __builtin_prefetch(vx_rec(ix, LOAD_ACQ(&lst[1])));
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t id = LOAD_ACQ(&lst[1 + i]);
            if (i + 1 < cnt) __builtin_prefetch((char *)vx_rec(ix, LOAD_ACQ(&lst[2 + i])) + ix->vec_off);
            vx_work_ensure(w, id);
            if (vx_work_visit(w, id)) continue;
            vx_node *m = vx_rec(ix, id);
            float d = vx_dist_q(ix, q, m);
            if (w->res.len < ef || d < w->res.items[0].d) {
                vx_heap_push_min(&w->cand, d, id);
                if (eligible(m, f)) {
                    vx_heap_push_max(&w->res, d, id);
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
    for (size_t i = 0; i < n && kept < cap; i++) {
        int ok = 1;
        for (size_t j = 0; j < kept && ok; j++)
            if (vx_dist_nodes(ix, cand[i].id, cand[j].id) < cand[i].d) ok = 0;
        if (ok) cand[kept++] = cand[i];
    }
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
        for (uint32_t j = 0; j < cnt; j++) {
            uint32_t id = atomic_load_explicit(&lst[1 + j], memory_order_relaxed);
            buf[m++] = (vx_pair){vx_dist_nodes(ix, base, id), id};
        }
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
    vx_query_prepare(ix, &q, vec);
    uint32_t cur = (uint32_t)st, maxl = (uint32_t)(st >> 32);
    float d = vx_dist_q(ix, &q, vx_rec(ix, cur));
    for (uint32_t l = maxl; l > level; l--) cur = greedy(ix, &q, cur, &d, l);
    vx_filter f = {VX_F_DELETED | VX_F_FREE, NULL, NULL};
    for (uint32_t l = level < maxl ? level : maxl;; l--) {
        search_layer(ix, w, &q, cur, d, ix->p.ef_construction, l, &f);
        w->tmp.len = 0;
        for (size_t i = 0; i < w->res.len; i++) vx_heap_push_min(&w->tmp, w->res.items[i].d, w->res.items[i].id);
        vx_pairs_sort(w->tmp.items, w->tmp.len);
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
