/*
 * bench_pilot.c - the concurrency pilot (issue 2, item 10): which structure should the
 * indexing workers use for a shared string map?  Contenders (pilot.h): "private" (what plait
 * does today: a plait_strmap per worker, merged after join), "striped" (mutex stripes),
 * "lfht-memb" and "lfht-qsbr" (liburcu's cds_lfht under two RCU flavours).
 *
 * Workload: a string interner fed with what an indexer of Rust code would intern, taken
 * from real sources (default: every .rs file under /usr/src/rustc-1.63.0/library, sorted by
 * path).  A small tokenizer in this file skips comments, string, raw-string, byte and char
 * literals and numbers, and emits, in source order:
 *   - every identifier (keywords included: a symbol table sees them as tokens too),
 *   - every lifetime ('a),
 *   - every path expression of two or more segments (core::fmt::Result, Self::new),
 *   - for each item name after fn/struct/enum/union/trait/type/const/static/mod/macro_rules!,
 *     a canonical-path-like string: <crate>::<module path from the file path>::<name>.
 * Each emitted string is one lookup-or-insert; the hit ratio is whatever the code gives.
 * Workers claim whole files from a shared counter (as plait's workers do).
 *
 * One process measures one contender at one thread count (see usage()) and prints one
 * key=value line per timed run.  The timed span is create + workers + finish (the merge, for
 * "private").  The map's memory (map_peak_kb) is VmHWM, reset through clear_refs just before
 * the first run, minus VmRSS at that point (corpus + reference, after malloc_trim);
 * proc_peak_kb is the whole process.
 *
 * Checks (any failure prints FAIL and exits 3): after every run, the map's final set, sorted,
 * equals the reference set built single-threaded from the same ops, and ids are unique; an
 * first run (skipped with --no-verify; timed only as cold_ops_per_s) records every op's id and
 * checks that each op got the final id of its own string.  Each line carries a digest of the final set so the driver
 * script can compare contenders across processes.
 */
#include "pilot.h"

#include "core/strmap.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <malloc.h>
#include <time.h>

#define DEFAULT_CORPUS "/usr/src/rustc-1.63.0/library"

unsigned long pilot_lfht_init = 1024;

void *pilot_aligned_calloc(size_t n, size_t size)
{
    size_t bytes = n * size;
    bytes = (bytes + PILOT_LINE - 1) / PILOT_LINE * PILOT_LINE;
    void *p = aligned_alloc(PILOT_LINE, bytes ? bytes : PILOT_LINE);
    if (!p) {
        fprintf(stderr, "bench_pilot: out of memory\n");
        exit(70);
    }
    memset(p, 0, bytes);
    return p;
}

static void fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "FAIL: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    exit(3);
}

/* ------------------------------------------------------------------ corpus */

typedef struct {
    char *arena; /* every op's string, NUL-terminated, in op order */
    size_t alen, acap;
    uint32_t *off; /* op -> offset in arena */
    size_t nops, opcap;
    PLAIT_VEC(size_t) first; /* file f's ops are [first[f], first[f+1]) */
    size_t nfiles, bytes;
    size_t n_ident, n_life, n_path, n_canon;
    size_t max_ops;
} corpus;

static int emit(corpus *c, const char *s, size_t n)
{
    if (c->max_ops && c->nops >= c->max_ops) return 0;
    if (c->alen + n + 1 > c->acap) {
        while (c->alen + n + 1 > c->acap) c->acap = c->acap ? c->acap * 2 : 1 << 20;
        c->arena = xrealloc(c->arena, c->acap);
    }
    if (c->nops == c->opcap) {
        c->opcap = c->opcap ? c->opcap * 2 : 1 << 16;
        c->off = xrealloc(c->off, c->opcap * sizeof *c->off);
    }
    c->off[c->nops++] = (uint32_t)c->alen;
    memcpy(c->arena + c->alen, s, n);
    c->arena[c->alen + n] = 0;
    c->alen += n + 1;
    return 1;
}

static int id0(int ch) { return isalpha(ch) || ch == '_'; }
static int idc(int ch) { return isalnum(ch) || ch == '_'; }

