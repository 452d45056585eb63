/*
 * weights.c - reads model.json's weight manifest with jansson, loads the pinned shards and
 * binds every tensor the transformer needs, checking names, dtypes and shapes.
 *
 * Tensor names are those of the TF.js graph (see use_lite_graph_dump.txt).  Several weights
 * are stored as "ConcatPartitions/concat" (the TF Hub module split them across partitions
 * and the converter folded the concatenation), and the attention projections as 1x1 Conv2D
 * kernels [1][1][in][out]; both are plain row-major [in][out] matrices in the file.
 */
#include "embed/weights.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/xalloc.h"
#include "embed/pins.h"
#include "plait/error.h"

#define PRE "module_apply_default/Encoder_en/KonaTransformer/"
#define STACK PRE "Encode/TransformerStack/"
#define KERN "module/Encoder_en/KonaTransformer/Encode/"

/* 64-byte aligned, so the kernel's panel loads never split a cache line. */
static float *xaligned_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    return p ? p : xmalloc(bytes); /* only on out-of-memory, where xmalloc reports and exits */
}

typedef struct {
    const char *name; /* borrowed from the jansson tree */
    int is_f32;
    int rank;
    long dims[4];
    size_t offset; /* in 4-byte elements from the start of the concatenated shards */
} tensor_entry;

typedef struct {
    tensor_entry *t;
    size_t n;
    const use_weights *w;
} tensor_table;

static int parse_entry(json_t *spec, size_t idx, tensor_entry *e, size_t *offset)
{
    json_t *name = json_object_get(spec, "name"), *shape = json_object_get(spec, "shape");
    json_t *dtype = json_object_get(spec, "dtype");
    if (!json_is_string(name) || !json_is_array(shape) || !json_is_string(dtype) || json_array_size(shape) > 4)
        return plait_error_set(PLAIT_ECORRUPT, "model.json: weight %zu has no valid name/shape/dtype", idx);
    const char *dt = json_string_value(dtype);
    if (strcmp(dt, "float32") != 0 && strcmp(dt, "int32") != 0)
        return plait_error_set(PLAIT_ECORRUPT, "model.json: weight %s has dtype %s (plait reads float32 and int32)", json_string_value(name), dt);
    e->name = json_string_value(name);
    e->is_f32 = dt[0] == 'f';
    e->rank = (int)json_array_size(shape);
    size_t count = 1;
    for (int d = 0; d < e->rank; d++) {
        json_t *v = json_array_get(shape, (size_t)d);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1L << 24))
            return plait_error_set(PLAIT_ECORRUPT, "model.json: weight %s has a bad shape", e->name);
        e->dims[d] = (long)json_integer_value(v);
        count *= (size_t)e->dims[d];
    }
    e->offset = *offset;
    *offset += count;
    return PLAIT_OK;
}

/* Reads every shard named in `paths`, in order, into one buffer of *nbytes. */
static int load_shards(const char *dir, json_t *paths, char **out, size_t *nbytes)
{
    size_t total = 0, cap = 0;
    char *all = NULL;
    for (size_t i = 0; i < json_array_size(paths); i++) {
        json_t *p = json_array_get(paths, i);
        if (!json_is_string(p)) {
            free(all);
            return plait_error_set(PLAIT_ECORRUPT, "model.json: shard path %zu is not a string", i);
        }
        char *buf;
        size_t n;
        int rc = use_pin_read(dir, json_string_value(p), &buf, &n);
        if (rc != PLAIT_OK) {
            free(all);
            return rc;
        }
        if (total + n > cap) {
            cap = (total + n) * 2;
            all = xrealloc(all, cap);
        }
        memcpy(all + total, buf, n);
        total += n;
        free(buf);
    }
    *out = all;
    *nbytes = total;
    return PLAIT_OK;
}

/* The float data of tensor `name`, which must have the given shape (dims end at 0). */
static const float *bind(const tensor_table *tt, const char *name, long d0, long d1, long d2, long d3, int *rc)
{
    long want[4] = {d0, d1, d2, d3};
    int rank = 0;
    while (rank < 4 && want[rank] > 0) rank++;
    for (size_t i = 0; i < tt->n; i++) {
        const tensor_entry *e = &tt->t[i];
        if (strcmp(e->name, name) != 0) continue;
        int ok = e->rank == rank;
        for (int d = 0; ok && d < rank; d++) ok = e->dims[d] == want[d];
        if (!ok) {
            *rc = plait_error_set(PLAIT_ECORRUPT, "model.json: tensor %s has an unexpected shape", name);
            return NULL;
        }
        return tt->w->data + e->offset;
    }
    if (*rc == PLAIT_OK) *rc = plait_error_set(PLAIT_ECORRUPT, "model.json: tensor %s is missing", name);
    return NULL;
}

