/*
 * vecs.h - the vectors of an index: the HNSW file next to index.db and its link to SQLite.
 *
 * SQLite is the source of truth (tables vec_labels, vec_cache, node_vecs; see store.c).  The
 * HNSW file `<index dir>/vectors-<16 hex of BLAKE2b(model id)>.hnsw` holds, for one model,
 * one vector per node under the node's stable label, and is stamped with the database's
 * vector generation (meta `vec_generation`, bumped by every commit that changes node_vecs).
 * A file whose generation, dimension or checksums disagree is never used: the writer
 * rebuilds it from SQLite, a reader falls back to an exact scan of SQLite.
 */
#ifndef PLAIT_SEARCH_VECS_H
#define PLAIT_SEARCH_VECS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "plait/vector.h"

/* The HNSW file of `model` in index folder `dir`; caller frees. */
char *plait_vecs_file(const char *dir, const char *model);

/* HNSW parameters used for every index: inner product on normalised vectors, int8 codes,
 * M 16, efConstruction 100, ef 64. */
void plait_vecs_params(plait_vindex_params *p, uint32_t dims);

/* meta vec_generation, 0 if unset. */
uint64_t plait_vecs_generation(sqlite3 *db);
/* Sets meta vec_generation to gen (inside the caller's transaction). */
int plait_vecs_set_generation(sqlite3 *db, uint64_t gen);

/* Reads only the header's generation (a cheap check; plait_vindex_load verifies the rest).
 * PLAIT_ENOTFOUND if the file is missing, PLAIT_EINVALID if it is not an HNSW file. */
int plait_vecs_peek(const char *path, uint64_t *gen);

/* Loads the file if it is sound and matches (gen, dims).  Otherwise returns an error and
 * sets *why to a short static reason ("missing", "stale", "damaged", "wrong dimension"). */
int plait_vecs_load(const char *path, uint64_t gen, uint32_t dims, plait_vindex **out, const char **why);

/* A fresh index of every stored vector of `model` (node_vecs rows), built with `jobs`
 * threads.  *count (may be NULL) gets the number of vectors.  Caller frees *out. */
int plait_vecs_rebuild(sqlite3 *db, const char *model, uint32_t dims, unsigned jobs, plait_vindex **out,
                       size_t *count);

/* Copies a stored vector blob into out[dims]; PLAIT_ECORRUPT if its size is wrong. */
int plait_vecs_decode(const void *blob, int bytes, uint32_t dims, float *out);

#endif
