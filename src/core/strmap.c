/* strmap.c - linear probing, power-of-two capacity, load factor <= 1/2.  No deletion: the
 * maps plait builds live for one run and are dropped whole. */
#include "core/strmap.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

uint64_t plait_strhash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a final mix */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void plait_strmap_init(plait_strmap *m) { memset(m, 0, sizeof *m); }

void plait_strmap_free(plait_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    memset(m, 0, sizeof *m);
}

static size_t find(const plait_strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1, i = h & mask;
    while (m->keys[i] && !(m->hashes[i] == h && strcmp(m->keys[i], key) == 0)) i = (i + 1) & mask;
    return i;
}

static void rehash(plait_strmap *m)
{
    plait_strmap n = {0};
    n.cap = m->cap ? m->cap * 2 : 16;
    n.keys = xcalloc(n.cap, sizeof *n.keys);
    n.vals = xcalloc(n.cap, sizeof *n.vals);
    n.hashes = xcalloc(n.cap, sizeof *n.hashes);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = find(&n, m->keys[i], m->hashes[i]);
        n.keys[j] = m->keys[i];
        n.vals[j] = m->vals[i];
        n.hashes[j] = m->hashes[i];
    }
    n.len = m->len;
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    *m = n;
}

void *plait_strmap_get(const plait_strmap *m, const char *key)
{
    if (!m->cap) return NULL;
    size_t i = find(m, key, plait_strhash(key));
    return m->keys[i] ? m->vals[i] : NULL;
}

int plait_strmap_has(const plait_strmap *m, const char *key)
{
    if (!m->cap) return 0;
    return m->keys[find(m, key, plait_strhash(key))] != NULL;
}

void *plait_strmap_put(plait_strmap *m, const char *key, void *val)
{
    if ((m->len + 1) * 2 > m->cap) rehash(m);
    uint64_t h = plait_strhash(key);
    size_t i = find(m, key, h);
    if (m->keys[i]) {
        void *old = m->vals[i];
        m->vals[i] = val;
        return old;
    }
    m->keys[i] = xstrdup(key);
    m->vals[i] = val;
    m->hashes[i] = h;
    m->len++;
    return NULL;
}

int plait_strmap_next(const plait_strmap *m, size_t *pos, const char **key, void **val)
{
    while (*pos < m->cap) {
        size_t i = (*pos)++;
        if (m->keys[i]) {
            if (key) *key = m->keys[i];
            if (val) *val = m->vals[i];
            return 1;
        }
    }
    return 0;
}
