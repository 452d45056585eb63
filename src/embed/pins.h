/*
 * pins.h - the sha256 pins of the USE-lite model files, and reading a file against its pin.
 *
 * The model is data plait executes, so nothing of it is used before its bytes are proven to
 * be the ones plait was built and tested against.  The pins are compiled in (pins.c); the
 * model id handed to callers is derived from them, so a vector's model id names the exact
 * verified files.
 */
#ifndef PLAIT_EMBED_PINS_H
#define PLAIT_EMBED_PINS_H

#include <stddef.h>

typedef struct {
    const char *name;   /* file name inside the model directory */
    const char *sha256; /* lower-case hex */
    size_t size;        /* exact byte size, checked before hashing */
} use_pin;

extern const use_pin use_pins[];
extern const size_t use_pin_count;

/* The pin of `name`, or NULL when the file is not part of the model. */
const use_pin *use_pin_find(const char *name);

/* Reads dir/name into a fresh buffer (caller frees, NUL-terminated) after checking its size
 * and sha256 against the pin.  A mismatch is PLAIT_ECORRUPT, a missing file PLAIT_ENOTFOUND;
 * the message names the file and how to restore it. */
int use_pin_read(const char *dir, const char *name, char **out, size_t *len);

/* "use-lite@sha256:<64 hex>": sha256 over "name sha256\n" of every pin, in order. */
void use_model_id(char out[96]);

#endif