static size_t skip_string(const char *s, size_t n, size_t i) /* i: after the opening quote */
{
    while (i < n) {
        if (s[i] == '\\') i += 2;
        else if (s[i++] == '"') return i;
    }
    return n;
}

static size_t skip_raw(const char *s, size_t n, size_t i, size_t hashes)
{
    for (; i < n; i++) {
        if (s[i] != '"') continue;
        size_t k = 0;
        while (k < hashes && i + 1 + k < n && s[i + 1 + k] == '#') k++;
        if (k == hashes) return i + 1 + k;
    }
    return n;
}

static size_t utf8_len(unsigned char b)
{
    return b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

/* At a quote: a char literal (skipped) or a lifetime (emitted).  Returns the next index. */
static size_t quote(corpus *c, const char *s, size_t n, size_t i)
{
    if (i + 1 < n && s[i + 1] == '\\') {
        size_t j = i + 3;
        while (j < n && s[j] != '\'' && s[j] != '\n') j++;
        return j < n ? j + 1 : n;
    }
    if (i + 1 < n) {
        size_t l = utf8_len((unsigned char)s[i + 1]);
        if (i + 1 + l < n && s[i + 1 + l] == '\'') return i + 2 + l;
    }
    if (i + 1 < n && id0((unsigned char)s[i + 1])) {
        size_t j = i + 1;
        while (j < n && idc((unsigned char)s[j])) j++;
        if (emit(c, s + i, j - i)) c->n_life++;
        return j;
    }
    return i + 1;
}

static int word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(s, w, len) == 0;
}

static int item_keyword(const char *s, size_t len)
{
    static const char *kw[] = {"fn",    "struct", "enum", "union", "trait",      "type",
                               "const", "static", "mod",  "macro_rules", NULL};
    for (int k = 0; kw[k]; k++)
        if (word_is(s, len, kw[k])) return 1;
    return 0;
}

static int modifier(const char *s, size_t len)
{
    static const char *kw[] = {"unsafe", "extern", "async", "mut", "ref", "dyn",
                               "impl",   "pub",    "crate", "_",   NULL};
    for (int k = 0; kw[k]; k++)
        if (word_is(s, len, kw[k])) return 1;
    return 0;
}

typedef struct {
    char buf[4096];
    size_t len;
} textbuf;

static void tb_add(textbuf *b, const char *s, size_t n)
{
    if (b->len + n >= sizeof b->buf) n = sizeof b->buf - 1 - b->len;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = 0;
}

static void tokenize(corpus *c, const char *s, size_t n, const char *modpath)
{
    textbuf path = {.len = 0}, canon;
    int pending_item = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '/' && i + 1 < n && s[i + 1] == '/') {
            while (i < n && s[i] != '\n') i++;
        } else if (ch == '/' && i + 1 < n && s[i + 1] == '*') {
            int depth = 1;
            for (i += 2; i < n && depth;) {
                if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') depth++, i += 2;
                else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') depth--, i += 2;
                else i++;
            }
        } else if (ch == '"') {
            i = skip_string(s, n, i + 1);
        } else if (ch == '\'') {
            i = quote(c, s, n, i);
        } else if (isdigit(ch)) {
            while (i < n && idc((unsigned char)s[i])) i++;
        } else if (id0(ch)) {
            size_t b = i;
            while (i < n && idc((unsigned char)s[i])) i++;
            size_t len = i - b;
            int is_b = word_is(s + b, len, "b"), is_r = word_is(s + b, len, "r"),
                is_br = word_is(s + b, len, "br");
            if (i < n && is_b && s[i] == '"') {
                i = skip_string(s, n, i + 1);
                continue;
            }
            if (i < n && is_b && s[i] == '\'') {
                i = quote(c, s, n, i); /* b'x': the same shapes as a char literal */
                continue;
            }
            if (i < n && (is_r || is_br) && (s[i] == '"' || s[i] == '#')) {
                size_t j = i, h = 0;
                while (j < n && s[j] == '#') j++, h++;
                if (j < n && s[j] == '"') {
                    i = skip_raw(s, n, j + 1, h);
                    continue;
                }
                if (is_r && h == 1 && j < n && id0((unsigned char)s[j])) { /* r#ident */
                    b = j;
                    for (i = j; i < n && idc((unsigned char)s[i]);) i++;
                    len = i - b;
                }
            }
            if (!emit(c, s + b, len)) return;
            c->n_ident++;
            if (pending_item) {
                if (word_is(s + b, len, "mut")) {
                    /* static mut NAME: keep waiting */
                } else {
                    pending_item = 0;
                    if (!item_keyword(s + b, len) && !modifier(s + b, len)) {
                        canon.len = 0;
                        tb_add(&canon, modpath, strlen(modpath));
                        tb_add(&canon, "::", 2);
                        tb_add(&canon, s + b, len);
                        if (!emit(c, canon.buf, canon.len)) return;
                        c->n_canon++;
                    }
                }
            }
            if (item_keyword(s + b, len)) {
                size_t j = i;
                if (word_is(s + b, len, "macro_rules") && j < n && s[j] == '!') j++;
                while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) j++;
                if (j < n && id0((unsigned char)s[j])) pending_item = 1;
            }
            /* path expressions: a::b::c (a turbofish or a space breaks the chain) */
            if (i + 2 < n && s[i] == ':' && s[i + 1] == ':' && id0((unsigned char)s[i + 2])) {
                tb_add(&path, s + b, len);
                tb_add(&path, "::", 2);
                i += 2;
            } else if (path.len) {
                tb_add(&path, s + b, len);
                if (!emit(c, path.buf, path.len)) return;
                c->n_path++;
                path.len = 0;
            }
        } else {
            i++;
        }
    }
}

