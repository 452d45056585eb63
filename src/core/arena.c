/* arena.c - blocks of 1 MiB (or one block of its own for a larger request), linked newest
 * first.  A request that does not fit in what is left of the current block starts a new one;
 * the tail of the old block is wasted, at most the largest small request (64 KiB). */
#include "core/arena.h"
#include "core/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_BLOCK = 1 << 20, ARENA_BIG = 64 << 10, ARENA_ALIGN = 16 };

struct plait_arena_block {
    plait_arena_block *next;
    max_align_t pad[]; /* the block's memory starts here, aligned */
};

void plait_arena_init(plait_arena *a) { memset(a, 0, sizeof *a); }

static plait_arena_block *new_block(size_t payload) { return xmalloc(sizeof(plait_arena_block) + payload); }

/* n bytes aligned to `align` (a power of two <= 16) */
static void *bump(plait_arena *a, size_t n, size_t align)
{
    if (n > ARENA_BIG) { /* its own block, behind the current one so filling goes on */
        plait_arena_block *b = new_block(n);
        if (a->head) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = NULL;
            a->head = b;
            a->at = a->end = (char *)b->pad + n;
        }
        a->used += n;
        return b->pad;
    }
    uintptr_t at = ((uintptr_t)a->at + align - 1) & ~(uintptr_t)(align - 1);
    if (!a->head || at + n > (uintptr_t)a->end) {
        plait_arena_block *b = new_block(ARENA_BLOCK);
        b->next = a->head;
        a->head = b;
        at = (uintptr_t)b->pad;
        a->end = (char *)b->pad + ARENA_BLOCK;
    }
    a->at = (char *)(at + n);
    a->used += n;
    return (void *)at;
}

void *plait_arena_alloc(plait_arena *a, size_t n) { return bump(a, n ? n : 1, ARENA_ALIGN); }

char *plait_arena_chars(plait_arena *a, size_t n) { return bump(a, n ? n : 1, 1); }

char *plait_arena_strndup(plait_arena *a, const char *s, size_t n)
{
    char *p = bump(a, n + 1, 1); /* strings need no alignment */
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *plait_arena_strdup(plait_arena *a, const char *s) { return plait_arena_strndup(a, s, strlen(s)); }

void plait_arena_free(plait_arena *a)
{
    for (plait_arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    memset(a, 0, sizeof *a);
}
