/*
 * vx_internal.h - the shared innards of the vector index (the .c files of src/vector only).
 *
 * Pieces and where they live:
 *   distance.c  kernels + CPU dispatch          store.c    slots, records, label map, workspaces
 *   hnsw.c      layer search, insert, pruning   vindex.c   public API, filtered search, batch
 *   compact.c   tombstone repair, slot reuse    persist.c  file format, save, mmap load
 *
 * Storage.  Nodes ("slots") live in fixed-size chunks reached through a directory that is
 * allocated once at its maximum size, so growing never moves a record: a reader holding a slot
 * id can always dereference it while writers add chunks.  Each slot is one record of
 * rec_size bytes: header, level-0 neighbour list, then the vector payload (float32, or int8
 * codes with scale and squared norm) so a distance evaluation touches one cache-friendly
 * block.  Upper-level lists are a separate array per node (most nodes have none).
 *
 * Locking (see docs/vector.md for the full argument):
 *   struct_lock (rwlock)  read: add, remove, search, save.  write: compaction only.
 *   mut_lock (rwlock)     read: add, remove.  write: save (so a snapshot is consistent while
 *                         searches keep running).
 *   node->lock (spin)     a writer of that node's neighbour lists; one held at a time.
 *   ep_lock (mutex)       changes to the entry point / max level (read lock-free: one atomic).
 *   grow_lock (mutex)     slot allocation, chunk allocation, the free list.
 *   label map stripes     label -> slot, and the visibility flags of the slots involved.
 * Readers never lock nodes: list counts and entries are atomics stored with release and loaded
 * with acquire, and a slot is fully written before any list names it.
 */
#ifndef PLAIT_VECTOR_VX_INTERNAL_H
#define PLAIT_VECTOR_VX_INTERNAL_H

#include "plait/vector.h"
#include "vector/distance.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define VX_CHUNK_SHIFT 12
#define VX_CHUNK (1u << VX_CHUNK_SHIFT)
#define VX_MAX_CHUNKS (1u << 16) /* 2^28 slots */
#define VX_NONE UINT32_MAX
#define VX_MAX_LEVEL 24
#define VX_STRIPES 64
#define VX_EP_EMPTY UINT64_MAX

/* Slot flags.  A slot is visible in results only when no flag is set. */
enum { VX_F_DELETED = 1, VX_F_PENDING = 2, VX_F_FREE = 4 };

typedef struct {
    _Atomic uint32_t lock;  /* spinlock for writers of this node's lists */
    _Atomic uint32_t flags; /* VX_F_* */
    uint64_t label;
    uint32_t level;
    uint32_t pad_;
    _Atomic uint32_t *upper; /* levels 1..level, each [count, M ids]; NULL when level 0 */
    _Atomic uint32_t n0;
    _Atomic uint32_t links0[]; /* M0 entries; the payload follows at ix->vec_off */
} vx_node;

typedef struct {
    pthread_mutex_t lock;
    uint64_t *keys;
    uint32_t *vals; /* VX_NONE = empty cell */
    size_t cap, len;
} vx_stripe;

typedef struct { float d; uint32_t id; } vx_pair;

typedef struct {
    vx_pair *items;
    size_t len, cap;
} vx_heap;

/* Per-search scratch, pooled in the index so searches do not allocate. */
typedef struct vx_work {
    uint16_t *tags; /* visited marks: tags[id] == epoch */
    size_t ntags;
    uint16_t epoch;
    vx_heap cand; /* min-heap of nodes to expand */
    vx_heap res;  /* max-heap of best eligible nodes */
    vx_heap tmp;  /* scratch for pruning / repair */
    uint32_t *ids;
    size_t nids, capids;
    float *qbuf; /* prepared (normalised) query */
    int16_t *qi; /* int8: the query quantised to int16 (dim) */
    float *cdot; /* int8: per-centroid <query, centroid>, NaN until computed */
    size_t ncdot;
    struct vx_work *next;
} vx_work;