/* library/<crate>/src/a/b.rs -> crate::a::b (mod.rs, lib.rs, main.rs name their directory);
 * nested crates (portable-simd/crates/core_simd/src/...) take the directory before src/. */
static char *module_path(const char *rel)
{
    char *tmp = xstrdup(rel);
    char *parts[256];
    int np = 0;
    for (char *save = NULL, *p = strtok_r(tmp, "/", &save); p && np < 256; p = strtok_r(NULL, "/", &save))
        parts[np++] = p;
    char *last = parts[np - 1];
    size_t ll = strlen(last);
    if (ll > 3 && !strcmp(last + ll - 3, ".rs")) last[ll - 3] = 0;
    int src = -1;
    for (int k = np - 2; k >= 1; k--)
        if (!strcmp(parts[k], "src")) {
            src = k;
            break;
        }
    int start = src > 0 ? src + 1 : 1;
    const char *crate = src > 0 ? parts[src - 1] : parts[0];
    textbuf out = {.len = 0};
    tb_add(&out, crate, strlen(crate));
    for (char *q = out.buf; *q; q++)
        if (*q == '-') *q = '_';
    for (int k = start; k < np; k++) {
        if (k == np - 1 && (!strcmp(parts[k], "mod") || !strcmp(parts[k], "lib") || !strcmp(parts[k], "main")))
            break;
        tb_add(&out, "::", 2);
        tb_add(&out, parts[k], strlen(parts[k]));
    }
    free(tmp);
    return xstrdup(out.buf);
}

typedef PLAIT_VEC(char *) strvec;

static void walk(const char *dir, strvec *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_pilot: cannot open %s: %s\n", dir, strerror(errno));
        exit(2);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0) {
            free(p);
            continue;
        }
        size_t l = strlen(p);
        if (S_ISDIR(st.st_mode)) {
            walk(p, out);
            free(p);
        } else if (S_ISREG(st.st_mode) && l > 3 && !strcmp(p + l - 3, ".rs")) {
            PLAIT_VEC_PUSH(out, p);
        } else {
            free(p);
        }
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void load_corpus(corpus *c, const char *root)
{
    if (c->max_ops && c->nops >= c->max_ops) return;
    strvec files = {0};
    walk(root, &files);
    if (!files.len) {
        fprintf(stderr, "bench_pilot: no .rs files under %s\n", root);
        exit(2);
    }
    qsort(files.items, files.len, sizeof *files.items, cmp_str);
    size_t rootlen = strlen(root);
    for (size_t f = 0; f < files.len; f++) {
        FILE *fp = fopen(files.items[f], "rb");
        if (!fp) continue;
        struct stat st;
        if (fstat(fileno(fp), &st) != 0) {
            fclose(fp);
            continue;
        }
        char *buf = xmalloc((size_t)st.st_size + 1);
        size_t got = fread(buf, 1, (size_t)st.st_size, fp);
        fclose(fp);
        char *mp = module_path(files.items[f] + rootlen + 1);
        PLAIT_VEC_PUSH(&c->first, c->nops);
        tokenize(c, buf, got, mp);
        c->nfiles++;
        c->bytes += got;
        free(mp);
        free(buf);
        if (c->max_ops && c->nops >= c->max_ops) break;
    }
    for (size_t f = 0; f < files.len; f++) free(files.items[f]);
    PLAIT_VEC_FREE(&files);
}

