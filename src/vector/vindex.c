/*
 * vindex.c - the public face of the vector index (plait/vector.h): parameter checks, add /
 * replace / remove with their visibility rules, searches (plain, filtered by widening ef, or
 * an exact scan of the allowed set when the filter is selective), batch insertion on threads,
 * lookups and statistics.  The graph work is in hnsw.c; this file owns the locking order:
 * struct_lock (read) -> mut_lock (read) -> a label stripe / node / ep / grow lock.
 */
#include "vector/vx_internal.h"

#include "core/hash.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void plait_vindex_params_init(plait_vindex_params *p, uint32_t dim)
{
    memset(p, 0, sizeof *p);
    p->dim = dim;
    p->metric = PLAIT_VMETRIC_L2;
    p->storage = PLAIT_VSTORE_F32;
    p->M = 16;
    p->ef_construction = 200;
    p->ef_search = 64;
    p->seed = 1;
    p->compact_threshold = 0.2f;
}

static int check_params(const plait_vindex_params *p)
{
    if (!p) return plait_error_set(PLAIT_EINVALID, "vector index: no parameters given");
    if (p->dim < 1 || p->dim > 65536)
        return plait_error_set(PLAIT_EINVALID, "vector index: dimension %u out of range 1..65536", p->dim);
    if ((unsigned)p->metric > PLAIT_VMETRIC_COSINE)
        return plait_error_set(PLAIT_EINVALID, "vector index: unknown metric %d", (int)p->metric);
    if ((unsigned)p->storage > PLAIT_VSTORE_INT8)
        return plait_error_set(PLAIT_EINVALID, "vector index: unknown storage %d", (int)p->storage);
    if (p->M < 2 || p->M > 128)
        return plait_error_set(PLAIT_EINVALID, "vector index: M %u out of range 2..128", p->M);
    if (p->ef_construction < 1 || p->ef_construction > 100000 || p->ef_search > 100000)
        return plait_error_set(PLAIT_EINVALID, "vector index: ef out of range 1..100000");
    if (!(p->compact_threshold >= 0.0f && p->compact_threshold <= 1.0f))
        return plait_error_set(PLAIT_EINVALID, "vector index: compact_threshold must be in [0, 1]");
    return PLAIT_OK;
}

int plait_vindex_new(plait_vindex **out, const plait_vindex_params *p)
{
    int rc = check_params(p);
    if (rc) return rc;
    if ((rc = plait_hash_init())) return rc;
    plait_vindex_params q = *p;
    if (q.storage == PLAIT_VSTORE_F32) q.keep_float = 0;
    q.keep_float = q.keep_float != 0;
    if (!q.ef_search) q.ef_search = 64;
    return vx_index_alloc(out, &q);
}

void plait_vindex_free(plait_vindex *ix)
{
    if (ix) vx_index_release(ix);
}

void plait_vindex_get_params(const plait_vindex *ix, plait_vindex_params *out) { *out = ix->p; }

const char *plait_vindex_kernel_name(void) { return vx_kernels_best()->name; }

/* Checks `vec` and, for cosine, normalises it into buf.  Returns the vector to use or NULL
 * (error set). */
static const float *prepare_vector(const plait_vindex *ix, const float *vec, float *buf)
{
    if (!vec) {
        plait_error_set(PLAIT_EINVALID, "vector index: NULL vector");
        return NULL;
    }
    double n2 = 0;
    for (uint32_t i = 0; i < ix->p.dim; i++) {
        if (!isfinite(vec[i])) {
            plait_error_set(PLAIT_EINVALID, "vector index: component %u is not finite", i);
            return NULL;
        }
        n2 += (double)vec[i] * vec[i];
    }
    if (ix->p.metric != PLAIT_VMETRIC_COSINE) return vec;
    if (n2 <= 0) {
        plait_error_set(PLAIT_EINVALID, "vector index: zero vector has no cosine direction");
        return NULL;
    }
    float inv = (float)(1.0 / sqrt(n2));
    for (uint32_t i = 0; i < ix->p.dim; i++) buf[i] = vec[i] * inv;
    return buf;
}

static void lock_mutators(plait_vindex *ix)
{
    pthread_rwlock_rdlock(&ix->struct_lock);
    pthread_rwlock_rdlock(&ix->mut_lock);
}

