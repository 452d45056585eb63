/*
 * Tests of the small-M matrix kernel (src/embed/gemm.c) and of the two product paths of the
 * transformer: every kernel this CPU runs against OpenBLAS sgemm and against each other on
 * random matrices, and the whole network with every product on sgemm against every product
 * on each kernel, on the goldens (both within 1e-4 of TF.js), real texts and random ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cblas.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "embed/gemm.h"
#include "embed/tokenizer.h"
#include "embed/transformer.h"
#include "embed/weights.h"
#include "plait/error.h"

#define MODEL_DIR PLAIT_SOURCE_DIR "/third_party/use-lite/dist"
#define DATA_DIR PLAIT_SOURCE_DIR "/tests/embed/data"

static use_weights g_w;
static use_tokenizer *g_tok;

static int setup(void **state)
{
    (void)state;
    openblas_set_num_threads(1);
    int rc = use_weights_load(MODEL_DIR, &g_w);
    if (rc == PLAIT_OK) rc = use_tokenizer_load(MODEL_DIR, &g_tok);
    if (rc != PLAIT_OK) fprintf(stderr, "load: %s\n", plait_error_last());
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    use_weights_free(&g_w);
    use_tokenizer_free(g_tok);
    return 0;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15u;

static float frand(float lo, float hi) /* xorshift64*: the same numbers on every run */
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    uint64_t r = g_rng * 2685821657736338717u;
    return lo + (hi - lo) * (float)((r >> 40) * (1.0 / 16777216.0));
}

static void fill(float *p, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) p[i] = frand(lo, hi);
}

/* |got - want| <= tol, or tol * |want| when rel and |want| > 1 (float sums of 1536 products
 * that reach 6 carry ~1e-6 relative rounding whatever the order). */
static void expect_near(const float *want, const float *got, size_t n, float tol, int rel, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        float lim = rel && fabsf(want[i]) > 1 ? tol * fabsf(want[i]) : tol;
        if (!(fabsf(want[i] - got[i]) <= lim)) fail_msg("%s: element %zu: %.9g against %.9g", what, i, got[i], want[i]);
    }
}

static void expect_close(const float *want, const float *got, size_t n, float tol, const char *what)
{
    expect_near(want, got, n, tol, 0, what);
    float worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmaxf(worst, fabsf(want[i] - got[i]));
    print_message("%s: largest difference %.3g\n", what, worst);
}

/* One model matrix: C0 + A W by every kernel this CPU runs against sgemm, for row counts
 * that exercise every remainder of every block size. */
static void check_matrix(const float *w, const float *packed, int k, int n, const char *name)
{
    static const size_t ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 64, 130};
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
        size_t m = ms[mi];
        float *a = xmalloc(m * k * sizeof(float)), *c0 = xmalloc(m * n * sizeof(float));
        float *want = xmalloc(m * n * sizeof(float)), *got = xmalloc(m * n * sizeof(float));
        fill(a, m * k, -1, 1);
        fill(c0, m * n, -0.1f, 0.1f);
        memcpy(want, c0, m * n * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, n, k, 1.0f, a, k, w, n, 1.0f, want, n);
        for (int kind = USE_GEMM_PORTABLE; kind <= USE_GEMM_AVX512; kind++) {
            use_gemm_fn f = use_gemm_kernel((use_gemm_kind)kind);
            if (!f) continue; /* this CPU cannot run it */
            memcpy(got, c0, m * n * sizeof(float));
            f(a, m, k, packed, n, got);
            char what[96];
            snprintf(what, sizeof what, "%s: %s, %zu rows", name, use_gemm_name((use_gemm_kind)kind), m);
            expect_near(want, got, m * n, 1e-5f, 1, what);
        }
        free(a), free(c0), free(want), free(got);
    }
}

/* Every weight matrix of the model (the real values, k 256..1536, n 512..1536) times random
 * activations of layer-norm scale (|a| < 1): within 1e-5 of sgemm, relative above 1.  The
 * packing itself is checked against a fresh use_gemm_pack of the row-major matrix. */
