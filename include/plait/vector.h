/*
 * plait/vector.h - a concurrent, persistent, deletable HNSW vector index.
 *
 * An index holds float32 vectors of one dimension under caller-chosen uint64 labels and
 * answers approximate k-nearest-neighbour queries (HNSW: Malkov & Yashunin).  It is an
 * engine on its own: it knows nothing of the code graph; the search module maps node keys to
 * labels.
 *
 *  - Metrics: squared L2, inner product, cosine (vectors are normalised on the way in).
 *  - Storage: float32, or int8 scalar-quantised (per-vector scale) with the float32 copy
 *    optionally kept off the hot path so the final candidates are re-ranked exactly.
 *  - Concurrency: every function may be called from any number of threads at once on the same
 *    index, except plait_vindex_free.  Inserts run in parallel, searches run beside inserts,
 *    deletes and saves; compaction briefly excludes everyone (see docs/vector.md).
 *  - Deletes hide a label from results at once; the slot is repaired and reused by the next
 *    compaction, which runs by itself once tombstones pass a threshold.
 *  - Persistence: one file, versioned, checksummed per section, stamped with a generation the
 *    caller chooses; saved crash-safely, loaded through mmap.  A damaged or foreign file is
 *    refused with PLAIT_ECORRUPT / PLAIT_EINVALID / PLAIT_EVERSION and a message.
 *
 * Errors: functions returning int give PLAIT_OK or a negative plait_error_code, with the
 * message available from plait_error_last() (see plait/error.h).
 */
#ifndef PLAIT_VECTOR_H
#define PLAIT_VECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct plait_vindex plait_vindex;

typedef enum {
    PLAIT_VMETRIC_L2 = 0,     /* distance = squared Euclidean distance */
    PLAIT_VMETRIC_IP = 1,     /* distance = 1 - <a,b> */
    PLAIT_VMETRIC_COSINE = 2, /* distance = 1 - cos(a,b); vectors normalised when added */
} plait_vmetric;

typedef enum {
    PLAIT_VSTORE_F32 = 0,  /* float32 vectors in the graph records */
    PLAIT_VSTORE_INT8 = 1, /* int8 codes + per-vector scale in the graph records */
} plait_vstorage;

typedef struct {
    uint32_t dim;             /* vector dimension, 1..65536 */
    plait_vmetric metric;
    plait_vstorage storage;
    uint32_t keep_float;      /* int8 only: also keep float32 copies, to re-rank results */
    uint32_t M;               /* neighbours per node on upper levels (2M on level 0); 2..128 */
    uint32_t ef_construction; /* candidate list size while inserting */
    uint32_t ef_search;       /* default candidate list size for searches */
    uint64_t seed;            /* seeds the level draw (levels depend on seed and label only) */
    float compact_threshold;  /* compact once tombstones exceed this fraction (0 = never) */
} plait_vindex_params;

/* Fills `p` with defaults for vectors of `dim` dimensions: L2, float32, M 16, efC 200,
 * ef 64, seed 1, compaction at 20% tombstones. */
void plait_vindex_params_init(plait_vindex_params *p, uint32_t dim);

/* Creates an empty index.  On success *out is a new index the caller owns and releases with
 * plait_vindex_free().  PLAIT_EINVALID on out-of-range parameters. */
int plait_vindex_new(plait_vindex **out, const plait_vindex_params *p);

/* Releases the index and everything it owns.  No other call may be running on it. */
void plait_vindex_free(plait_vindex *ix);

/* The parameters the index was created (or loaded) with. */
void plait_vindex_get_params(const plait_vindex *ix, plait_vindex_params *out);

/* Adds `vec` (params.dim floats, copied) under `label`.  If the label is present its old
 * vector is replaced: the old one is tombstoned and the new one becomes visible at once.
 * PLAIT_EINVALID if the vector holds NaN/Inf or (cosine) has zero norm. */
int plait_vindex_add(plait_vindex *ix, uint64_t label, const float *vec);

