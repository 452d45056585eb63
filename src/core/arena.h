/*
 * arena.h - a bump allocator for data that lives and dies together.
 *
 * The resolver builds about a million small strings and vectors per run over rust-src and
 * dropped them one free() at a time, which cost a sixth of its time on the writer's thread.
 * An arena hands out memory from large blocks and releases them all at once.
 *
 * Not thread-safe: one owner at a time (the resolver gives each builder thread its own).
 * Memory from an arena is never passed to free(); plait_arena_free releases everything.
 */
#ifndef PLAIT_CORE_ARENA_H
#define PLAIT_CORE_ARENA_H

#include <stddef.h>

typedef struct plait_arena_block plait_arena_block;

typedef struct {
    plait_arena_block *head; /* the block being filled; older blocks follow it */
    char *at, *end;          /* free space left in head */
    size_t used;             /* bytes handed out, for statistics and tests */
} plait_arena;

void plait_arena_init(plait_arena *a);
/* n bytes aligned to 16, valid until plait_arena_free.  Never NULL (out of memory is fatal). */
void *plait_arena_alloc(plait_arena *a, size_t n);
/* n bytes with no alignment (room for strings the caller fills in). */
char *plait_arena_chars(plait_arena *a, size_t n);
/* Copies of s (NUL-terminated) and of s[0..n) plus a NUL, in the arena. */
char *plait_arena_strdup(plait_arena *a, const char *s);
char *plait_arena_strndup(plait_arena *a, const char *s, size_t n);
/* Releases every block; the arena is empty and reusable afterwards. */
void plait_arena_free(plait_arena *a);

#endif