static void unlock_mutators(plait_vindex *ix)
{
    pthread_rwlock_unlock(&ix->mut_lock);
    pthread_rwlock_unlock(&ix->struct_lock);
}

/* One insert with the caller's workspace: a batch worker keeps one for its whole share, so
 * its visited marks and heaps stay in that core's cache instead of moving between threads
 * through the pool. */
static int add_with(plait_vindex *ix, vx_work *w, uint64_t label, const float *vec)
{
    const float *v = prepare_vector(ix, vec, w->qbuf);
    if (!v) return plait_error_last_code();
    lock_mutators(ix);
    uint32_t id = vx_slot_alloc(ix);
    vx_node *n = vx_rec(ix, id);
    n->label = label;
    n->level = vx_level_for(ix, label);
    if (n->level) {
        size_t bytes = (size_t)n->level * (ix->p.M + 1) * sizeof(uint32_t);
        n->upper = xcalloc(1, bytes);
        atomic_fetch_add_explicit(&ix->upper_bytes, bytes, memory_order_relaxed);
    }
    vx_set_vector(ix, id, v);
    vx_insert(ix, w, id, v);
    /* Publication: the new slot becomes visible and the old one (if any) hidden under the
     * label's stripe lock, so a concurrent remove or add of the same label is ordered. */
    vx_map_lock(ix, label);
    uint32_t old = vx_map_get_locked(ix, label);
    vx_map_put_locked(ix, label, id);
    atomic_fetch_and_explicit(&n->flags, ~(uint32_t)VX_F_PENDING, memory_order_release);
    if (old != VX_NONE) {
        atomic_fetch_or_explicit(&vx_rec(ix, old)->flags, VX_F_DELETED, memory_order_release);
        atomic_fetch_add(&ix->n_tomb, 1);
    } else {
        atomic_fetch_add(&ix->n_live, 1);
    }
    vx_map_unlock(ix, label);
    unlock_mutators(ix);
    if (old != VX_NONE) vx_maybe_compact(ix);
    return PLAIT_OK;
}

int plait_vindex_add(plait_vindex *ix, uint64_t label, const float *vec)
{
    vx_work *w = vx_work_get(ix);
    int rc = add_with(ix, w, label, vec);
    vx_work_put(ix, w);
    return rc;
}

int plait_vindex_remove(plait_vindex *ix, uint64_t label)
{
    lock_mutators(ix);
    vx_map_lock(ix, label);
    uint32_t id = vx_map_get_locked(ix, label);
    if (id != VX_NONE) {
        vx_map_del_locked(ix, label);
        atomic_fetch_or_explicit(&vx_rec(ix, id)->flags, VX_F_DELETED, memory_order_release);
        atomic_fetch_sub(&ix->n_live, 1);
        atomic_fetch_add(&ix->n_tomb, 1);
    }
    vx_map_unlock(ix, label);
    unlock_mutators(ix);
    if (id == VX_NONE)
        return plait_error_set(PLAIT_ENOTFOUND, "vector index: label %llu is not present",
                               (unsigned long long)label);
    vx_maybe_compact(ix);
    return PLAIT_OK;
}

int plait_vindex_contains(plait_vindex *ix, uint64_t label) { return vx_map_get(ix, label) != VX_NONE; }

int plait_vindex_get(plait_vindex *ix, uint64_t label, float *out)
{
    /* The read side of struct_lock keeps compaction from freeing the slot while we copy. */
    pthread_rwlock_rdlock(&ix->struct_lock);
    uint32_t id = vx_map_get(ix, label);
    if (id != VX_NONE) {
        const float *pl = vx_payload(ix, vx_rec(ix, id));
        if (ix->p.storage == PLAIT_VSTORE_F32) memcpy(out, pl, sizeof(float) * ix->p.dim);
        else if (ix->fchunks) memcpy(out, vx_fvec(ix, id), sizeof(float) * ix->p.dim);
        else vx_dequant(ix, id, out);
    }
    pthread_rwlock_unlock(&ix->struct_lock);
    if (id == VX_NONE)
        return plait_error_set(PLAIT_ENOTFOUND, "vector index: label %llu is not present",
                               (unsigned long long)label);
    return PLAIT_OK;
}

/* ---- search ---- */

