/* glob.c - a backtracking glob matcher, used for .gitignore rules, Cargo workspace member
 * globs and `plait find` patterns.  Recursion depth is bounded by the number of `*` in the
 * pattern, which is short and written by a person. */
#include "discover/glob.h"

#include <string.h>

static int class_match(const char **pp, char c)
{
    const char *p = *pp + 1;
    int neg = (*p == '!' || *p == '^');
    if (neg) p++;
    int ok = 0, first = 1;
    while (*p && (*p != ']' || first)) {
        first = 0;
        char lo = *p, hi = *p;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            hi = p[2];
            p += 2;
        }
        if (c >= lo && c <= hi) ok = 1;
        p++;
    }
    if (*p != ']') return -1; /* unterminated: treat '[' literally */
    *pp = p + 1;
    return ok != neg;
}

static int match(const char *p, const char *t, int pathname, int depth)
{
    if (depth > 64) return 0;
    while (*p) {
        if (p[0] == '*' && p[1] == '*' && pathname) {
            const char *q = p + 2;
            int seg = (q[0] == '/' || q[0] == '\0');
            if (seg) {
                if (*q == '/') q++;
                if (!*q) return 1; /* trailing `**` matches everything below */
                for (const char *s = t;; s++) { /* a double star segment matches zero or more directories */
                    if ((s == t || s[-1] == '/') && match(q, s, pathname, depth + 1)) return 1;
                    if (!*s) return 0;
                }
            }
        }
        if (*p == '*') {
            while (*p == '*') p++;
            for (const char *s = t;; s++) {
                if (match(p, s, pathname, depth + 1)) return 1;
                if (!*s || (pathname && *s == '/')) return 0;
            }
        }
        if (!*t) return 0;
        if (*p == '?') {
            if (pathname && *t == '/') return 0;
            p++, t++;
            continue;
        }
        if (*p == '[') {
            const char *q = p;
            int r = class_match(&q, *t);
            if (r >= 0) {
                if (!r || (pathname && *t == '/')) return 0;
                p = q, t++;
                continue;
            }
        }
        if (*p == '\\' && p[1]) p++;
        if (*p != *t) return 0;
        p++, t++;
    }
    return *t == '\0';
}

int plait_glob_match(const char *pattern, const char *text, int pathname)
{
    return match(pattern, text, pathname, 0);
}
