/* strmap.c - linear probing, power-of-two capacity, load factor <= 1/2.  No deletion: the
 * maps plait builds live for one run and are dropped whole.
 *
 * Lookups dominate name resolution (tens of millions per index of rust-src), so the slots
 * keep hash, key and value together and the hash reads eight bytes at a time. */
#include "core/strmap.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* Not a stable format: only ever compared within one process. */
uint64_t plait_strhash(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0x100000001b3ull);
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ (w * 0x87c37b91114253d5ull)) * 0x4cf5ad432745937full;
        h = (h << 31) | (h >> 33);
    }
    uint64_t t = 0;
    memcpy(&t, s, n);
    return mix(h ^ t);
}

void plait_strmap_init(plait_strmap *m) { memset(m, 0, sizeof *m); }

void plait_strmap_init_arena(plait_strmap *m, plait_arena *arena)
{
    memset(m, 0, sizeof *m);
    m->arena = arena;
}

void plait_strmap_free(plait_strmap *m)
{
    if (!m->arena)
        for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
    plait_arena *arena = m->arena;
    free(m->slots);
    memset(m, 0, sizeof *m);
    m->arena = arena; /* reusable as it was set up */
}

static size_t find(const plait_strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1, i = h & mask;
    const plait_strmap_slot *s;
    while ((s = &m->slots[i])->key && !(s->hash == h && strcmp(s->key, key) == 0)) i = (i + 1) & mask;
    return i;
}

static void rehash(plait_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16, mask = cap - 1;
    plait_strmap_slot *slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        size_t j = m->slots[i].hash & mask; /* keys are distinct: the first free slot is it */
        while (slots[j].key) j = (j + 1) & mask;
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
}

void *plait_strmap_get(const plait_strmap *m, const char *key)
{
    if (!m->cap) return NULL;
    return m->slots[find(m, key, plait_strhash(key))].val;
}

int plait_strmap_has(const plait_strmap *m, const char *key)
{
    if (!m->cap) return 0;
    return m->slots[find(m, key, plait_strhash(key))].key != NULL;
}

void *plait_strmap_put(plait_strmap *m, const char *key, void *val)
{
    if ((m->len + 1) * 2 > m->cap) rehash(m);
    uint64_t h = plait_strhash(key);
    plait_strmap_slot *s = &m->slots[find(m, key, h)];
    if (s->key) {
        void *old = s->val;
        s->val = val;
        return old;
    }
    *s = (plait_strmap_slot){h, m->arena ? plait_arena_strdup(m->arena, key) : xstrdup(key), val};
    m->len++;
    return NULL;
}

int plait_strmap_next(const plait_strmap *m, size_t *pos, const char **key, void **val)
{
    while (*pos < m->cap) {
        const plait_strmap_slot *s = &m->slots[(*pos)++];
        if (s->key) {
            if (key) *key = s->key;
            if (val) *val = s->val;
            return 1;
        }
    }
    return 0;
}
