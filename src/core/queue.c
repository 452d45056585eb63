/* queue.c - ring buffer under one mutex and two condition variables.  Contention is not a
 * concern here: items are whole files, thousands per second at most. */
#include "core/queue.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <stdlib.h>

struct plait_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_full, not_empty;
    void **slots;
    size_t cap, head, len;
    int closed;
};

plait_queue *plait_queue_new(size_t capacity)
{
    plait_queue *q = xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_full, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    q->cap = capacity ? capacity : 1;
    q->slots = xcalloc(q->cap, sizeof *q->slots);
    return q;
}

void plait_queue_free(plait_queue *q)
{
    if (!q) return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    free(q->slots);
    free(q);
}

int plait_queue_push(plait_queue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == q->cap && !q->closed) pthread_cond_wait(&q->not_full, &q->mu);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    q->slots[(q->head + q->len) % q->cap] = item;
    q->len++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void *plait_queue_pop(plait_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == 0 && !q->closed) pthread_cond_wait(&q->not_empty, &q->mu);
    void *item = NULL;
    if (q->len) {
        item = q->slots[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mu);
    return item;
}

void plait_queue_close(plait_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_full);
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

size_t plait_queue_len(plait_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}
