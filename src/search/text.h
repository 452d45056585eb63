/*
 * text.h - the text embedded for a node.
 *
 *   line 1  kind, the name split into words, then the module path split into words:
 *           "method peek (syn parse parse buffer)"
 *   line 2  the signature, whitespace collapsed
 *   line 3  the doc comment, whitespace collapsed, at most a third of the budget
 *   line 4  functions, methods and macros: the start of the body, whitespace collapsed
 *
 * The whole text is cut to `max_bytes` on a UTF-8 boundary, preferably at a space.  The
 * budget comes from the model's token limit (plait_text_budget), so bytes the model would
 * never read are not part of the text or of its hash.
 */
#ifndef PLAIT_SEARCH_TEXT_H
#define PLAIT_SEARCH_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

/* Bumped whenever the text built for a node changes, so cached vectors are not reused. */
#define PLAIT_TEXT_VERSION "text-1"

typedef struct {
    const char *kind, *name, *path, *signature, *doc; /* any may be NULL */
    const char *source;  /* the item's source bytes (byte_start..byte_end), or NULL */
    size_t source_len;
} plait_text_node;

/* Bytes of text for a model reading `max_tokens` tokens (0 = unknown: 512 tokens). */
size_t plait_text_budget(uint32_t max_tokens);

/* The text for `n`, at most max_bytes long; a fresh string the caller frees. */
char *plait_text_build(const plait_text_node *n, size_t max_bytes);

/* The cache key of a text: BLAKE2b-256 of PLAIT_TEXT_VERSION, a NUL and the text. */
void plait_text_hash(const char *text, plait_hash *out);

/* Kinds that get a vector (every kind but `use` and `impl`: an impl's methods carry its
 * meaning, and imports would only echo what they import).  SQL form for WHERE clauses. */
int plait_text_kind_embedded(const char *kind);
#define PLAIT_TEXT_KIND_SQL "kind NOT IN ('use', 'impl')"

#endif
