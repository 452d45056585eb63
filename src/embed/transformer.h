/*
 * transformer.h - the USE-lite network on already tokenized, already clipped sequences.
 *
 * Sequences are packed back to back (no padding): every position-wise step (layer norms,
 * projections, feed-forward) is one sgemm over all tokens of the chunk, and attention runs
 * per sequence, so no padded position exists to be masked.  The result for a sequence does
 * not depend on what else is in the chunk beyond float rounding inside OpenBLAS.
 */
#ifndef PLAIT_EMBED_TRANSFORMER_H
#define PLAIT_EMBED_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>

#include "embed/weights.h"

/* Per-thread working memory; zero-initialise, grows on demand, release with _free. */
typedef struct {
    float *x, *h, *ln, *qkv, *att, *ffn, *scores, *pooled, *pooled_ffn;
    size_t tok_cap, seq_cap;
} use_scratch;

void use_scratch_free(use_scratch *s);

/* Embeds nseq sequences: ids[i][0..lens[i]) with every lens[i] <= w->max_len and every id <
 * USE_VOCAB (callers clip), into out[nseq][USE_HID], L2-normalised. */
void use_forward(const use_weights *w, const int32_t *const *ids, const size_t *lens, size_t nseq,
                 float *out, use_scratch *s);

#endif
