/*
 * store.c - the memory side of the index: the index object itself, slot allocation in
 * never-moving chunks, the free list compaction fills, node spinlocks, the striped
 * label -> slot map, pooled search workspaces and the small heaps the searches use.
 */
#include "vector/vx_internal.h"

#include "core/xalloc.h"
#include "plait/error.h"

#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

uint64_t vx_mix64(uint64_t x)
{
    /* splitmix64 finaliser: labels are often sequential, this spreads them. */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

int vx_index_alloc(plait_vindex **out, const plait_vindex_params *p)
{
    plait_vindex *ix = xcalloc(1, sizeof *ix);
    ix->p = *p;
    ix->M0 = 2 * p->M;
    ix->vec_off = (uint32_t)round_up(offsetof(vx_node, links0) + sizeof(uint32_t) * ix->M0, 16);
    ix->payload = p->storage == PLAIT_VSTORE_INT8 ? VX_I8_HDR + p->dim + (p->dim + 7) / 8 : 4 * p->dim;
    ix->rec_size = (uint32_t)round_up(ix->vec_off + ix->payload, 64);
    /* The layer search prefetches each neighbour's whole payload (up to 48 lines) before it
     * measures any: on 384-d float32 this cut build CPU time by ~10% against two lines. */
    ix->pf_end = ix->vec_off + (ix->payload < 3072 ? ix->payload : 3072);
    ix->level_mult = 1.0 / log((double)p->M);
    ix->k = vx_kernels_best();
    ix->chunks = xcalloc(VX_MAX_CHUNKS, sizeof *ix->chunks);
    if (p->storage == PLAIT_VSTORE_INT8 && p->keep_float)
        ix->fchunks = xcalloc(VX_MAX_CHUNKS, sizeof *ix->fchunks);
    pthread_mutex_init(&ix->grow_lock, NULL);
    pthread_mutex_init(&ix->ep_lock, NULL);
    pthread_mutex_init(&ix->save_lock, NULL);
    pthread_mutex_init(&ix->pool_lock, NULL);
    pthread_mutex_init(&ix->train_lock, NULL);
    /* Writer preference: a steady stream of inserts must not starve a save or compaction.
     * Nothing takes the same rwlock twice, so the non-recursive kind is safe. */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&ix->struct_lock, &ra);
    pthread_rwlock_init(&ix->mut_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    for (int i = 0; i < VX_STRIPES; i++) pthread_mutex_init(&ix->map[i].lock, NULL);
    atomic_init(&ix->ep_state, VX_EP_EMPTY);
    *out = ix;
    return PLAIT_OK;
}

void vx_index_release(plait_vindex *ix)
{
    uint32_t n = atomic_load(&ix->nslots);
    for (uint32_t id = 0; id < n; id++) free((void *)vx_rec(ix, id)->upper);
    uint32_t nc = atomic_load(&ix->nchunks);
    for (uint32_t c = 0; c < nc; c++) {
        free(atomic_load(&ix->chunks[c]));
        if (ix->fchunks) free(atomic_load(&ix->fchunks[c]));
    }
    free(ix->chunks);
    free(ix->fchunks);
    free(ix->free_ids);
    for (int i = 0; i < VX_STRIPES; i++) {
        free(ix->map[i].keys);
        free(ix->map[i].vals);
        pthread_mutex_destroy(&ix->map[i].lock);
    }
    while (ix->pool) {
        vx_work *w = ix->pool;
        ix->pool = w->next;
        free(w->tags);
        free(w->cand.items);
        free(w->res.items);
        free(w->tmp.items);
        free(w->ids);
        free(w->qbuf);
        free(w->qi);
        free(w->cdot);
        free(w);
    }
    pthread_rwlock_destroy(&ix->struct_lock);
    pthread_rwlock_destroy(&ix->mut_lock);
    pthread_mutex_destroy(&ix->grow_lock);
    pthread_mutex_destroy(&ix->ep_lock);
    pthread_mutex_destroy(&ix->save_lock);
    pthread_mutex_destroy(&ix->pool_lock);
    pthread_mutex_destroy(&ix->train_lock);
    free(atomic_load(&ix->cent));
    free(ix);
}

/* Called with grow_lock held: makes sure chunk c exists. */
static void ensure_chunk(plait_vindex *ix, uint32_t c)
{
    if (c < atomic_load_explicit(&ix->nchunks, memory_order_relaxed)) return;
    if (c >= VX_MAX_CHUNKS) {
        /* 2^28 vectors: far past what one machine's memory holds at any useful dimension. */
        abort();
    }
    /* A chunk of float32 384-d records is 7 MB.  With 4 KiB pages every node a search or an
     * insert touches costs a TLB miss and a page walk (the TLBs cover ~12 MB); at 1M vectors
     * the layer search spent most of its own time stalled on the prefetch of a record header.
     * So chunks of 2 MiB or more are 2 MiB-aligned and offered to transparent huge pages
     * (the system default here is "madvise"); the tail that does not fill a huge page keeps
     * small pages, so resident memory does not grow. */
    size_t bytes = (size_t)VX_CHUNK * ix->rec_size, huge = (size_t)2 << 20;
    char *mem = NULL;
    if (bytes >= huge) {
        void *p = NULL;
        if (posix_memalign(&p, huge, bytes) == 0) mem = p;
#ifdef MADV_HUGEPAGE
        if (mem) (void)madvise(mem, bytes / huge * huge, MADV_HUGEPAGE); /* advice only */
#endif
    } else {
        mem = aligned_alloc(64, bytes);
    }
    if (!mem) xmalloc(SIZE_MAX); /* reports out-of-memory the plait way */
    memset(mem, 0, bytes);
    atomic_store_explicit(&ix->chunks[c], mem, memory_order_release);
    if (ix->fchunks)
        atomic_store_explicit(&ix->fchunks[c], xcalloc((size_t)VX_CHUNK * ix->p.dim, sizeof(float)),
                              memory_order_release);
    atomic_store_explicit(&ix->nchunks, c + 1, memory_order_release);
}

void vx_reserve(plait_vindex *ix, size_t more)
{
    pthread_mutex_lock(&ix->grow_lock);
    size_t want = atomic_load_explicit(&ix->nslots, memory_order_relaxed) + (more > ix->nfree ? more - ix->nfree : 0);
    if (want > (size_t)VX_MAX_CHUNKS * VX_CHUNK) want = (size_t)VX_MAX_CHUNKS * VX_CHUNK;
    for (uint32_t c = atomic_load_explicit(&ix->nchunks, memory_order_relaxed); (size_t)c * VX_CHUNK < want; c++)
        ensure_chunk(ix, c);
    pthread_mutex_unlock(&ix->grow_lock);
}

uint32_t vx_slot_alloc(plait_vindex *ix)
{
    pthread_mutex_lock(&ix->grow_lock);
    uint32_t id;
    if (ix->nfree) {
        id = ix->free_ids[--ix->nfree];
    } else {
        id = atomic_load_explicit(&ix->nslots, memory_order_relaxed);
        ensure_chunk(ix, id >> VX_CHUNK_SHIFT);
        atomic_store_explicit(&ix->nslots, id + 1, memory_order_release);
    }
    pthread_mutex_unlock(&ix->grow_lock);
    vx_node *n = vx_rec(ix, id);
    /* A reused slot is unreachable (compaction removed every reference), so plain
     * re-initialisation cannot race with readers. */
    atomic_store_explicit(&n->flags, VX_F_PENDING, memory_order_relaxed);
    atomic_store_explicit(&n->n0, 0, memory_order_relaxed);
    n->upper = NULL;
    n->level = 0;
    return id;
}

void vx_slot_free_push(plait_vindex *ix, uint32_t id)
{
    if (ix->nfree == ix->capfree) {
        ix->capfree = ix->capfree ? ix->capfree * 2 : 64;
        ix->free_ids = xrealloc(ix->free_ids, ix->capfree * sizeof *ix->free_ids);
    }
    ix->free_ids[ix->nfree++] = id;
}

void vx_node_lock(vx_node *n)
{
    for (unsigned spins = 0;; spins++) {
        uint32_t z = 0;
        if (atomic_compare_exchange_weak_explicit(&n->lock, &z, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        /* Held only for a list rewrite (microseconds); yield so a preempted holder on an
         * oversubscribed machine can finish. */
        if (spins > 64) sched_yield();
    }
}

void vx_node_unlock(vx_node *n) { atomic_store_explicit(&n->lock, 0, memory_order_release); }

/* ---- label map: 64 stripes of linear-probing tables ---- */

static vx_stripe *stripe_of(plait_vindex *ix, uint64_t label, uint64_t *h)
{
    *h = vx_mix64(label);
    return &ix->map[*h >> 58];
}

void vx_map_lock(plait_vindex *ix, uint64_t label)
{
    uint64_t h;
    pthread_mutex_lock(&stripe_of(ix, label, &h)->lock);
}

void vx_map_unlock(plait_vindex *ix, uint64_t label)
{
    uint64_t h;
    pthread_mutex_unlock(&stripe_of(ix, label, &h)->lock);
}

static size_t find_cell(const vx_stripe *s, uint64_t h, uint64_t label)
{
    size_t mask = s->cap - 1, i = h & mask;
    while (s->vals[i] != VX_NONE && s->keys[i] != label) i = (i + 1) & mask;
    return i;
}

uint32_t vx_map_get_locked(plait_vindex *ix, uint64_t label)
{
    uint64_t h;
    vx_stripe *s = stripe_of(ix, label, &h);
    if (!s->cap) return VX_NONE;
    return s->vals[find_cell(s, h, label)];
}

static void stripe_grow(vx_stripe *s)
{
    size_t oc = s->cap;
    uint64_t *ok = s->keys;
    uint32_t *ov = s->vals;
    s->cap = oc ? oc * 2 : 64;
    s->keys = xmalloc(s->cap * sizeof *s->keys);
    s->vals = xmalloc(s->cap * sizeof *s->vals);
    memset(s->vals, 0xff, s->cap * sizeof *s->vals);
    for (size_t i = 0; i < oc; i++) {
        if (ov[i] == VX_NONE) continue;
        size_t j = find_cell(s, vx_mix64(ok[i]), ok[i]);
        s->keys[j] = ok[i];
        s->vals[j] = ov[i];
    }
    free(ok);
    free(ov);
}

void vx_map_put_locked(plait_vindex *ix, uint64_t label, uint32_t id)
{
    uint64_t h;
    vx_stripe *s = stripe_of(ix, label, &h);
    if ((s->len + 1) * 4 > s->cap * 3) stripe_grow(s);
    size_t i = find_cell(s, h, label);
    if (s->vals[i] == VX_NONE) s->len++;
    s->keys[i] = label;
    s->vals[i] = id;
}

void vx_map_del_locked(plait_vindex *ix, uint64_t label)
{
    uint64_t h;
    vx_stripe *s = stripe_of(ix, label, &h);
    if (!s->cap) return;
    size_t mask = s->cap - 1, i = find_cell(s, h, label);
    if (s->vals[i] == VX_NONE) return;
    s->vals[i] = VX_NONE;
    s->len--;
    /* Backward-shift deletion keeps probe chains unbroken without tombstones. */
    for (size_t j = (i + 1) & mask; s->vals[j] != VX_NONE; j = (j + 1) & mask) {
        size_t home = vx_mix64(s->keys[j]) & mask;
        int between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (between) continue;
        s->keys[i] = s->keys[j];
        s->vals[i] = s->vals[j];
        s->vals[j] = VX_NONE;
        i = j;
    }
}

uint32_t vx_map_get(plait_vindex *ix, uint64_t label)
{
    vx_map_lock(ix, label);
    uint32_t id = vx_map_get_locked(ix, label);
    vx_map_unlock(ix, label);
    return id;
}

/* ---- workspaces ---- */

vx_work *vx_work_get(plait_vindex *ix)
{
    pthread_mutex_lock(&ix->pool_lock);
    vx_work *w = ix->pool;
    if (w) ix->pool = w->next;
    pthread_mutex_unlock(&ix->pool_lock);
    if (!w) {
        w = xcalloc(1, sizeof *w);
        w->qbuf = xmalloc(sizeof(float) * ix->p.dim);
        if (ix->p.storage == PLAIT_VSTORE_INT8) w->qi = xmalloc(sizeof(int16_t) * ix->p.dim);
    }
    return w;
}

void vx_work_put(plait_vindex *ix, vx_work *w)
{
    pthread_mutex_lock(&ix->pool_lock);
    w->next = ix->pool;
    ix->pool = w;
    pthread_mutex_unlock(&ix->pool_lock);
}

void vx_work_ensure(vx_work *w, uint32_t id)
{
    if (id < w->ntags) return;
    size_t n = w->ntags ? w->ntags : 1024;
    while (n <= id) n *= 2;
    w->tags = xrealloc(w->tags, n * sizeof *w->tags);
    memset(w->tags + w->ntags, 0, (n - w->ntags) * sizeof *w->tags);
    w->ntags = n;
}

void vx_work_visit_reset(plait_vindex *ix, vx_work *w)
{
    uint32_t cap = atomic_load_explicit(&ix->nchunks, memory_order_acquire) * VX_CHUNK;
    if (cap) vx_work_ensure(w, cap - 1);
    if (++w->epoch == 0) {
        memset(w->tags, 0, w->ntags * sizeof *w->tags);
        w->epoch = 1;
    }
}

/* ---- heaps of (distance, slot) ---- */

static void heap_reserve(vx_heap *h)
{
    if (h->len < h->cap) return;
    h->cap = h->cap ? h->cap * 2 : 64;
    h->items = xrealloc(h->items, h->cap * sizeof *h->items);
}

static int less(vx_pair a, vx_pair b) { return a.d < b.d || (a.d == b.d && a.id < b.id); }

void vx_heap_push_min(vx_heap *h, float d, uint32_t id)
{
    heap_reserve(h);
    size_t i = h->len++;
    vx_pair x = {d, id};
    while (i && less(x, h->items[(i - 1) / 2])) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = x;
}

void vx_heap_push_max(vx_heap *h, float d, uint32_t id)
{
    heap_reserve(h);
    size_t i = h->len++;
    vx_pair x = {d, id};
    while (i && less(h->items[(i - 1) / 2], x)) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = x;
}

static vx_pair heap_pop(vx_heap *h, int max)
{
    vx_pair top = h->items[0], x = h->items[--h->len];
    size_t i = 0, n = h->len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && (max ? less(h->items[c], h->items[c + 1]) : less(h->items[c + 1], h->items[c])))
            c++;
        if (max ? !less(x, h->items[c]) : !less(h->items[c], x)) break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (n) h->items[i] = x;
    return top;
}

vx_pair vx_heap_pop_min(vx_heap *h) { return heap_pop(h, 0); }
vx_pair vx_heap_pop_max(vx_heap *h) { return heap_pop(h, 1); }

static int cmp_pair(const void *a, const void *b)
{
    vx_pair x = *(const vx_pair *)a, y = *(const vx_pair *)b;
    return less(x, y) ? -1 : less(y, x) ? 1 : 0;
}

void vx_pairs_sort(vx_pair *a, size_t n)
{
    if (n > 1) qsort(a, n, sizeof *a, cmp_pair);
}
