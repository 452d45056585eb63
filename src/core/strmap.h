/*
 * strmap.h - an open-addressing hash map from NUL-terminated strings to pointers.
 *
 * Not thread-safe: each map has one owner (a worker's local table, or the writer's).  Keys
 * are copied into the map (or into an arena the caller gives); values are the caller's.  Iterate with plait_strmap_next().
 */
#ifndef PLAIT_CORE_STRMAP_H
#define PLAIT_CORE_STRMAP_H

#include "core/arena.h"

#include <stddef.h>
#include <stdint.h>

/* One slot: the hash sits beside the key so a probe touches one cache line and reads the
 * key only when the hashes agree (the resolver does millions of lookups per run). */
typedef struct {
    uint64_t hash;
    char *key; /* NULL: empty slot */
    void *val;
} plait_strmap_slot;

typedef struct {
    plait_strmap_slot *slots;
    size_t cap, len;
    plait_arena *arena; /* NULL: keys are malloc'd and freed with the map; else copied here */
} plait_strmap;

void plait_strmap_init(plait_strmap *m);
/* A map whose keys are copied into `arena` (the arena's owner is the map's owner, and the
 * keys live until the arena is freed). */
void plait_strmap_init_arena(plait_strmap *m, plait_arena *arena);
/* Frees the table and keys not in an arena (never the values). */
void plait_strmap_free(plait_strmap *m);
void *plait_strmap_get(const plait_strmap *m, const char *key);
int plait_strmap_has(const plait_strmap *m, const char *key);
/* Sets key -> val; returns the previous value or NULL. */
void *plait_strmap_put(plait_strmap *m, const char *key, void *val);
/* Iteration: start with *pos = 0; returns 0 when done. */
int plait_strmap_next(const plait_strmap *m, size_t *pos, const char **key, void **val);
uint64_t plait_strhash(const char *s);

#endif