/* A prepared query: the vector as used for distances and its squared norm (int8 L2). */
typedef struct {
    const float *v;
    float norm2;
    float sum;   /* int8: sum of the query's components */
    float *cdot; /* int8: lazily filled <v, centroid c> cache (NaN = not yet), or NULL */
    const float *cent; /* int8: the centroids when the query was prepared, or NULL */
    const int16_t *qi; /* int8: v quantised, v ~ qscale * qi (NULL: use the float kernel) */
    float qscale;
} vx_query;

/* int8 payload (format 2): scale f32, norm2 f32 (of the reconstruction), centroid u32
 * (VX_NONE = none), int8 codes[dim], refinement bits[(dim+7)/8].  The vector is
 * reconstructed as centroid + scale * (code + bit/2 - 1/4): a 9-bit quantiser of the
 * residual from the nearest centroid. */
#define VX_I8_HDR 12u
#define VX_I8_MIN_TRAIN 1024u /* a batch at least this large trains the centroids */
#define VX_I8_MAX_CENT 256u

/* Which nodes may enter a layer search's result set. */
typedef struct {
    uint32_t skip_flags;           /* nodes with any of these flags are traversed, not kept */
    plait_vindex_allow_fn allow;   /* optional allow-predicate on labels */
    void *ctx;
} vx_filter;

struct plait_vindex {
    plait_vindex_params p;
    uint32_t M0, vec_off, payload, rec_size;
    uint32_t pf_end; /* the layer search prefetches record bytes [vec_off, pf_end) */
    double level_mult;
    const vx_kernels *k;

    _Atomic(char *) *chunks;   /* VX_MAX_CHUNKS record chunks */
    _Atomic(float *) *fchunks; /* keep_float copies, same chunking */
    _Atomic uint32_t nslots;   /* slots handed out so far */
    _Atomic uint32_t nchunks;
    pthread_mutex_t grow_lock;
    uint32_t *free_ids;
    size_t nfree, capfree;

    _Atomic uint64_t ep_state; /* (max_level << 32) | entry slot; VX_EP_EMPTY when empty */
    pthread_mutex_t ep_lock;

    pthread_rwlock_t struct_lock;
    pthread_rwlock_t mut_lock;
    pthread_mutex_t save_lock;
    vx_stripe map[VX_STRIPES];

    _Atomic uint64_t n_live, n_tomb, upper_bytes;
    _Atomic int compacting;
    _Atomic uint64_t generation;

    pthread_mutex_t pool_lock;
    vx_work *pool;

    /* int8: centroids (ncent x dim, immutable once published; NULL until trained) */
    _Atomic(float *) cent;
    uint32_t ncent;
    pthread_mutex_t train_lock;
};

/* ---- store.c ---- */
int vx_index_alloc(plait_vindex **out, const plait_vindex_params *p);
void vx_index_release(plait_vindex *ix);
uint32_t vx_slot_alloc(plait_vindex *ix); /* a fresh or reused slot, zeroed header */
/* Allocates the chunks `more` new slots will need now, so that a batch's threads never
 * wait on grow_lock while one of them allocates and clears a chunk. */
void vx_reserve(plait_vindex *ix, size_t more);
void vx_slot_free_push(plait_vindex *ix, uint32_t id); /* caller holds grow_lock */

static inline vx_node *vx_rec(const plait_vindex *ix, uint32_t id)
{
    char *c = atomic_load_explicit(&ix->chunks[id >> VX_CHUNK_SHIFT], memory_order_acquire);
    return (vx_node *)(c + (size_t)(id & (VX_CHUNK - 1)) * ix->rec_size);
}
static inline void *vx_payload(const plait_vindex *ix, const vx_node *n)
{
    return (char *)n + ix->vec_off;
}
static inline float *vx_fvec(const plait_vindex *ix, uint32_t id)
{
    float *c = atomic_load_explicit(&ix->fchunks[id >> VX_CHUNK_SHIFT], memory_order_acquire);
    return c + (size_t)(id & (VX_CHUNK - 1)) * ix->p.dim;
}
/* The list of node n on level l: *count then entries. */
static inline _Atomic uint32_t *vx_list(const plait_vindex *ix, vx_node *n, uint32_t l)
{
    return l == 0 ? &n->n0 : n->upper + (size_t)(l - 1) * (ix->p.M + 1);
}
static inline uint32_t vx_cap(const plait_vindex *ix, uint32_t l) { return l ? ix->p.M : ix->M0; }

