/*
 * compact.c - turning tombstones back into usable slots.
 *
 * A delete only sets a flag: searches keep walking through the dead node (it still holds
 * the graph together) but never return it.  Compaction, run under the write side of
 * struct_lock so nothing else is in flight:
 *   1. repairs every live neighbour list that names a dead node: the dead neighbours are
 *      replaced by candidates reached through them (their own lists, following further dead
 *      nodes a bounded number of hops), and the HNSW heuristic picks the new list;
 *   2. frees the dead slots onto the free list, where the next inserts reuse them;
 *   3. moves the entry point to a live node of the highest level if it died;
 *   4. links every live node that has no incoming link on level 0 (reconnect_orphans).
 * Step 1 writes only the list of the node being repaired and reads only that list and the
 * lists of dead nodes (which nobody writes now), so it runs on all CPUs without locks.
 * After step 1 no list of a live node names a dead slot, so step 2 leaves nothing dangling.
 */
#include "vector/vx_internal.h"

#include "core/xalloc.h"
#include "plait/error.h"

#include <stdlib.h>
#include <unistd.h>

#define REPAIR_MAX_EXPAND 64 /* dead nodes followed per list repair */

static int is_dead(const plait_vindex *ix, uint32_t id)
{
    return atomic_load_explicit(&vx_rec(ix, id)->flags, memory_order_relaxed) & VX_F_DELETED;
}

static void push_id(vx_work *w, uint32_t id)
{
    if (w->nids == w->capids) {
        w->capids = w->capids ? w->capids * 2 : 64;
        w->ids = xrealloc(w->ids, w->capids * sizeof *w->ids);
    }
    w->ids[w->nids++] = id;
}

/* Gathers live candidates for node `id` on level l (through dead neighbours) into w->tmp. */
static void gather(plait_vindex *ix, vx_work *w, uint32_t id, uint32_t l)
{
    w->tmp.len = 0;
    w->nids = 0;
    vx_work_visit_reset(ix, w);
    vx_work_visit(w, id);
    _Atomic uint32_t *lst = vx_list(ix, vx_rec(ix, id), l);
    uint32_t cnt = atomic_load_explicit(lst, memory_order_relaxed);
    for (uint32_t i = 0; i < cnt; i++) {
        uint32_t e = atomic_load_explicit(&lst[1 + i], memory_order_relaxed);
        if (vx_work_visit(w, e)) continue;
        if (is_dead(ix, e)) push_id(w, e);
        else vx_heap_push_min(&w->tmp, vx_dist_nodes(ix, id, e), e);
    }
    for (size_t qi = 0; qi < w->nids && qi < REPAIR_MAX_EXPAND; qi++) {
        _Atomic uint32_t *dl = vx_list(ix, vx_rec(ix, w->ids[qi]), l);
        uint32_t dc = atomic_load_explicit(dl, memory_order_relaxed);
        for (uint32_t i = 0; i < dc; i++) {
            uint32_t e = atomic_load_explicit(&dl[1 + i], memory_order_relaxed);
            if (vx_work_visit(w, e)) continue;
            if (is_dead(ix, e)) push_id(w, e);
            else vx_heap_push_min(&w->tmp, vx_dist_nodes(ix, id, e), e);
        }
    }
}

static void repair_node(plait_vindex *ix, vx_work *w, uint32_t id)
{
    vx_node *n = vx_rec(ix, id);
    if (atomic_load_explicit(&n->flags, memory_order_relaxed) & (VX_F_DELETED | VX_F_FREE)) return;
    for (uint32_t l = 0; l <= n->level; l++) {
        _Atomic uint32_t *lst = vx_list(ix, n, l);
        uint32_t cnt = atomic_load_explicit(lst, memory_order_relaxed), dead = 0;
        for (uint32_t i = 0; i < cnt && !dead; i++)
            dead = is_dead(ix, atomic_load_explicit(&lst[1 + i], memory_order_relaxed));
        if (!dead) continue;
        gather(ix, w, id, l);
        vx_pairs_sort(w->tmp.items, w->tmp.len);
        size_t k = vx_select_neighbours(ix, w->tmp.items, w->tmp.len, vx_cap(ix, l));
        for (size_t i = 0; i < k; i++)
            atomic_store_explicit(&lst[1 + i], w->tmp.items[i].id, memory_order_relaxed);
        atomic_store_explicit(lst, (uint32_t)k, memory_order_relaxed);
    }
}

