/*
 * fuzz_vindex_load - libFuzzer target for the vector index loader.
 *
 * Each input is tried twice: as it is (the header, magic, version and checksum checks must
 * refuse it cleanly) and, when its section table is in bounds, again after its checksums are
 * recomputed, so the mutations reach the structural checks behind them (list lengths,
 * neighbour ids, levels, entry point, sizes).  A loaded index is searched, extended and saved
 * to memory-free paths so that whatever was accepted is also safe to use.
 */
#include "plait/vector.h"
#include "vector/vx_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void exercise(plait_vindex *ix)
{
    plait_vindex_params p;
    plait_vindex_get_params(ix, &p);
    if (p.dim > 4096) return;
    float *q = calloc(p.dim, sizeof(float));
    for (uint32_t i = 0; i < p.dim; i++) q[i] = (float)(i % 7) - 3.0f;
    plait_vindex_hit hits[8];
    size_t nh;
    plait_vindex_search(ix, q, 8, NULL, hits, &nh);
    plait_vindex_add(ix, 0xfeed, q);
    plait_vindex_search(ix, q, 8, NULL, hits, &nh);
    plait_vindex_remove(ix, 0xfeed);
    plait_vindex_compact(ix);
    plait_vindex_search(ix, q, 8, NULL, hits, &nh);
    free(q);
}

static void try_load(const uint8_t *data, size_t size)
{
    plait_vindex *ix = NULL;
    if (plait_vindex_load_buffer(&ix, data, size, NULL) == 0) {
        exercise(ix);
        plait_vindex_free(ix);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    try_load(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (vx_persist_reseal(copy, size) == 0) try_load(copy, size);
    free(copy);
    return 0;
}
