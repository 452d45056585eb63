/*
 * hash.h - content hashes (BLAKE2b-256 through libsodium) and their hex form.
 * plait_hash_init() must run once before any other call (it initialises libsodium).
 */
#ifndef PLAIT_CORE_HASH_H
#define PLAIT_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define PLAIT_HASH_BYTES 32
#define PLAIT_HASH_HEX (PLAIT_HASH_BYTES * 2 + 1)

typedef struct { uint8_t b[PLAIT_HASH_BYTES]; } plait_hash;

int plait_hash_init(void);
void plait_hash_bytes(plait_hash *out, const void *data, size_t n);
/* Hash of `data` with runs of ASCII whitespace collapsed to one space and the ends trimmed:
 * re-indenting an item does not change its identity as content. */
void plait_hash_normalised(plait_hash *out, const char *data, size_t n);
/* 128-bit keyed-free digest of several NUL-separated parts, as 32 hex chars + NUL. */
void plait_hash_key(char out[33], const char *const *parts, size_t nparts);
void plait_hash_hex(const plait_hash *h, char out[PLAIT_HASH_HEX]);
/* Constant-time equality (libsodium). */
int plait_hash_equal(const plait_hash *a, const plait_hash *b);
void plait_hex(const uint8_t *in, size_t n, char *out);

#endif