typedef struct {
    plait_vindex *ix;
    uint32_t from, to;
} repair_job;

static void *repair_range(void *arg)
{
    repair_job *j = arg;
    vx_work *w = vx_work_get(j->ix);
    for (uint32_t id = j->from; id < j->to; id++) repair_node(j->ix, w, id);
    vx_work_put(j->ix, w);
    return NULL;
}

static void repair_all(plait_vindex *ix, uint32_t nslots)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned nt = c > 0 ? (unsigned)c : 1;
    if (nt > 16) nt = 16;
    if (nslots < 4096) nt = 1;
    repair_job jobs[16];
    pthread_t t[16];
    unsigned started = 0;
    for (unsigned i = 0; i < nt; i++) {
        jobs[i] = (repair_job){ix, (uint32_t)((uint64_t)nslots * i / nt),
                               (uint32_t)((uint64_t)nslots * (i + 1) / nt)};
        if (i == 0) continue;
        if (pthread_create(&t[i], NULL, repair_range, &jobs[i]) == 0) started |= 1u << i;
        else repair_range(&jobs[i]);
    }
    repair_range(&jobs[0]);
    for (unsigned i = 1; i < nt; i++)
        if (started & (1u << i)) pthread_join(t[i], NULL);
}

/* Frees every dead slot; returns how many. */
static uint64_t free_dead(plait_vindex *ix, uint32_t nslots)
{
    uint64_t freed = 0;
    pthread_mutex_lock(&ix->grow_lock);
    /* Pushed from the top down so reuse pops the lowest ids first (denser chunks). */
    for (uint32_t id = nslots; id-- > 0;) {
        vx_node *n = vx_rec(ix, id);
        if (!(atomic_load_explicit(&n->flags, memory_order_relaxed) & VX_F_DELETED)) continue;
        if (n->upper) {
            atomic_fetch_sub(&ix->upper_bytes, (uint64_t)n->level * (ix->p.M + 1) * sizeof(uint32_t));
            free((void *)n->upper);
            n->upper = NULL;
        }
        n->level = 0;
        atomic_store_explicit(&n->n0, 0, memory_order_relaxed);
        atomic_store_explicit(&n->flags, VX_F_FREE, memory_order_relaxed);
        vx_slot_free_push(ix, id);
        freed++;
    }
    pthread_mutex_unlock(&ix->grow_lock);
    return freed;
}

static int is_live(const plait_vindex *ix, uint32_t id)
{
    return !(atomic_load_explicit(&vx_rec(ix, id)->flags, memory_order_relaxed) & (VX_F_DELETED | VX_F_FREE));
}

/* Step 4: no live node is left without an incoming link on level 0.  Repairs prune with the
 * heuristic, so a node whose in-links all came through dead nodes (or were pruned by later
 * inserts) can end up unreachable: it is stored and `get` finds it, but no search can.  In
 * the stress test that was 0.3-0.6% of the live nodes after churn (M 8).  Each orphan is
 * linked from its nearest out-neighbour: appended if that list has room, else in place of
 * the entry farthest from it that has another in-link.  Single-threaded, O(slots x M0). */
