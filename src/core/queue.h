/*
 * queue.h - a bounded, blocking, multi-producer multi-consumer queue of pointers.
 *
 * The pipeline's stages are joined by these: a full queue blocks its producer, so a slow
 * stage holds the ones before it back instead of letting memory grow.  Closing the queue
 * wakes everyone: pushes fail, pops drain what is left and then return NULL.
 */
#ifndef PLAIT_CORE_QUEUE_H
#define PLAIT_CORE_QUEUE_H

#include <stddef.h>

typedef struct plait_queue plait_queue;

/* Allocates a queue of `capacity` slots; free with plait_queue_free(). */
plait_queue *plait_queue_new(size_t capacity);
void plait_queue_free(plait_queue *q);
/* Blocks while full.  Returns 0, or -1 if the queue is closed (the item was not taken). */
int plait_queue_push(plait_queue *q, void *item);
/* Blocks while empty and open.  Returns the oldest item, or NULL once closed and drained. */
void *plait_queue_pop(plait_queue *q);
void plait_queue_close(plait_queue *q);
size_t plait_queue_len(plait_queue *q);

#endif