/* ------------------------------------------------------------------ reference set */

typedef struct {
    const char **keys; /* sorted distinct strings (pointing into the corpus arena) */
    size_t n;
    uint64_t digest;
} refset;

static uint64_t digest_sorted(const char *const *keys, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        for (const unsigned char *p = (const unsigned char *)keys[i];; p++) {
            h = (h ^ *p) * 1099511628211ull;
            if (!*p) break;
        }
    return h;
}

static void build_reference(const corpus *c, refset *r)
{
    plait_strmap m;
    plait_strmap_init(&m);
    for (size_t i = 0; i < c->nops; i++) {
        const char *s = c->arena + c->off[i];
        if (!plait_strmap_get(&m, s)) plait_strmap_put(&m, s, (void *)s);
    }
    r->keys = xmalloc((m.len + 1) * sizeof *r->keys);
    r->n = 0;
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(&m, &pos, NULL, &v)) r->keys[r->n++] = v;
    plait_strmap_free(&m);
    qsort(r->keys, r->n, sizeof *r->keys, cmp_str);
    r->digest = digest_sorted(r->keys, r->n);
}

/* ------------------------------------------------------------------ measurement */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, fl) && line[fl] == ':') {
            v = strtol(line + fl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int reset_hwm(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return 0;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

typedef struct {
    const pilot_impl *impl;
    void *m;
    int tid;
    const corpus *c;
    atomic_size_t *next_file;
    uint32_t *rec_id; /* the verifying run only */
    uint8_t *rec_tid;
    uint64_t sink;
} worker;

typedef union {
    worker w;
    char pad[PILOT_LINE];
} worker_slot;

static void *work(void *arg)
{
    worker *w = arg;
    const corpus *c = w->c;
    const pilot_impl *impl = w->impl;
    uint64_t sink = 0;
    impl->thread_begin(w->m, w->tid);
    for (;;) {
        size_t f = atomic_fetch_add_explicit(w->next_file, 1, memory_order_relaxed);
        if (f >= c->nfiles) break;
        for (size_t i = c->first.items[f]; i < c->first.items[f + 1]; i++) {
            uint32_t id = impl->intern(w->m, w->tid, c->arena + c->off[i]);
            sink += id;
            if (w->rec_id) {
                w->rec_id[i] = id;
                w->rec_tid[i] = (uint8_t)w->tid;
            }
        }
        impl->file_done(w->m, w->tid);
    }
    impl->thread_end(w->m, w->tid);
    w->sink = sink;
    return NULL;
}

typedef struct {
    const char *k;
    uint32_t id;
} kv;

static int cmp_kv(const void *a, const void *b) { return strcmp(((const kv *)a)->k, ((const kv *)b)->k); }
static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The final set must equal the reference; ids must be unique; with recorded ids, every op
 * must have received its own string's final id. */
static uint64_t check(const pilot_impl *impl, void *m, const corpus *c, const refset *ref,
                      const uint32_t *rec_id, const uint8_t *rec_tid)
{
    const char **keys;
    uint32_t *ids;
    size_t n = impl->collect(m, &keys, &ids);
    char a[64], b[64];
    if (n != ref->n) {
        snprintf(a, sizeof a, "%zu", n);
        snprintf(b, sizeof b, "%zu", ref->n);
        fail("final set has %s strings, the reference has %s", a, b);
    }
    kv *pairs = xmalloc((n + 1) * sizeof *pairs);
    for (size_t i = 0; i < n; i++) pairs[i] = (kv){keys[i], ids[i]};
    qsort(pairs, n, sizeof *pairs, cmp_kv);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pairs[i].k, ref->keys[i]) != 0) fail("final set differs: has \"%s\" where the reference has \"%s\"", pairs[i].k, ref->keys[i]);
        keys[i] = pairs[i].k;
    }
    uint64_t dg = digest_sorted(keys, n);
    qsort(ids, n, sizeof *ids, cmp_u32);
    for (size_t i = 1; i < n; i++)
        if (ids[i] == ids[i - 1]) fail("two strings share one id%s%s", "", "");
    if (rec_id) {
        plait_strmap byk;
        plait_strmap_init(&byk);
        for (size_t i = 0; i < n; i++) plait_strmap_put(&byk, pairs[i].k, (void *)(uintptr_t)((uint64_t)pairs[i].id + 1));
        for (size_t i = 0; i < c->nops; i++) {
            const char *s = c->arena + c->off[i];
            uint32_t got = impl->global_id(m, rec_tid[i], rec_id[i]);
            uintptr_t want = (uintptr_t)plait_strmap_get(&byk, s);
            if (!want || got != (uint32_t)(want - 1)) fail("an op on \"%s\" got another string's id%s", s, "");
        }
        plait_strmap_free(&byk);
    }
    free(pairs);
    free(keys);
    free(ids);
    return dg;
}

