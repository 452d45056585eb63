/* utf8.c - UTF-8 validation (see utf8.h). */
#include "core/utf8.h"

long plait_utf8_sanitize(char *s, size_t n)
{
    long first = -1;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) ok = ((unsigned char)s[i + k] >> 6) == 2;
        if (ok && len == 2) ok = c >= 0xc2;
        if (ok && len == 3) { unsigned char d = (unsigned char)s[i + 1]; ok = !(c == 0xe0 && d < 0xa0) && !(c == 0xed && d >= 0xa0); }
        if (ok && len == 4) { unsigned char d = (unsigned char)s[i + 1]; ok = c <= 0xf4 && !(c == 0xf0 && d < 0x90) && !(c == 0xf4 && d >= 0x90); }
        if (!ok) {
            if (first < 0) first = (long)i;
            s[i++] = '?';
            continue;
        }
        i += len;
    }
    return first;
}

