/* uuid7.c - see uuid7.h for the layout and the monotonicity rule. */
#include "core/uuid7.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static uint32_t counter; /* 12 bits used */

void plait_uuid7_new(plait_uuid *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;

    pthread_mutex_lock(&lock);
    if (now > last_ms) {
        last_ms = now;
        counter = 0;
    } else if (++counter > 0xfff) { /* same or earlier ms: count, then borrow from the future */
        last_ms++;
        counter = 0;
    }
    uint64_t ms = last_ms;
    uint32_t c = counter;
    pthread_mutex_unlock(&lock);

    /* random bits come from a per-thread buffer: one getrandom call per 512 UUIDs, not each */
    static _Thread_local uint8_t pool[4096];
    static _Thread_local size_t pool_pos = sizeof pool;
    if (pool_pos + 8 > sizeof pool) {
        randombytes_buf(pool, sizeof pool);
        pool_pos = 0;
    }
    memcpy(out->b + 8, pool + pool_pos, 8);
    pool_pos += 8;
    for (int i = 0; i < 6; i++) out->b[i] = (uint8_t)(ms >> (40 - 8 * i));
    out->b[6] = (uint8_t)(0x70 | ((c >> 8) & 0x0f));
    out->b[7] = (uint8_t)(c & 0xff);
    out->b[8] = (uint8_t)(0x80 | (out->b[8] & 0x3f)); /* RFC 9562 variant */
}

void plait_uuid_format(const plait_uuid *u, char out[37])
{
    const uint8_t *b = u->b;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int plait_uuid7_parse(const char *s, plait_uuid *out)
{
    if (!s || strlen(s) != 36) return -1;
    int j = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return -1;
            continue;
        }
        int h = hexval(s[i]), l = hexval(s[i + 1]);
        if (h < 0 || l < 0) return -1;
        out->b[j++] = (uint8_t)(h << 4 | l);
        i++;
    }
    if ((out->b[6] >> 4) != 7 || (out->b[8] >> 6) != 2) return -1;
    return 0;
}

uint64_t plait_uuid7_millis(const plait_uuid *u)
{
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++) ms = ms << 8 | u->b[i];
    return ms;
}