/* Estimates the fraction of live slots the filter allows from an evenly spread sample. */
static double estimate_selectivity(plait_vindex *ix, const vx_filter *f, uint32_t nslots)
{
    const uint32_t want = 256;
    uint32_t step = nslots / want ? nslots / want : 1, seen = 0, ok = 0;
    for (uint32_t id = step / 2; id < nslots && seen < want; id += step) {
        vx_node *n = vx_rec(ix, id);
        if (atomic_load_explicit(&n->flags, memory_order_acquire) & f->skip_flags) continue;
        seen++;
        ok += f->allow(n->label, f->ctx) != 0;
    }
    return seen ? ((double)ok + 0.5) / ((double)seen + 0.5) : 1.0;
}

/* Exact top-k over every eligible slot: used for selective filters. */
static void scan_allowed(plait_vindex *ix, vx_work *w, const float *q, size_t k, const vx_filter *f)
{
    uint32_t nslots = atomic_load_explicit(&ix->nslots, memory_order_acquire);
    /* int8 without float copies: the codes are all there is; prepare the query once. */
    int codes = ix->p.storage == PLAIT_VSTORE_INT8 && !ix->fchunks;
    vx_query pq;
    if (codes) vx_query_prepare(ix, &pq, q, w);
    w->res.len = 0;
    for (uint32_t id = 0; id < nslots; id++) {
        vx_node *n = vx_rec(ix, id);
        if (atomic_load_explicit(&n->flags, memory_order_acquire) & f->skip_flags) continue;
        if (!f->allow(n->label, f->ctx)) continue;
        float d = codes ? vx_dist_q(ix, &pq, n) : vx_dist_exact(ix, q, id);
        if (w->res.len < k || d < w->res.items[0].d) {
            vx_heap_push_max(&w->res, d, id);
            if (w->res.len > k) vx_heap_pop_max(&w->res);
        }
    }
}

static void collect_hits(plait_vindex *ix, vx_work *w, const float *q, size_t k, int rerank,
                         plait_vindex_hit *hits, size_t *nhits)
{
    vx_pair *r = w->res.items;
    size_t n = w->res.len;
    if (rerank)
        for (size_t i = 0; i < n; i++) r[i].d = vx_dist_exact(ix, q, r[i].id);
    vx_pairs_sort(r, n);
    if (n > k) n = k;
    for (size_t i = 0; i < n; i++) {
        hits[i].label = vx_rec(ix, r[i].id)->label;
        hits[i].distance = r[i].d;
    }
    *nhits = n;
}

int plait_vindex_search(plait_vindex *ix, const float *query, size_t k,
                        const plait_vindex_query *opt, plait_vindex_hit *hits, size_t *nhits)
{
    if (!nhits || (k && !hits))
        return plait_error_set(PLAIT_EINVALID, "vector index: search needs hits and nhits");
    *nhits = 0;
    vx_work *w = vx_work_get(ix);
    const float *q = prepare_vector(ix, query, w->qbuf);
    if (!q || !k) {
        vx_work_put(ix, w);
        return q ? PLAIT_OK : plait_error_last_code();
    }
    size_t ef = opt && opt->ef ? opt->ef : ix->p.ef_search;
    if (ef < k) ef = k;
    vx_filter f = {VX_F_DELETED | VX_F_PENDING | VX_F_FREE, opt ? opt->allow : NULL,
                   opt ? opt->allow_ctx : NULL};
    int rerank = ix->fchunks != NULL;
    pthread_rwlock_rdlock(&ix->struct_lock);
    int scan = 0;
    if (f.allow) {
        uint32_t nslots = atomic_load_explicit(&ix->nslots, memory_order_acquire);
        double s = estimate_selectivity(ix, &f, nslots);
        double live = (double)atomic_load_explicit(&ix->n_live, memory_order_relaxed);
        double ef_w = (double)ef / s;
        if (ef_w > live) ef_w = live;
        /* A graph search with ef_w visits roughly ef_w * M nodes; scanning costs one distance
         * per allowed node.  Take the cheaper, and never widen past 16k. */
        scan = s * live <= ef_w * ix->p.M || ef_w > 16384;
        if (!scan && ef_w > (double)ef) ef = (size_t)ef_w;
    }
    if (scan) {
        scan_allowed(ix, w, q, k, &f);
        rerank = 0;
    } else {
        vx_query pq;
        vx_query_prepare(ix, &pq, q, w);
        vx_search_graph(ix, w, &pq, ef, &f);
    }
    collect_hits(ix, w, q, k, rerank, hits, nhits);
    pthread_rwlock_unlock(&ix->struct_lock);
    vx_work_put(ix, w);
    return PLAIT_OK;
}