static void test_kernels_random(void **state)
{
    (void)state;
    for (int li = 0; li < 2; li++) {
        const use_layer *L = &g_w.layer[li];
        const int d = L->in;
        float *p = xmalloc((size_t)USE_HID * USE_FFN * sizeof(float));
        use_gemm_pack(L->ffn1_w, USE_HID, USE_FFN, p);
        assert_memory_equal(p, L->ffn1_p, (size_t)USE_HID * USE_FFN * sizeof(float));
        free(p);
        check_matrix(L->qkv_w, L->qkv_p, d, 3 * d, li ? "layer 1 qkv" : "layer 0 qkv");
        check_matrix(L->out_w, L->out_p, d, USE_HID, li ? "layer 1 out" : "layer 0 out");
        if (L->adj_w) check_matrix(L->adj_w, L->adj_p, d, USE_HID, "layer 0 residual");
        check_matrix(L->ffn1_w, L->ffn1_p, USE_HID, USE_FFN, li ? "layer 1 ffn1" : "layer 0 ffn1");
        check_matrix(L->ffn2_w, L->ffn2_p, USE_FFN, USE_HID, li ? "layer 1 ffn2" : "layer 0 ffn2");
    }
    check_matrix(g_w.proj_w, g_w.proj_p, USE_HID, USE_HID, "projection");
}

/* The portable kernel against the fast one this CPU runs (the fallback must give the same
 * numbers as what is tested every day), on the widest product (layer 1's ffn2, k = 1536),
 * a block with a remainder and one row. */
static void test_portable_matches_fast(void **state)
{
    (void)state;
    use_gemm_fn fast = use_gemm_kernel(USE_GEMM_BEST), port = use_gemm_kernel(USE_GEMM_PORTABLE);
    assert_non_null(fast);
    assert_non_null(port);
    print_message("fast kernel: %s\n", use_gemm_name(USE_GEMM_BEST));
    const size_t m = 11;
    const int k = USE_FFN, n = USE_HID;
    const float *p = g_w.layer[1].ffn2_p;
    float *a = xmalloc(m * k * sizeof(float)), *x = xcalloc(m * n, sizeof(float)), *y = xcalloc(m * n, sizeof(float));
    fill(a, m * k, 0, 2); /* ffn2 reads ReLU outputs */
    fast(a, m, k, p, n, x);
    port(a, m, k, p, n, y);
    expect_near(x, y, m * n, 1e-5f, 1, "portable against fast");
    memset(x, 0, m * n * sizeof(float));
    memset(y, 0, m * n * sizeof(float));
    fast(a, 1, k, p, n, x);
    port(a, 1, k, p, n, y);
    expect_near(x, y, n, 1e-5f, 1, "portable against fast, one row");
    free(a), free(x), free(y);
}

/* Embeds ids[i][0..lens[i]) one forward pass per sequence with products of at most small_m
 * rows on `kernel`, the rest on sgemm. */
static void forward_with(const int32_t *const *ids, const size_t *lens, size_t n, size_t small_m, use_gemm_fn kernel,
                         float *out)
{
    use_weights w = g_w;
    w.small_m = small_m;
    w.gemm = kernel;
    use_scratch s = {0};
    for (size_t i = 0; i < n; i++) use_forward(&w, ids + i, lens + i, 1, out + i * USE_HID, &s);
    use_scratch_free(&s);
}

/* Every path of the network on the same sequences: sgemm everywhere is the reference; each
 * kernel everywhere must be within 1e-5 of it, and within 1e-4 of `golden` when given. */
static void check_paths(const int32_t *const *ids, const size_t *lens, size_t n, const float *golden, const char *what)
{
    float *ref = xmalloc(n * USE_HID * sizeof(float)), *got = xmalloc(n * USE_HID * sizeof(float));
    forward_with(ids, lens, n, 0, g_w.gemm, ref);
    char msg[128];
    snprintf(msg, sizeof msg, "%s: sgemm against TF.js", what);
    if (golden) expect_close(golden, ref, n * USE_HID, 1e-4f, msg);
    for (int kind = USE_GEMM_PORTABLE; kind <= USE_GEMM_AVX512; kind++) {
        use_gemm_fn f = use_gemm_kernel((use_gemm_kind)kind);
        if (!f) continue;
        forward_with(ids, lens, n, SIZE_MAX, f, got);
        snprintf(msg, sizeof msg, "%s: %s against sgemm", what, use_gemm_name((use_gemm_kind)kind));
        expect_close(ref, got, n * USE_HID, 1e-5f, msg);
        snprintf(msg, sizeof msg, "%s: %s against TF.js", what, use_gemm_name((use_gemm_kind)kind));
        if (golden) expect_close(golden, got, n * USE_HID, 1e-4f, msg);
    }
    free(ref);
    free(got);
}

