/*
 * pilot.h - the interface every contender of the concurrency pilot implements.
 *
 * A contender is a string interner: intern(s) returns a 32-bit symbol id, the same id for
 * equal strings and different ids for different strings.  Workers call intern() from their
 * own thread (tid 0..nthreads-1); ids returned before finish() may be thread-local (the
 * private-map contender), global_id() turns them into final ids once finish() has run.
 *
 * The driver (bench_pilot.c) times create + all worker calls + finish; collect() and
 * destroy() are untimed and exist to check the result and to free.
 */
#ifndef PLAIT_BENCH_PILOT_H
#define PLAIT_BENCH_PILOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    const char *what; /* one line for the report */
    void *(*create)(int nthreads);
    void (*thread_begin)(void *m, int tid);
    uint32_t (*intern)(void *m, int tid, const char *s);
    void (*file_done)(void *m, int tid); /* between files: a natural quiescent point */
    void (*thread_end)(void *m, int tid);
    void (*finish)(void *m); /* after all workers joined; timed (the merge lives here) */
    uint32_t (*global_id)(void *m, int tid, uint32_t id);
    /* The final set: *keys and *ids are fresh arrays (caller frees the arrays, not the
     * strings, which stay owned by the map until destroy()). */
    size_t (*collect)(void *m, const char ***keys, uint32_t **ids);
    void (*destroy)(void *m);
} pilot_impl;

extern const pilot_impl pilot_private;
extern const pilot_impl pilot_striped;
extern const pilot_impl pilot_lfht_memb;
extern const pilot_impl pilot_lfht_qsbr;

/* Per-thread slots are padded to this so two workers never write the same cache line. */
#define PILOT_LINE 128
void *pilot_aligned_calloc(size_t n, size_t size);
/* cds_lfht's initial (and minimum) bucket count; --lfht-init. */
extern unsigned long pilot_lfht_init;

#endif
