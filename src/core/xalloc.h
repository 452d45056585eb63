/*
 * xalloc.h - allocation helpers and a growable array.
 *
 * plait treats out-of-memory as fatal (the process prints a message and exits 70): every
 * caller of malloc would otherwise need a recovery path that can never be tested.  Arrays
 * grow by doubling through PLAIT_VEC_PUSH; the owner frees `items` when done.
 */
#ifndef PLAIT_CORE_XALLOC_H
#define PLAIT_CORE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define PLAIT_VEC(T) struct { T *items; size_t len, cap; }
#define PLAIT_VEC_GROW(v, need)                                                        \
    do {                                                                               \
        if ((need) > (v)->cap) {                                                       \
            size_t nc_ = (v)->cap ? (v)->cap * 2 : 8;                                  \
            while (nc_ < (need)) nc_ *= 2;                                             \
            (v)->items = xrealloc((v)->items, nc_ * sizeof *(v)->items);               \
            (v)->cap = nc_;                                                            \
        }                                                                              \
    } while (0)
#define PLAIT_VEC_PUSH(v, x)                                                           \
    do {                                                                               \
        PLAIT_VEC_GROW(v, (v)->len + 1);                                               \
        (v)->items[(v)->len++] = (x);                                                  \
    } while (0)
#define PLAIT_VEC_FREE(v)                                                              \
    do {                                                                               \
        free((v)->items);                                                              \
        (v)->items = NULL;                                                             \
        (v)->len = (v)->cap = 0;                                                       \
    } while (0)

#endif
