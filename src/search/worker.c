/* worker.c - one helper thread per searcher that may take a task off the calling thread
 * (see search_internal.h).
 *
 * A hybrid query has two independent parts, the query's embedding (~4 ms of CPU) and the
 * lexical search (~1-2 ms).  Run on two threads they overlap; but on a loaded machine a
 * thread made per query waits to be scheduled, and joining it cost more than the overlap
 * saved (hybrid p50 11.8 vs 10.4 ms sequential at load 8).  So the helper thread lives as
 * long as the searcher, and a task offered to it is run by whichever thread gets to it first:
 * the caller, once done with its own part, takes the task back if the helper has not started
 * it, and waits only for a task already running. */
#include "search/search_internal.h"

#include <pthread.h>
#include <stdlib.h>

enum { IDLE, OFFERED, RUNNING, DONE };

struct plait_search_worker {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state, quit;
    void (*fn)(void *);
    void *arg;
};

static void *worker_main(void *p)
{
    plait_search_worker *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->state != OFFERED && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
        if (w->quit) break;
        w->state = RUNNING;
        pthread_mutex_unlock(&w->mu);
        w->fn(w->arg);
        pthread_mutex_lock(&w->mu);
        w->state = DONE;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

plait_search_worker *plait_search_worker_new(void)
{
    plait_search_worker *w = xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void plait_search_worker_free(plait_search_worker *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void plait_search_worker_offer(plait_search_worker *w, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&w->mu);
    w->fn = fn;
    w->arg = arg;
    w->state = OFFERED;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int plait_search_worker_finish(plait_search_worker *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->state == OFFERED) { /* not started: run it here rather than wait for the helper */
        w->state = IDLE;
        pthread_mutex_unlock(&w->mu);
        w->fn(w->arg);
        return 0;
    }
    while (w->state == RUNNING) pthread_cond_wait(&w->cv, &w->mu);
    w->state = IDLE;
    pthread_mutex_unlock(&w->mu);
    return 1;
}