int plait_vindex_compact(plait_vindex *ix) { return vx_compact(ix); }

/* ---- batch insertion ---- */

typedef struct {
    plait_vindex *ix;
    const uint64_t *labels;
    const float *vecs;
    size_t n;
    _Atomic size_t next;
    _Atomic int failed;
    pthread_mutex_t err_lock;
    int err_code;
    char err_msg[256];
} batch_job;

static void *batch_worker(void *arg)
{
    batch_job *j = arg;
    vx_work *w = vx_work_get(j->ix);
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n || atomic_load(&j->failed)) break;
        int rc = add_with(j->ix, w, j->labels[i], j->vecs + i * j->ix->p.dim);
        if (rc) {
            /* The message is thread-local: carry it to the calling thread. */
            pthread_mutex_lock(&j->err_lock);
            if (!j->err_code) {
                j->err_code = rc;
                snprintf(j->err_msg, sizeof j->err_msg, "%s", plait_error_last());
            }
            pthread_mutex_unlock(&j->err_lock);
            atomic_store(&j->failed, 1);
        }
    }
    vx_work_put(j->ix, w);
    return NULL;
}

int plait_vindex_add_batch(plait_vindex *ix, const uint64_t *labels, const float *vecs, size_t n,
                           unsigned nthreads)
{
    if (n && (!labels || !vecs))
        return plait_error_set(PLAIT_EINVALID, "vector index: batch needs labels and vectors");
    if (!nthreads) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = c > 0 ? (unsigned)c : 1;
    }
    if (nthreads > n) nthreads = n ? (unsigned)n : 1;
    /* int8: the first batch large enough trains the centroids the codes are residuals of. */
    vx_train_centroids(ix, vecs, n);
    vx_reserve(ix, n);
    batch_job j = {.ix = ix, .labels = labels, .vecs = vecs, .n = n};
    pthread_mutex_init(&j.err_lock, NULL);
    pthread_t *t = xcalloc(nthreads, sizeof *t);
    unsigned started = 0;
    for (unsigned i = 1; i < nthreads; i++)
        if (pthread_create(&t[started], NULL, batch_worker, &j) == 0) started++;
    batch_worker(&j); /* the caller works too */
    for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
    free(t);
    pthread_mutex_destroy(&j.err_lock);
    if (j.err_code) return plait_error_set(j.err_code, "%s", j.err_msg);
    return PLAIT_OK;
}

void plait_vindex_get_stats(plait_vindex *ix, plait_vindex_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&ix->grow_lock);
    out->free_slots = ix->nfree;
    out->slots = atomic_load(&ix->nslots);
    uint64_t chunks = atomic_load(&ix->nchunks);
    uint64_t map = 0;
    for (int i = 0; i < VX_STRIPES; i++) {
        pthread_mutex_lock(&ix->map[i].lock);
        map += ix->map[i].cap * (sizeof(uint64_t) + sizeof(uint32_t));
        pthread_mutex_unlock(&ix->map[i].lock);
    }
    out->bytes = sizeof *ix + (uint64_t)VX_MAX_CHUNKS * sizeof(void *) * (ix->fchunks ? 2 : 1) +
                 chunks * VX_CHUNK * ix->rec_size + atomic_load(&ix->upper_bytes) + map +
                 ix->capfree * sizeof(uint32_t);
    out->vector_bytes = out->slots * ix->payload;
    if (ix->fchunks) {
        out->float_bytes = out->slots * ix->p.dim * sizeof(float);
        out->bytes += chunks * VX_CHUNK * ix->p.dim * sizeof(float);
    }
    pthread_mutex_unlock(&ix->grow_lock);
    out->live = atomic_load(&ix->n_live);
    out->tombstones = atomic_load(&ix->n_tomb);
    uint64_t st = atomic_load(&ix->ep_state);
    out->max_level = st == VX_EP_EMPTY ? -1 : (int32_t)(st >> 32);
    out->generation = atomic_load(&ix->generation);
}