static void bind_layer(const tensor_table *tt, int li, use_layer *L, int *rc)
{
    char n[320];
    const long in = li == 0 ? USE_EMB : USE_HID;
    L->in = (int)in;
#define B(field, fmt, ...) (snprintf(n, sizeof n, fmt, li), L->field = bind(tt, n, __VA_ARGS__, rc))
    B(ln1_scale, PRE "Encode/Layer_%d/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", in, 0, 0, 0);
    B(ln1_bias, PRE "Encode/Layer_%d/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", in, 0, 0, 0);
    B(qkv_w, KERN "Layer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0", 1, 1, in, 3 * in);
    B(qkv_b, PRE "Encode/Layer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", 3 * in, 0, 0, 0);
    B(out_w, KERN "Layer_%d/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0", 1, 1, in, USE_HID);
    B(out_b, PRE "Encode/Layer_%d/TransformerLayer/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", USE_HID, 0, 0, 0);
    B(ln2_scale, PRE "Encode/Layer_%d/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", USE_HID, 0, 0, 0);
    B(ln2_bias, PRE "Encode/Layer_%d/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", USE_HID, 0, 0, 0);
    B(ffn1_w, STACK "Layer_%d/TransformerLayer/FFN/conv1/Tensordot/Reshape_1", USE_HID, USE_FFN, 0, 0);
    B(ffn1_b, PRE "Encode/Layer_%d/TransformerLayer/FFN/conv1/bias/ConcatPartitions/concat", USE_FFN, 0, 0, 0);
    B(ffn2_w, STACK "Layer_%d/TransformerLayer/FFN/conv2/Tensordot/Reshape_1", USE_FFN, USE_HID, 0, 0);
    B(ffn2_b, PRE "Encode/Layer_%d/TransformerLayer/FFN/conv2/bias/ConcatPartitions/concat", USE_HID, 0, 0, 0);
    if (li == 0) {
        B(adj_w, PRE "Encode/Layer_%d/TransformerLayer/dense/kernel/ConcatPartitions/concat", USE_EMB, USE_HID, 0, 0);
        B(adj_b, PRE "Encode/Layer_%d/TransformerLayer/dense/bias/ConcatPartitions/concat", USE_HID, 0, 0, 0);
    } else {
        L->adj_w = L->adj_b = NULL;
    }
#undef B
}

/* Rank-0 tensors: returns a pointer to the single element. */
static const float *bind_scalar(const tensor_table *tt, const char *name, int *rc)
{
    for (size_t i = 0; i < tt->n; i++)
        if (strcmp(tt->t[i].name, name) == 0) {
            if (tt->t[i].rank != 0) break;
            return tt->w->data + tt->t[i].offset;
        }
    if (*rc == PLAIT_OK) *rc = plait_error_set(PLAIT_ECORRUPT, "model.json: scalar %s is missing or not a scalar", name);
    return NULL;
}

static int bind_all(const tensor_table *tt, use_weights *w)
{
    int rc = PLAIT_OK;
    w->embeddings = bind(tt, "module/Embeddings_en", USE_VOCAB, USE_EMB, 0, 0, &rc);
    w->inv_timescale = bind(tt, STACK "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", 1, USE_EMB / 2, 0, 0, &rc);
    w->proj_w = bind(tt, "module/Encoder_en/hidden_layers/tanh_layer_0/weights", USE_HID, USE_HID, 0, 0, &rc);
    w->proj_b = bind(tt, "module/Encoder_en/hidden_layers/tanh_layer_0/bias", USE_HID, 0, 0, 0, &rc);
    for (int li = 0; li < 2; li++) bind_layer(tt, li, &w->layer[li], &rc);
    const float *s0 = bind_scalar(tt, STACK "Layer_0/TransformerLayer/MultiheadAttention/mul/y", &rc);
    const float *s1 = bind_scalar(tt, STACK "Layer_1/TransformerLayer/MultiheadAttention/mul/y", &rc);
    const float *eps = bind_scalar(tt, STACK "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x", &rc);
    const float *mb = bind_scalar(tt, STACK "Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y", &rc);
    const float *l2 = bind_scalar(tt, "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y", &rc);
    const float *ml = bind_scalar(tt, PRE "ClipToMaxLength/Less/y", &rc);
    if (rc != PLAIT_OK) return rc;
    w->layer[0].q_scale = *s0;
    w->layer[1].q_scale = *s1;
    w->ln_eps = *eps;
    w->mask_bias = *mb;
    w->l2_floor = *l2;
    int32_t maxlen;
    memcpy(&maxlen, ml, sizeof maxlen); /* an int32 tensor sharing the float buffer */
    if (maxlen < 1 || maxlen > 4096)
        return plait_error_set(PLAIT_ECORRUPT, "model.json: clip length %d is out of range", (int)maxlen);
    w->max_len = maxlen;
    return PLAIT_OK;
}