void vx_node_lock(vx_node *n);
void vx_node_unlock(vx_node *n);

void vx_map_lock(plait_vindex *ix, uint64_t label);
void vx_map_unlock(plait_vindex *ix, uint64_t label);
uint32_t vx_map_get_locked(plait_vindex *ix, uint64_t label);
void vx_map_put_locked(plait_vindex *ix, uint64_t label, uint32_t id);
void vx_map_del_locked(plait_vindex *ix, uint64_t label);
uint32_t vx_map_get(plait_vindex *ix, uint64_t label);

vx_work *vx_work_get(plait_vindex *ix);
void vx_work_put(plait_vindex *ix, vx_work *w);
void vx_work_visit_reset(plait_vindex *ix, vx_work *w);
static inline int vx_work_visit(vx_work *w, uint32_t id) /* 1 if already visited */
{
    if (w->tags[id] == w->epoch) return 1;
    w->tags[id] = w->epoch;
    return 0;
}
void vx_work_ensure(vx_work *w, uint32_t id); /* tags cover id */

void vx_heap_push_min(vx_heap *h, float d, uint32_t id);
void vx_heap_push_max(vx_heap *h, float d, uint32_t id);
vx_pair vx_heap_pop_min(vx_heap *h);
vx_pair vx_heap_pop_max(vx_heap *h);
void vx_pairs_sort(vx_pair *a, size_t n); /* ascending distance, then id */

uint64_t vx_mix64(uint64_t x);

/* ---- hnsw.c ---- */
/* int8: trains up to VX_I8_MAX_CENT centroids by k-means from n vectors (already normalised
 * for cosine), unless trained already.  Deterministic for the same vectors. */
void vx_train_centroids(plait_vindex *ix, const float *vecs, size_t n);
/* int8: writes the reconstruction of slot id into out[dim]. */
void vx_dequant(const plait_vindex *ix, uint32_t id, float *out);
/* Writes the payload (and float copy) of slot id from `vec` (already normalised). */
void vx_set_vector(plait_vindex *ix, uint32_t id, const float *vec);
/* w may be NULL (no centroid-dot cache). */
void vx_query_prepare(const plait_vindex *ix, vx_query *q, const float *vec, vx_work *w);
float vx_dist_q(const plait_vindex *ix, const vx_query *q, const vx_node *n);
float vx_dist_exact(const plait_vindex *ix, const float *q, uint32_t id);
float vx_dist_nodes(const plait_vindex *ix, uint32_t a, uint32_t b);
uint32_t vx_level_for(const plait_vindex *ix, uint64_t label);
/* Links a freshly initialised slot (flags PENDING) into the graph. */
void vx_insert(plait_vindex *ix, vx_work *w, uint32_t id, const float *vec);
/* Greedy descent to level 0 then a beam search of width ef; results in w->res. */
void vx_search_graph(plait_vindex *ix, vx_work *w, const vx_query *q, size_t ef,
                     const vx_filter *f);
/* Keeps at most `cap` of the sorted candidates tmp[0..n) for node `self` (HNSW heuristic);
 * returns how many, compacted to the front. */
size_t vx_select_neighbours(plait_vindex *ix, vx_pair *cand, size_t n, size_t cap);

/* ---- compact.c ---- */
int vx_compact(plait_vindex *ix);
void vx_maybe_compact(plait_vindex *ix);

/* ---- persist.c ---- */
/* Recomputes the header and section checksums of a buffer in place where its layout allows
 * (for the fuzzer, to reach the structural checks behind them).  Returns 0 if it did. */
int vx_persist_reseal(uint8_t *buf, size_t len);

#endif