/* Adds n vectors (row-major, n * dim floats) with `nthreads` threads (0 = all CPUs).
 * Stops at the first failure and returns its code; earlier vectors stay added. */
int plait_vindex_add_batch(plait_vindex *ix, const uint64_t *labels, const float *vecs,
                           size_t n, unsigned nthreads);

/* Removes `label`: it is never returned by a search that starts after this call returns.
 * PLAIT_ENOTFOUND if the label is not present.  May run a compaction (see params). */
int plait_vindex_remove(plait_vindex *ix, uint64_t label);

/* 1 if `label` is present, 0 if not. */
int plait_vindex_contains(plait_vindex *ix, uint64_t label);

/* Copies the stored vector of `label` into out[dim]: exact for float32 (and int8 with
 * keep_float), dequantised otherwise.  PLAIT_ENOTFOUND if absent. */
int plait_vindex_get(plait_vindex *ix, uint64_t label, float *out);

/* Allow-predicate for filtered searches: nonzero keeps `label`.  Called from the searching
 * thread only, possibly many times per search; it must not call back into the index. */
typedef int (*plait_vindex_allow_fn)(uint64_t label, void *ctx);

typedef struct {
    uint32_t ef;                 /* candidate list size; 0 = params.ef_search; raised to k */
    plait_vindex_allow_fn allow; /* NULL = every label allowed */
    void *allow_ctx;
} plait_vindex_query;

typedef struct {
    uint64_t label;
    float distance; /* as described by plait_vmetric */
} plait_vindex_hit;

/* Finds up to k nearest live (and allowed) vectors to `query` (dim floats), closest first,
 * into hits[0..*nhits).  `opt` may be NULL.  A selective filter widens ef, and below a
 * selectivity threshold the allowed set is scanned exactly instead. */
int plait_vindex_search(plait_vindex *ix, const float *query, size_t k,
                        const plait_vindex_query *opt, plait_vindex_hit *hits, size_t *nhits);

/* Repairs the neighbour lists around tombstones and frees their slots for reuse.  Excludes
 * all other calls while it runs. */
int plait_vindex_compact(plait_vindex *ix);

typedef struct {
    uint64_t live;       /* labels present */
    uint64_t tombstones; /* deleted slots awaiting compaction */
    uint64_t free_slots; /* compacted slots waiting for reuse */
    uint64_t slots;      /* slots ever allocated */
    uint64_t bytes;      /* memory held by the index */
    uint64_t vector_bytes; /* of which vector payload (codes/floats) on the search path */
    uint64_t float_bytes;  /* float32 copies kept off the search path (int8 + keep_float) */
    int32_t max_level;
    uint64_t generation; /* as loaded or last saved */
} plait_vindex_stats;

void plait_vindex_get_stats(plait_vindex *ix, plait_vindex_stats *out);

/* Saves the index to `path` crash-safely (temp file, fsync, rename, fsync of the directory),
 * stamped with `generation`.  Inserts and deletes wait while the snapshot is copied;
 * searches do not. */
int plait_vindex_save(plait_vindex *ix, const char *path, uint64_t generation);

/* Loads an index saved by plait_vindex_save through mmap.  On success *out is a new index
 * the caller owns (plait_vindex_free) and *generation (if not NULL) the stamp it was saved
 * with.  PLAIT_ENOTFOUND / PLAIT_EIO for file trouble; PLAIT_EINVALID for a file that is not
 * an index; PLAIT_EVERSION for a newer format; PLAIT_ECORRUPT for failed checks. */
int plait_vindex_load(plait_vindex **out, const char *path, uint64_t *generation);

/* Same as plait_vindex_load from a buffer of `len` bytes (not retained). */
int plait_vindex_load_buffer(plait_vindex **out, const void *data, size_t len,
                             uint64_t *generation);

/* The distance kernel family in use: "avx512", "avx2" or "portable". */
const char *plait_vindex_kernel_name(void);

#ifdef __cplusplus
}
#endif

#endif
