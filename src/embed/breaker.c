/*
 * breaker.c - the circuit breaker state machine (see breaker.h).
 */
#include "embed/breaker.h"

#include <stdio.h>
#include <string.h>

void plait_breaker_init(plait_breaker *b, uint32_t threshold, uint64_t cooldown_ms)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    b->threshold = threshold;
    b->cooldown_ms = cooldown_ms;
    b->state = PLAIT_BREAKER_CLOSED;
}

void plait_breaker_destroy(plait_breaker *b) { pthread_mutex_destroy(&b->mu); }

/* Caller holds mu. */
static void open_now(plait_breaker *b, int64_t now_ms, int64_t wall_ms)
{
    b->state = PLAIT_BREAKER_OPEN;
    b->opened_mono_ms = now_ms;
    b->opened_wall_ms = wall_ms;
    b->opens++;
    b->gen++;
}

bool plait_breaker_admit(plait_breaker *b, int64_t now_ms, plait_breaker_ticket *t, int64_t *wait_ms)
{
    bool ok = false;
    int64_t wait = 0;
    pthread_mutex_lock(&b->mu);
    switch (b->state) {
    case PLAIT_BREAKER_CLOSED:
        ok = true;
        t->probe = false;
        break;
    case PLAIT_BREAKER_OPEN: {
        int64_t ready = b->opened_mono_ms + (int64_t)b->cooldown_ms;
        if (now_ms >= ready) {
            b->state = PLAIT_BREAKER_HALF_OPEN;
            b->gen++;
            ok = true;
            t->probe = true;
        } else {
            wait = ready - now_ms;
        }
        break;
    }
    case PLAIT_BREAKER_HALF_OPEN:
        break; /* the probe is in flight */
    }
    if (ok)
        t->gen = b->gen;
    else
        b->rejected++;
    pthread_mutex_unlock(&b->mu);
    if (wait_ms) *wait_ms = wait;
    return ok;
}

void plait_breaker_record(plait_breaker *b, const plait_breaker_ticket *t, plait_breaker_outcome o,
                          const char *err, int64_t now_ms, int64_t wall_ms)
{
    pthread_mutex_lock(&b->mu);
    if (o == PLAIT_BREAKER_SUCCESS) {
        b->successes++;
    } else {
        b->failures++;
        if (err) snprintf(b->last_error, sizeof b->last_error, "%s", err);
    }
    /* A call admitted under an older generation saw a different state: its outcome is
     * counted above but moves nothing. */
    if (t->gen == b->gen) {
        if (b->state == PLAIT_BREAKER_HALF_OPEN) {
            if (o == PLAIT_BREAKER_SUCCESS) {
                b->state = PLAIT_BREAKER_CLOSED;
                b->consecutive = 0;
                b->gen++;
            } else {
                b->consecutive++;
                open_now(b, now_ms, wall_ms);
            }
        } else if (b->state == PLAIT_BREAKER_CLOSED) {
            if (o == PLAIT_BREAKER_SUCCESS) {
                b->consecutive = 0;
            } else {
                b->consecutive++;
                if (b->threshold && b->consecutive >= b->threshold) open_now(b, now_ms, wall_ms);
            }
        }
    }
    pthread_mutex_unlock(&b->mu);
}

void plait_breaker_snapshot(plait_breaker *b, int64_t now_ms, plait_embed_http_status *st)
{
    pthread_mutex_lock(&b->mu);
    st->state = b->state;
    st->consecutive_failures = b->consecutive;
    st->threshold = b->threshold;
    st->successes = b->successes;
    st->failures = b->failures;
    st->rejected = b->rejected;
    st->opens = b->opens;
    st->opened_at_ms = b->opens ? b->opened_wall_ms : 0;
    st->probe_in_ms = 0;
    if (b->state == PLAIT_BREAKER_OPEN) {
        int64_t left = b->opened_mono_ms + (int64_t)b->cooldown_ms - now_ms;
        st->probe_in_ms = left > 0 ? left : 0;
    }
    snprintf(st->last_error, sizeof st->last_error, "%s", b->last_error);
    pthread_mutex_unlock(&b->mu);
}

const char *plait_breaker_state_name(plait_breaker_state s)
{
    switch (s) {
    case PLAIT_BREAKER_CLOSED: return "closed";
    case PLAIT_BREAKER_OPEN: return "open";
    case PLAIT_BREAKER_HALF_OPEN: return "half-open";
    }
    return "?";
}
