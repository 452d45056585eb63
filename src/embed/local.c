/*
 * local.c - the local USE-lite provider: finds and verifies the model, and runs batches over
 * a few worker threads.
 *
 * A batch call runs in two phases over the same worker threads: tokenize every text, then
 * embed chunks of consecutive texts.  Chunk boundaries depend only on the token counts (a
 * chunk closes once it holds CHUNK_TOKENS tokens or CHUNK_TEXTS texts), never on the thread
 * count, and each chunk is computed by one thread alone; so the vectors are the same bits
 * whatever --jobs is.  OpenBLAS is kept single-threaded (openblas_set_num_threads(1) at
 * open) and plait parallelises across chunks itself: on the small matrices of one chunk
 * (a few hundred rows) OpenBLAS's own threads cost more in hand-offs than they return, and
 * concurrent calls into a multi-threaded OpenBLAS serialise on its pool (docs/embed.md has
 * the measurement).  Threads are started per call, so the handle holds no mutable state and
 * concurrent calls are safe.
 */
#include <cblas.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/xalloc.h"
#include "embed/pins.h"
#include "embed/tokenizer.h"
#include "embed/transformer.h"
#include "embed/weights.h"
#include "plait/embed.h"
#include "plait/error.h"

/* Bytes of a text that are tokenized for embedding.  The model reads 128 tokens; a piece is at
 * most 16 UTF-16 units, so 128 tokens span at most ~2 KiB unless they include runs of unknown
 * characters (one token each, any length).  Cutting at 64 KiB bounds the tokenizer's memory
 * (~30 bytes per input byte) and changes a vector only when a single unknown run, or the
 * Viterbi look-ahead, reaches that far: never for text plait builds (it cuts nodes first). */
#define EMBED_INPUT_CAP 65536
#define CHUNK_TOKENS 256
#define CHUNK_TEXTS 64
#define MAX_THREADS 256

typedef struct {
    use_weights w;
    use_tokenizer *tok;
    unsigned threads;
    /* One scratch kept between calls: a query's call would otherwise allocate, fault in and
     * free ~1.2 MB of working memory each time.  Taken and returned with atomic exchanges, so
     * concurrent calls stay safe (a call finding it taken makes its own). */
    _Atomic(use_scratch *) spare;
} use_local;

typedef struct {
    use_local *m;
    const char *const *texts;
    size_t n;
    float *out;
    int32_t **ids;
    size_t *lens;        /* clipped to the model's max_len */
    size_t *chunk_start; /* nchunks + 1 text indices */
    size_t nchunks;
    int phase;           /* 0: tokenize, 1: embed */
    atomic_size_t next;
} batch_job;

static void run_tokenize(batch_job *j)
{
    for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->n;) {
        size_t n, len = strlen(j->texts[i]);
        if (len > EMBED_INPUT_CAP) { /* cut on a UTF-8 character boundary */
            len = EMBED_INPUT_CAP;
            for (int back = 0; back < 3 && ((unsigned char)j->texts[i][len] & 0xC0) == 0x80; back++) len--;
        }
        use_tokenize(j->m->tok, j->texts[i], len, &j->ids[i], &n);
        j->lens[i] = n < (size_t)j->m->w.max_len ? n : (size_t)j->m->w.max_len;
    }
}

static void run_embed(batch_job *j)
{
    use_scratch *s = atomic_exchange(&j->m->spare, NULL);
    if (!s) s = xcalloc(1, sizeof *s);
    for (size_t c; (c = atomic_fetch_add(&j->next, 1)) < j->nchunks;) {
        size_t a = j->chunk_start[c], b = j->chunk_start[c + 1];
        use_forward(&j->m->w, (const int32_t *const *)j->ids + a, j->lens + a, b - a, j->out + a * USE_HID, s);
    }
    use_scratch *none = NULL;
    if (!atomic_compare_exchange_strong(&j->m->spare, &none, s)) {
        use_scratch_free(s);
        free(s);
    }
}

static void *worker(void *arg)
{
    batch_job *j = arg;
    if (j->phase == 0)
        run_tokenize(j);
    else
        run_embed(j);
    return NULL;
}

/* Runs the current phase on up to `threads` threads, the caller being one of them.  A thread
 * that cannot be started only means fewer helpers: the caller drains the remaining work. */
static void run_phase(batch_job *j, unsigned threads, size_t items)
{
    atomic_store(&j->next, 0);
    unsigned extra = threads > 1 ? threads - 1 : 0;
    if (extra > items) extra = items ? (unsigned)items - 1 : 0;
    pthread_t tids[MAX_THREADS];
    unsigned started = 0;
    for (; started < extra; started++)
        if (pthread_create(&tids[started], NULL, worker, j) != 0) break;
    worker(j);
    for (unsigned i = 0; i < started; i++) pthread_join(tids[i], NULL);
}

