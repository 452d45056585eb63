/*
 * breaker.h - a circuit breaker for a remote service (internal to src/embed).
 *
 * closed: calls pass; each failed call adds one to a run of consecutive failures, a success
 * ends the run.  When the run reaches the threshold the breaker opens.
 * open: calls are refused at once until the cool-down has passed; the first call after it
 * turns the breaker half-open and is admitted as the probe.
 * half-open: other calls are refused; the probe's success closes the breaker, its failure
 * opens it again (a fresh cool-down).
 *
 * Every admission carries the breaker's generation; a transition bumps it, so the outcome of
 * a call admitted before the breaker opened (a slow request that finishes later) does not
 * move the new state.  Times are passed in (monotonic ms) so tests can drive the clock.
 * All functions are thread-safe.
 */
#ifndef PLAIT_EMBED_BREAKER_H
#define PLAIT_EMBED_BREAKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "plait/embed.h"

typedef struct {
    pthread_mutex_t mu;
    uint32_t threshold; /* 0 = disabled: always closed, still counts */
    uint64_t cooldown_ms;
    plait_breaker_state state;
    uint64_t gen;
    uint32_t consecutive;
    int64_t opened_mono_ms, opened_wall_ms;
    uint64_t successes, failures, rejected, opens;
    char last_error[256];
} plait_breaker;

typedef struct {
    uint64_t gen;
    bool probe; /* this call is the half-open probe */
} plait_breaker_ticket;

typedef enum {
    PLAIT_BREAKER_SUCCESS, /* the service worked */
    PLAIT_BREAKER_FAILURE, /* the service failed (counts toward opening) */
} plait_breaker_outcome;

void plait_breaker_init(plait_breaker *b, uint32_t threshold, uint64_t cooldown_ms);
void plait_breaker_destroy(plait_breaker *b);

/* true: the call may go ahead (*t filled).  false: refused; *wait_ms (if not NULL) is how long
 * until a probe may be admitted (0 while a probe is in flight). */
bool plait_breaker_admit(plait_breaker *b, int64_t now_ms, plait_breaker_ticket *t, int64_t *wait_ms);

/* Reports an admitted call's outcome.  `err` (failures only; may be NULL) becomes last_error.
 * `wall_ms` is the Unix time recorded if this opens the breaker. */
void plait_breaker_record(plait_breaker *b, const plait_breaker_ticket *t, plait_breaker_outcome o,
                          const char *err, int64_t now_ms, int64_t wall_ms);

/* Copies the state into st's breaker fields (state, consecutive_failures, threshold,
 * successes, failures, rejected, opens, opened_at_ms, probe_in_ms, last_error). */
void plait_breaker_snapshot(plait_breaker *b, int64_t now_ms, plait_embed_http_status *st);

#endif