/* Tokenizes texts (clipped at the model's length) and runs check_paths on them. */
static void check_texts(const char *const *texts, size_t n, const float *golden, const char *what)
{
    int32_t **ids = xcalloc(n, sizeof *ids);
    size_t *lens = xcalloc(n, sizeof *lens);
    for (size_t i = 0; i < n; i++) {
        use_tokenize(g_tok, texts[i], strlen(texts[i]), &ids[i], &lens[i]);
        if (lens[i] > (size_t)g_w.max_len) lens[i] = (size_t)g_w.max_len;
    }
    check_paths((const int32_t *const *)ids, lens, n, golden, what);
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
    free(lens);
}

static void check_golden_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DATA_DIR, name);
    json_error_t err;
    json_t *g = json_load_file(path, 0, &err);
    if (!g) fail_msg("%s: %s", path, err.text);
    json_t *texts = json_object_get(g, "texts"), *embs = json_object_get(g, "embeddings");
    size_t n = json_array_size(texts);
    assert_true(n > 0 && json_array_size(embs) == n);
    const char **tv = xcalloc(n, sizeof *tv);
    float *gold = xmalloc(n * USE_HID * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        tv[i] = json_string_value(json_array_get(texts, i));
        json_t *v = json_array_get(embs, i);
        assert_int_equal(json_array_size(v), USE_HID);
        for (size_t d = 0; d < USE_HID; d++) gold[i * USE_HID + d] = (float)json_number_value(json_array_get(v, d));
    }
    check_texts(tv, n, gold, name);
    free(tv);
    free(gold);
    json_decref(g);
}

static void test_paths_goldens(void **state)
{
    (void)state;
    check_golden_file("use_lite_golden.json");
    check_golden_file("extra_golden.json");
}

/* Texts of the kind plait embeds and searches for: queries (a few tokens) and node texts. */
static void test_paths_real_texts(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "Attempts to acquire exclusive access to this lock, returning whether it succeeded or not.",
        "Returns the number of elements in the map.",
        "parse",
        "method peek (syn parse parse buffer)\npub fn peek<T: Peek>(&self, token: T) -> bool\n"
        "Looks at the next token in the parse stream to determine whether it matches the requested type of token.",
        "function read to string (std fs)\npub fn read_to_string<P: AsRef<Path>>(path: P) -> io::Result<String>\n"
        "Read the entire contents of a file into a string.\n{ fn inner(path: &Path) -> io::Result<String> { let mut file = File::open(path)?;",
        "struct HashMap (std collections hash map)\npub struct HashMap<K, V, S = RandomState> { base: base::HashMap<K, V, S> }",
    };
    check_texts(texts, sizeof texts / sizeof texts[0], NULL, "real texts");
}

/* Random ids at lengths 1..128 (the clip), every row count the blocks can leave over. */
static void test_paths_random_ids(void **state)
{
    (void)state;
    static const size_t lens[] = {1, 2, 3, 5, 8, 9, 16, 17, 33, 64, 100, 128};
    enum { N = sizeof lens / sizeof lens[0] };
    int32_t *ids[N];
    for (size_t i = 0; i < N; i++) {
        ids[i] = xmalloc(lens[i] * sizeof(int32_t));
        for (size_t t = 0; t < lens[i]; t++) ids[i][t] = 6 + (int32_t)(frand(0, 1) * 7990);
    }
    check_paths((const int32_t *const *)ids, lens, N, NULL, "random ids");
    for (size_t i = 0; i < N; i++) free(ids[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_random),
        cmocka_unit_test(test_portable_matches_fast),
        cmocka_unit_test(test_paths_goldens),
        cmocka_unit_test(test_paths_real_texts),
        cmocka_unit_test(test_paths_random_ids),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