typedef struct {
    double secs, finish_secs, cpu_secs;
    long base_kb, peak_kb;
    uint64_t digest;
} result;

static result run_once(const pilot_impl *impl, int nthreads, const corpus *c, const refset *ref, int record)
{
    result r = {0};
    uint32_t *rec_id = NULL;
    uint8_t *rec_tid = NULL;
    if (record) { /* touched now so that they count in the baseline, not in the map's peak */
        rec_id = xmalloc((c->nops + 1) * sizeof *rec_id);
        rec_tid = xmalloc(c->nops + 1);
        memset(rec_id, 0xff, (c->nops + 1) * sizeof *rec_id);
        memset(rec_tid, 0xff, c->nops + 1);
    }
    atomic_size_t next_file;
    atomic_init(&next_file, 0);
    worker_slot *w = pilot_aligned_calloc((size_t)nthreads, sizeof *w);
    pthread_t th[64];

    malloc_trim(0); /* hand freed heap back so the baseline is what is live */
    r.base_kb = status_kb("VmRSS");
    int hwm_ok = reset_hwm();
    double c0 = cpu_seconds(), t0 = now();
    void *m = impl->create(nthreads);
    for (int t = 0; t < nthreads; t++) {
        worker *wt = &w[t].w;
        *wt = (worker){.impl = impl, .m = m, .tid = t, .c = c, .next_file = &next_file,
                       .rec_id = rec_id, .rec_tid = rec_tid};
        if (pthread_create(&th[t], NULL, work, wt) != 0) {
            fprintf(stderr, "bench_pilot: pthread_create failed\n");
            exit(2);
        }
    }
    for (int t = 0; t < nthreads; t++) pthread_join(th[t], NULL);
    double tf = now();
    impl->finish(m);
    double t1 = now(), c1 = cpu_seconds();
    r.peak_kb = hwm_ok ? status_kb("VmHWM") : -1;
    r.secs = t1 - t0;
    r.finish_secs = t1 - tf;
    r.cpu_secs = c1 - c0;
    r.digest = check(impl, m, c, ref, rec_id, rec_tid);
    impl->destroy(m);
    free(w);
    free(rec_id);
    free(rec_tid);
    return r;
}

/* ------------------------------------------------------------------ main */

