/* hash.c - BLAKE2b wrappers.  Whitespace normalisation streams through the hash state so
 * no copy of the text is made. */
#include "core/hash.h"
#include "plait/error.h"

#include <sodium.h>
#include <string.h>

int plait_hash_init(void)
{
    if (sodium_init() < 0) return plait_error_set(PLAIT_ERR, "libsodium failed to initialise");
    return PLAIT_OK;
}

void plait_hash_bytes(plait_hash *out, const void *data, size_t n)
{
    crypto_generichash(out->b, sizeof out->b, data, n, NULL, 0);
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

void plait_hash_normalised(plait_hash *out, const char *data, size_t n)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof out->b);
    size_t i = 0;
    while (i < n && is_ws(data[i])) i++;
    while (n > i && is_ws(data[n - 1])) n--;
    size_t run = i;
    while (i < n) {
        if (is_ws(data[i])) {
            crypto_generichash_update(&st, (const unsigned char *)data + run, i - run);
            crypto_generichash_update(&st, (const unsigned char *)" ", 1);
            while (i < n && is_ws(data[i])) i++;
            run = i;
        } else {
            i++;
        }
    }
    crypto_generichash_update(&st, (const unsigned char *)data + run, n - run);
    crypto_generichash_final(&st, out->b, sizeof out->b);
}

void plait_hash_key(char out[33], const char *const *parts, size_t nparts)
{
    crypto_generichash_state st;
    uint8_t d[16];
    crypto_generichash_init(&st, NULL, 0, sizeof d);
    for (size_t i = 0; i < nparts; i++) {
        const char *p = parts[i] ? parts[i] : "";
        crypto_generichash_update(&st, (const unsigned char *)p, strlen(p) + 1); /* incl. NUL */
    }
    crypto_generichash_final(&st, d, sizeof d);
    plait_hex(d, sizeof d, out);
}

void plait_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void plait_hash_hex(const plait_hash *h, char out[PLAIT_HASH_HEX]) { plait_hex(h->b, sizeof h->b, out); }

int plait_hash_equal(const plait_hash *a, const plait_hash *b)
{
    return sodium_memcmp(a->b, b->b, sizeof a->b) == 0;
}