static void plan_chunks(batch_job *j)
{
    j->chunk_start = xmalloc((j->n + 1) * sizeof *j->chunk_start);
    size_t c = 0, tokens = 0, texts = 0;
    j->chunk_start[0] = 0;
    for (size_t i = 0; i < j->n; i++) {
        tokens += j->lens[i];
        texts++;
        if (tokens >= CHUNK_TOKENS || texts >= CHUNK_TEXTS || i + 1 == j->n) {
            j->chunk_start[++c] = i + 1;
            tokens = texts = 0;
        }
    }
    j->nchunks = c;
}

static int local_embed_batch(void *impl, const char *const *texts, size_t n, float *out)
{
    use_local *m = impl;
    batch_job j = {.m = m, .texts = texts, .n = n, .out = out};
    j.ids = xcalloc(n, sizeof *j.ids);
    j.lens = xcalloc(n, sizeof *j.lens);
    j.phase = 0;
    run_phase(&j, m->threads, n);
    plan_chunks(&j);
    j.phase = 1;
    run_phase(&j, m->threads, j.nchunks);
    for (size_t i = 0; i < n; i++) free(j.ids[i]);
    free(j.ids);
    free(j.lens);
    free(j.chunk_start);
    return PLAIT_OK;
}

static int local_tokenize(void *impl, const char *text, size_t len, int32_t **ids, size_t *n)
{
    use_local *m = impl;
    use_tokenize(m->tok, text, len, ids, n);
    return PLAIT_OK;
}

static int local_set_threads(void *impl, unsigned threads)
{
    use_local *m = impl;
    m->threads = threads > MAX_THREADS ? MAX_THREADS : threads;
    return PLAIT_OK;
}

static void local_destroy(void *impl)
{
    use_local *m = impl;
    if (!m) return;
    use_scratch *s = atomic_exchange(&m->spare, NULL);
    if (s) {
        use_scratch_free(s);
        free(s);
    }
    use_weights_free(&m->w);
    use_tokenizer_free(m->tok);
    free(m);
}

static const plait_embedder_vtable local_vt = {
    .kind = "local",
    .embed_batch = local_embed_batch,
    .tokenize = local_tokenize,
    .set_threads = local_set_threads,
    .destroy = local_destroy,
};

static int has_model(const char *dir)
{
    char *p = plait_path_join(dir, "model.json");
    int ok = plait_is_file(p);
    free(p);
    return ok;
}

int plait_embed_default_model_dir(char **out)
{
    const char *env = getenv("PLAIT_MODEL_DIR");
    if (env && *env) { /* an explicit choice is used as given, and fails loudly if wrong */
        *out = xstrdup(env);
        return PLAIT_OK;
    }
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *bindir = plait_path_dirname(exe);
        char *cand = plait_path_join(bindir, "../share/plait/use-lite");
        free(bindir);
        plait_path_normalise(cand);
        if (has_model(cand)) {
            *out = cand;
            return PLAIT_OK;
        }
        free(cand);
    }
    if (has_model(PLAIT_SOURCE_DIR "/third_party/use-lite/dist")) {
        *out = xstrdup(PLAIT_SOURCE_DIR "/third_party/use-lite/dist");
        return PLAIT_OK;
    }
    return plait_error_set(PLAIT_ENOTFOUND,
                           "no USE-lite model found (looked at $PLAIT_MODEL_DIR, <exe>/../share/plait/use-lite and %s); "
                           "run scripts/setup.sh or set PLAIT_MODEL_DIR", PLAIT_SOURCE_DIR "/third_party/use-lite/dist");
}

static int open_from(const char *dir, const plait_embed_local_opts *opts, plait_embedder **out)
{
    use_local *m = xcalloc(1, sizeof *m);
    m->threads = opts && opts->threads ? opts->threads : 1;
    if (m->threads > MAX_THREADS) m->threads = MAX_THREADS;
    int rc = use_tokenizer_load(dir, &m->tok);
    if (rc == PLAIT_OK) rc = use_weights_load(dir, &m->w);
    char id[96];
    use_model_id(id);
    if (rc == PLAIT_OK) rc = plait_embedder_new(&local_vt, m, USE_HID, id, (uint32_t)m->w.max_len, out);
    if (rc != PLAIT_OK) {
        local_destroy(m);
        return rc;
    }
    openblas_set_num_threads(1);
    return PLAIT_OK;
}

int plait_embed_open_local(const char *model_dir, const plait_embed_local_opts *opts, plait_embedder **out)
{
    if (!out) return plait_error_set(PLAIT_EINVALID, "plait_embed_open_local: out is NULL");
    *out = NULL;
    if (model_dir) return open_from(model_dir, opts, out);
    char *dir;
    int rc = plait_embed_default_model_dir(&dir);
    if (rc != PLAIT_OK) return rc;
    rc = open_from(dir, opts, out);
    free(dir);
    return rc;
}
