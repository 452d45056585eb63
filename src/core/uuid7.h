/*
 * uuid7.h - UUIDv7 (RFC 9562) generation, monotonic within the process.
 *
 * Layout: 48-bit Unix milliseconds, version 7, a 12-bit counter in rand_a (RFC 9562 §6.2
 * method 1) and 62 random bits in rand_b.  Within one millisecond the counter increments; if
 * it overflows, or the clock steps back, the timestamp is advanced artificially so every UUID
 * is strictly greater than the previous one.  Thread-safe.
 */
#ifndef PLAIT_CORE_UUID7_H
#define PLAIT_CORE_UUID7_H

#include <stdint.h>

typedef struct { uint8_t b[16]; } plait_uuid;

void plait_uuid7_new(plait_uuid *out);
/* Canonical 8-4-4-4-12 lowercase form; out must hold 37 bytes. */
void plait_uuid_format(const plait_uuid *u, char out[37]);
/* Parses the canonical form; returns 0 on success, -1 if malformed or not version 7. */
int plait_uuid7_parse(const char *s, plait_uuid *out);
/* Milliseconds since the epoch encoded in a UUIDv7. */
uint64_t plait_uuid7_millis(const plait_uuid *u);

#endif
