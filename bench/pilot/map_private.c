/*
 * map_private.c - what plait does today: no shared map.  Each worker interns into its own
 * plait_strmap with thread-local ids; after the workers are joined one thread merges the
 * private maps into a global plait_strmap and builds, per worker, the local->global id table
 * a consumer of that worker's output would translate through.  The private maps are freed
 * in destroy() (untimed, like the other contenders' teardown), so the memory figure holds
 * them beside the global map.  With one worker the private map already is the final map and
 * no merge runs.
 */
#include "pilot.h"

#include "core/strmap.h"
#include "core/xalloc.h"

#include <stdlib.h>

typedef struct {
    plait_strmap map;
    uint32_t next;
    uint32_t *remap; /* local id -> global id, built by finish() */
} priv_local;

typedef struct {
    int n;
    priv_local *loc[64];
    plait_strmap global;
    uint32_t gnext;
} priv_map;

static void *priv_create(int nthreads)
{
    priv_map *m = xcalloc(1, sizeof *m);
    m->n = nthreads;
    for (int t = 0; t < nthreads; t++) {
        m->loc[t] = pilot_aligned_calloc(1, sizeof(priv_local));
        plait_strmap_init(&m->loc[t]->map);
    }
    plait_strmap_init(&m->global);
    return m;
}

static void priv_noop(void *m, int tid) {}

static uint32_t priv_intern(void *mv, int tid, const char *s)
{
    priv_local *l = ((priv_map *)mv)->loc[tid];
    void *v = plait_strmap_get(&l->map, s);
    if (v) return (uint32_t)((uintptr_t)v - 1);
    uint32_t id = l->next++;
    plait_strmap_put(&l->map, s, (void *)(uintptr_t)(id + 1));
    return id;
}

static void priv_finish(void *mv)
{
    priv_map *m = mv;
    if (m->n == 1) return; /* the one private map is the final one */
    for (int t = 0; t < m->n; t++) {
        priv_local *l = m->loc[t];
        l->remap = xmalloc((l->next ? l->next : 1) * sizeof *l->remap);
        size_t pos = 0;
        const char *k;
        void *v;
        while (plait_strmap_next(&l->map, &pos, &k, &v)) {
            void *g = plait_strmap_get(&m->global, k);
            if (!g) {
                g = (void *)(uintptr_t)(++m->gnext);
                plait_strmap_put(&m->global, k, g);
            }
            l->remap[(uintptr_t)v - 1] = (uint32_t)((uintptr_t)g - 1);
        }
    }
}

static uint32_t priv_global_id(void *mv, int tid, uint32_t id)
{
    priv_map *m = mv;
    return m->n == 1 ? id : m->loc[tid]->remap[id];
}

static size_t priv_collect(void *mv, const char ***keys, uint32_t **ids)
{
    priv_map *m = mv;
    const plait_strmap *fin = m->n == 1 ? &m->loc[0]->map : &m->global;
    *keys = xmalloc((fin->len + 1) * sizeof **keys);
    *ids = xmalloc((fin->len + 1) * sizeof **ids);
    size_t pos = 0, n = 0;
    const char *k;
    void *v;
    while (plait_strmap_next(fin, &pos, &k, &v)) {
        (*keys)[n] = k;
        (*ids)[n++] = (uint32_t)((uintptr_t)v - 1);
    }
    return n;
}

static void priv_destroy(void *mv)
{
    priv_map *m = mv;
    for (int t = 0; t < m->n; t++) {
        plait_strmap_free(&m->loc[t]->map);
        free(m->loc[t]->remap);
        free(m->loc[t]);
    }
    plait_strmap_free(&m->global);
    free(m);
}

const pilot_impl pilot_private = {
    .name = "private",
    .what = "per-worker plait_strmap, merged by one thread after join",
    .create = priv_create,
    .thread_begin = priv_noop,
    .intern = priv_intern,
    .file_done = priv_noop,
    .thread_end = priv_noop,
    .finish = priv_finish,
    .global_id = priv_global_id,
    .collect = priv_collect,
    .destroy = priv_destroy,
};