/* Packs one matrix into the next free part of w->packed. */
static const float *pack_next(const float *m, int k, int n, float **cursor)
{
    float *at = *cursor;
    use_gemm_pack(m, k, n, at);
    *cursor += (size_t)k * n;
    return at;
}

/* The per-model tables every call would otherwise rebuild: the weight matrices packed for the
 * small-M kernel (19.6 MB beside the 28 MB of shards; sgemm keeps reading the originals) and
 * the position signal, computed with the same expression embed_tokens used per token so the
 * values are the same bits. */
static void derive_tables(use_weights *w)
{
    size_t total = (size_t)USE_HID * USE_HID;
    for (int li = 0; li < 2; li++) {
        const size_t in = (size_t)w->layer[li].in;
        total += in * 3 * in + in * USE_HID + 2 * (size_t)USE_HID * USE_FFN + (li == 0 ? in * USE_HID : 0);
    }
    float *cur = w->packed = xaligned_floats(total);
    for (int li = 0; li < 2; li++) {
        use_layer *L = &w->layer[li];
        L->qkv_p = pack_next(L->qkv_w, L->in, 3 * L->in, &cur);
        L->out_p = pack_next(L->out_w, L->in, USE_HID, &cur);
        L->adj_p = L->adj_w ? pack_next(L->adj_w, L->in, USE_HID, &cur) : NULL;
        L->ffn1_p = pack_next(L->ffn1_w, USE_HID, USE_FFN, &cur);
        L->ffn2_p = pack_next(L->ffn2_w, USE_FFN, USE_HID, &cur);
    }
    w->proj_p = pack_next(w->proj_w, USE_HID, USE_HID, &cur);
    const int half = USE_EMB / 2;
    w->signal = xmalloc((size_t)w->max_len * USE_EMB * sizeof(float));
    for (int p = 0; p < w->max_len; p++)
        for (int i = 0; i < half; i++) {
            float a = (float)p * w->inv_timescale[i];
            w->signal[(size_t)p * USE_EMB + i] = (float)sin((double)a);
            w->signal[(size_t)p * USE_EMB + half + i] = (float)cos((double)a);
        }
    w->gemm = use_gemm_kernel(USE_GEMM_BEST);
    w->small_m = use_gemm_default_small_m(USE_GEMM_BEST);
}

static int load_manifest(const char *dir, json_t *root, use_weights *w)
{
    json_t *wm = json_object_get(root, "weightsManifest");
    json_t *group = json_array_get(wm, 0);
    json_t *paths = json_object_get(group, "paths"), *specs = json_object_get(group, "weights");
    if (json_array_size(wm) != 1 || !json_is_array(paths) || !json_is_array(specs))
        return plait_error_set(PLAIT_ECORRUPT, "model.json: expected one weightsManifest group with paths and weights");
    tensor_table tt = {xcalloc(json_array_size(specs) + 1, sizeof(tensor_entry)), json_array_size(specs), w};
    size_t total = 0;
    int rc = PLAIT_OK;
    for (size_t i = 0; rc == PLAIT_OK && i < tt.n; i++) rc = parse_entry(json_array_get(specs, i), i, &tt.t[i], &total);
    char *bytes = NULL;
    size_t nbytes = 0;
    if (rc == PLAIT_OK) rc = load_shards(dir, paths, &bytes, &nbytes);
    if (rc == PLAIT_OK && nbytes != total * 4)
        rc = plait_error_set(PLAIT_ECORRUPT, "model.json lists %zu bytes of weights, the shards hold %zu", total * 4, nbytes);
    if (rc == PLAIT_OK) {
        w->data = (float *)(void *)bytes; /* realloc'd memory: aligned for float */
        w->nfloats = total;
        bytes = NULL;
        rc = bind_all(&tt, w);
        if (rc == PLAIT_OK) derive_tables(w);
    }
    free(bytes);
    free(tt.t);
    return rc;
}

int use_weights_load(const char *dir, use_weights *w)
{
    memset(w, 0, sizeof *w);
    char *text;
    size_t len;
    int rc = use_pin_read(dir, "model.json", &text, &len);
    if (rc != PLAIT_OK) return rc;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!root) return plait_error_set(PLAIT_ECORRUPT, "model.json: %s (line %d)", jerr.text, jerr.line);
    rc = load_manifest(dir, root, w);
    json_decref(root);
    if (rc != PLAIT_OK) use_weights_free(w);
    return rc;
}

void use_weights_free(use_weights *w)
{
    free(w->data);
    free(w->packed);
    free(w->signal);
    memset(w, 0, sizeof *w);
}
