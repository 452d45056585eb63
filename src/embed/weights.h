/*
 * weights.h - the USE-lite weights, loaded from model.json's weight manifest and its shards.
 *
 * model.json lists every tensor (name, shape, dtype) in the order they sit, back to back, in
 * the concatenation of the shards.  weights.c walks that list, checks each tensor plait uses
 * has exactly the shape the architecture (transformer.c) assumes, and points into one buffer
 * holding all the shards.  The scalar constants the graph applies (attention scales, layer
 * norm epsilon, the clip length, the L2 floor, the timing-signal frequencies) are read from
 * the same data rather than retyped, so the C code follows the file it verified.
 */
#ifndef PLAIT_EMBED_WEIGHTS_H
#define PLAIT_EMBED_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "embed/gemm.h"

#define USE_VOCAB 8002    /* embedding rows (8000 pieces + 2 spare) */
#define USE_EMB 256       /* token embedding width = layer 0 width */
#define USE_HID 512       /* layer 1 width = output width */
#define USE_FFN 1536      /* feed-forward inner width */
#define USE_HEADS 4

typedef struct {
    int in;                     /* width entering the layer (256 or 512) */
    const float *ln1_scale, *ln1_bias;  /* pre-attention layer norm [in] */
    const float *qkv_w, *qkv_b;         /* [in][3*in], [3*in]: q | k | v column blocks */
    const float *out_w, *out_b;         /* [in][512], [512] */
    const float *adj_w, *adj_b;         /* layer 0 only: residual projection [256][512] */
    const float *ln2_scale, *ln2_bias;  /* pre-FFN layer norm [512] */
    const float *ffn1_w, *ffn1_b;       /* [512][1536], [1536] */
    const float *ffn2_w, *ffn2_b;       /* [1536][512], [512] */
    float q_scale;                      /* multiplies q before q.k (1/sqrt(head width)) */
    /* The same five matrices packed for the small-M kernel (gemm.h), inside use_weights.packed. */
    const float *qkv_p, *out_p, *adj_p, *ffn1_p, *ffn2_p;
} use_layer;

typedef struct {
    float *data;                 /* all shards, concatenated; owns everything below */
    size_t nfloats;
    const float *embeddings;     /* [8002][256] */
    const float *inv_timescale;  /* [128] frequencies of the sinusoidal position signal */
    use_layer layer[2];
    const float *proj_w, *proj_b;  /* tanh layer [512][512], [512] */
    float ln_eps;                /* layer norm variance epsilon */
    float mask_bias;             /* added to attention logits of padding (unused when packed) */
    float l2_floor;              /* squared-norm floor of the final L2 normalisation */
    int max_len;                 /* tokens at positions >= max_len are dropped */
    /* Derived once at load, so a call does no per-call set-up: */
    float *packed;               /* every weight matrix again, in gemm.h's panel layout */
    const float *proj_p;         /* proj_w packed */
    float *signal;               /* [max_len][256] position signal, exactly as computed per token */
    use_gemm_fn gemm;            /* small-M kernel (the best this CPU runs) */
    size_t small_m;              /* products of at most this many rows use gemm, larger sgemm
                                  * (use_gemm_default_small_m; tests and benchmarks change it) */
} use_weights;


/* Loads and verifies model.json and every shard it names from `dir`, then packs the matrices
 * and tabulates the position signal. */
int use_weights_load(const char *dir, use_weights *w);
void use_weights_free(use_weights *w);

#endif