static uint64_t reconnect_orphans(plait_vindex *ix, uint32_t nslots)
{
    uint32_t *indeg = xcalloc(nslots ? nslots : 1, sizeof *indeg);
    for (uint32_t u = 0; u < nslots; u++) {
        if (!is_live(ix, u)) continue;
        _Atomic uint32_t *lst = vx_list(ix, vx_rec(ix, u), 0);
        uint32_t cnt = atomic_load_explicit(lst, memory_order_relaxed);
        for (uint32_t i = 0; i < cnt; i++) indeg[atomic_load_explicit(&lst[1 + i], memory_order_relaxed)]++;
    }
    uint64_t st = atomic_load(&ix->ep_state), fixed = 0;
    uint32_t entry = st == VX_EP_EMPTY ? VX_NONE : (uint32_t)st, cap = vx_cap(ix, 0);
    for (uint32_t x = 0; x < nslots; x++) {
        if (indeg[x] || x == entry || !is_live(ix, x)) continue;
        _Atomic uint32_t *xl = vx_list(ix, vx_rec(ix, x), 0);
        uint32_t xc = atomic_load_explicit(xl, memory_order_relaxed), y = VX_NONE;
        float best = 0;
        for (uint32_t i = 0; i < xc; i++) { /* its nearest live out-neighbour */
            uint32_t e = atomic_load_explicit(&xl[1 + i], memory_order_relaxed);
            float d = vx_dist_nodes(ix, x, e);
            if (is_live(ix, e) && (y == VX_NONE || d < best)) y = e, best = d;
        }
        if (y == VX_NONE) continue;
        _Atomic uint32_t *yl = vx_list(ix, vx_rec(ix, y), 0);
        uint32_t yc = atomic_load_explicit(yl, memory_order_relaxed);
        if (yc < cap) {
            atomic_store_explicit(&yl[1 + yc], x, memory_order_relaxed);
            atomic_store_explicit(yl, yc + 1, memory_order_relaxed);
        } else {
            uint32_t worst = UINT32_MAX;
            float wd = -1;
            for (uint32_t i = 0; i < yc; i++) {
                uint32_t z = atomic_load_explicit(&yl[1 + i], memory_order_relaxed);
                float d = vx_dist_nodes(ix, y, z);
                if (indeg[z] > 1 && d > wd) worst = i, wd = d;
            }
            if (worst == UINT32_MAX) continue; /* every neighbour of y needs its link */
            indeg[atomic_load_explicit(&yl[1 + worst], memory_order_relaxed)]--;
            atomic_store_explicit(&yl[1 + worst], x, memory_order_relaxed);
        }
        indeg[x]++;
        fixed++;
    }
    free(indeg);
    return fixed;
}

static void reset_entry(plait_vindex *ix, uint32_t nslots)
{
    uint64_t st = atomic_load(&ix->ep_state);
    if (st != VX_EP_EMPTY && !(atomic_load(&vx_rec(ix, (uint32_t)st)->flags) & VX_F_FREE)) return;
    uint32_t best = VX_NONE, lvl = 0;
    for (uint32_t id = 0; id < nslots; id++) {
        vx_node *n = vx_rec(ix, id);
        if (atomic_load_explicit(&n->flags, memory_order_relaxed) & VX_F_FREE) continue;
        if (best == VX_NONE || n->level > lvl) {
            best = id;
            lvl = n->level;
        }
    }
    atomic_store(&ix->ep_state, best == VX_NONE ? VX_EP_EMPTY : ((uint64_t)lvl << 32) | best);
}

int vx_compact(plait_vindex *ix)
{
    pthread_rwlock_wrlock(&ix->struct_lock);
    uint32_t nslots = atomic_load(&ix->nslots);
    if (atomic_load(&ix->n_tomb)) {
        repair_all(ix, nslots);
        uint64_t freed = free_dead(ix, nslots);
        atomic_fetch_sub(&ix->n_tomb, freed);
        reset_entry(ix, nslots);
    }
    /* also without tombstones: inserts' pruning orphans nodes too, and an explicit compaction
     * is where a caller asks for the graph to be put in order */
    reconnect_orphans(ix, nslots);
    pthread_rwlock_unlock(&ix->struct_lock);
    return PLAIT_OK;
}

void vx_maybe_compact(plait_vindex *ix)
{
    float th = ix->p.compact_threshold;
    if (th <= 0) return;
    uint64_t t = atomic_load(&ix->n_tomb), l = atomic_load(&ix->n_live);
    if (t < 64 || (double)t < (double)th * (double)(t + l)) return;
    int z = 0;
    if (!atomic_compare_exchange_strong(&ix->compacting, &z, 1)) return;
    vx_compact(ix);
    atomic_store(&ix->compacting, 0);
}