static const pilot_impl *const impls[] = {&pilot_private, &pilot_striped, &pilot_lfht_memb, &pilot_lfht_qsbr};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_pilot --map NAME --threads N [--runs R] [--no-verify] [--corpus DIR]...\n"
            "                   [--max-ops N] [--lfht-init BUCKETS]\n"
            "       bench_pilot --list\n"
            "NAME: private | striped | lfht-memb | lfht-qsbr.  Prints one key=value line per timed run.\n"
            "--corpus may repeat (default " DEFAULT_CORPUS "); --max-ops stops reading after N ops;\n"
            "--lfht-init is cds_lfht's initial bucket count (power of two, default 1024).\n");
}

int main(int argc, char **argv)
{
    const char *map = NULL, *roots[8];
    int nroots = 0, nthreads = 1, runs = 1, verify = 1;
    size_t max_ops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--map") && more) map = argv[++i];
        else if (!strcmp(a, "--threads") && more) nthreads = atoi(argv[++i]);
        else if (!strcmp(a, "--runs") && more) runs = atoi(argv[++i]);
        else if (!strcmp(a, "--corpus") && more && nroots < 8) roots[nroots++] = argv[++i];
        else if (!strcmp(a, "--lfht-init") && more) pilot_lfht_init = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--max-ops") && more) max_ops = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--no-verify")) verify = 0;
        else if (!strcmp(a, "--list")) {
            for (size_t k = 0; k < sizeof impls / sizeof *impls; k++) printf("%-10s %s\n", impls[k]->name, impls[k]->what);
            return 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    const pilot_impl *impl = NULL;
    for (size_t k = 0; map && k < sizeof impls / sizeof *impls; k++)
        if (!strcmp(impls[k]->name, map)) impl = impls[k];
    if (!nroots) roots[nroots++] = DEFAULT_CORPUS;
    if (!impl || nthreads < 1 || nthreads > 16 || runs < 1 || pilot_lfht_init < 1 ||
        (pilot_lfht_init & (pilot_lfht_init - 1))) {
        usage(stderr);
        return 2;
    }

    corpus c = {.max_ops = max_ops};
    double l0 = now();
    for (int k = 0; k < nroots; k++) load_corpus(&c, roots[k]);
    PLAIT_VEC_PUSH(&c.first, c.nops);
    refset ref;
    build_reference(&c, &ref);
    double load = now() - l0;

    /* First pass, in a fresh heap: records and checks every op's id, and gives the memory
     * figure (peak RSS above the baseline of corpus + reference) and a cold-heap timing.
     * The timed runs that follow reuse a warm heap, so they measure the map rather than the
     * kernel handing out fresh pages. */
    result cold = {0};
    if (verify) cold = run_once(impl, nthreads, &c, &ref, 1);
    for (int r = 0; r < runs; r++) {
        result res = run_once(impl, nthreads, &c, &ref, 0);
        if (res.digest != ref.digest || (verify && cold.digest != ref.digest)) fail("digest mismatch%s%s", "", "");
        const result *mem = verify ? &cold : &res;
        printf("map=%s threads=%d run=%d files=%zu mb=%.1f ops=%zu idents=%zu lifetimes=%zu paths=%zu "
               "canon=%zu lfht_init=%lu distinct=%zu hit=%.4f secs=%.4f ops_per_s=%.0f ops_per_cpu_s=%.0f "
               "finish_s=%.4f cpu_s=%.4f cold_ops_per_s=%.0f map_peak_kb=%ld base_rss_kb=%ld "
               "proc_peak_kb=%ld digest=%016" PRIx64 " verified=%s load_s=%.2f check=ok\n",
               impl->name, nthreads, r + 1, c.nfiles, c.bytes / 1e6, c.nops, c.n_ident, c.n_life, c.n_path,
               c.n_canon, pilot_lfht_init, ref.n, 1.0 - (double)ref.n / (double)c.nops, res.secs,
               (double)c.nops / res.secs, (double)c.nops / res.cpu_secs, res.finish_secs, res.cpu_secs,
               verify ? (double)c.nops / cold.secs : 0.0, mem->peak_kb >= 0 ? mem->peak_kb - mem->base_kb : -1,
               mem->base_kb, max_rss_kb(), res.digest, verify ? "yes" : "no", load);
        fflush(stdout);
    }
    free(ref.keys);
    free(c.arena);
    free(c.off);
    PLAIT_VEC_FREE(&c.first);
    return 0;
}
