/*
 * map_striped.c - one shared interner split into 2^STRIPE_BITS stripes, each an
 * open-addressing table (the same layout as plait_strmap: linear probing, power-of-two
 * capacity, load <= 1/2, cached 64-bit hashes) behind its own pthread mutex.  The hash is
 * computed once: its top bits pick the stripe, its low bits the slot.  A lookup-or-insert
 * takes exactly one lock.  Ids are (index within stripe << STRIPE_BITS) | stripe, so no
 * shared counter is touched.  Stripes are cache-line padded.
 */
#include "pilot.h"

#include "core/strmap.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_BITS 6
#define NSTRIPES (1u << STRIPE_BITS)

typedef struct {
    pthread_mutex_t mu;
    char **keys;
    uint64_t *hashes;
    uint32_t *ids;
    size_t cap, len;
} stripe;

typedef union {
    stripe s;
    char pad[PILOT_LINE];
} stripe_slot;

typedef struct {
    stripe_slot *st;
} striped_map;

static void *str_create(int nthreads)
{
    striped_map *m = xcalloc(1, sizeof *m);
    m->st = pilot_aligned_calloc(NSTRIPES, sizeof *m->st);
    for (unsigned i = 0; i < NSTRIPES; i++) pthread_mutex_init(&m->st[i].s.mu, NULL);
    return m;
}

static void str_noop(void *m, int tid) {}

static size_t slot_of(const stripe *s, const char *key, uint64_t h)
{
    size_t mask = s->cap - 1, i = h & mask;
    while (s->keys[i] && !(s->hashes[i] == h && strcmp(s->keys[i], key) == 0)) i = (i + 1) & mask;
    return i;
}

static void grow(stripe *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 16;
    stripe n = {.cap = ncap};
    n.keys = xcalloc(ncap, sizeof *n.keys);
    n.hashes = xcalloc(ncap, sizeof *n.hashes);
    n.ids = xcalloc(ncap, sizeof *n.ids);
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->keys[i]) continue;
        size_t mask = ncap - 1, j = s->hashes[i] & mask;
        while (n.keys[j]) j = (j + 1) & mask;
        n.keys[j] = s->keys[i];
        n.hashes[j] = s->hashes[i];
        n.ids[j] = s->ids[i];
    }
    free(s->keys);
    free(s->hashes);
    free(s->ids);
    s->keys = n.keys;
    s->hashes = n.hashes;
    s->ids = n.ids;
    s->cap = ncap;
}

static uint32_t str_intern(void *mv, int tid, const char *key)
{
    striped_map *m = mv;
    uint64_t h = plait_strhash(key);
    unsigned si = (unsigned)(h >> (64 - STRIPE_BITS));
    stripe *s = &m->st[si].s;
    uint32_t id;
    pthread_mutex_lock(&s->mu);
    size_t i = s->cap ? slot_of(s, key, h) : 0;
    if (s->cap && s->keys[i]) {
        id = s->ids[i];
    } else {
        if ((s->len + 1) * 2 > s->cap) {
            grow(s);
            i = slot_of(s, key, h);
        }
        id = (uint32_t)(s->len << STRIPE_BITS) | si;
        s->keys[i] = xstrdup(key);
        s->hashes[i] = h;
        s->ids[i] = id;
        s->len++;
    }
    pthread_mutex_unlock(&s->mu);
    return id;
}

static void str_finish(void *m) {}

static uint32_t str_global_id(void *m, int tid, uint32_t id) { return id; }

static size_t str_collect(void *mv, const char ***keys, uint32_t **ids)
{
    striped_map *m = mv;
    size_t total = 0, n = 0;
    for (unsigned k = 0; k < NSTRIPES; k++) total += m->st[k].s.len;
    *keys = xmalloc((total + 1) * sizeof **keys);
    *ids = xmalloc((total + 1) * sizeof **ids);
    for (unsigned k = 0; k < NSTRIPES; k++) {
        stripe *s = &m->st[k].s;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->keys[i]) continue;
            (*keys)[n] = s->keys[i];
            (*ids)[n++] = s->ids[i];
        }
    }
    return n;
}

static void str_destroy(void *mv)
{
    striped_map *m = mv;
    for (unsigned k = 0; k < NSTRIPES; k++) {
        stripe *s = &m->st[k].s;
        for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
        free(s->keys);
        free(s->hashes);
        free(s->ids);
        pthread_mutex_destroy(&s->mu);
    }
    free(m->st);
    free(m);
}

const pilot_impl pilot_striped = {
    .name = "striped",
    .what = "shared table, 64 mutex-guarded open-addressing stripes",
    .create = str_create,
    .thread_begin = str_noop,
    .intern = str_intern,
    .file_done = str_noop,
    .thread_end = str_noop,
    .finish = str_finish,
    .global_id = str_global_id,
    .collect = str_collect,
    .destroy = str_destroy,
};
