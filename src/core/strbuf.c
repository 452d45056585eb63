/* strbuf.c - growable strings (see strbuf.h). */
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) return;
    size_t nc = sb->cap ? sb->cap * 2 : 64;
    while (nc < need) nc *= 2;
    sb->buf = xrealloc(sb->buf, nc);
    sb->cap = nc;
}

void strbuf_add(strbuf *sb, const char *s, size_t n)
{
    grow(sb, n);
    if (n) memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void strbuf_puts(strbuf *sb, const char *s) { strbuf_add(sb, s, strlen(s)); }
void strbuf_putc(strbuf *sb, char c) { strbuf_add(sb, &c, 1); }

void strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    sb->len += (size_t)n;
}

void strbuf_reset(strbuf *sb)
{
    sb->len = 0;
    if (sb->buf) sb->buf[0] = '\0';
}

char *strbuf_detach(strbuf *sb)
{
    char *p = sb->buf ? sb->buf : xstrdup("");
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return p;
}

void strbuf_free(strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

const char *strbuf_str(const strbuf *sb) { return sb->buf ? sb->buf : ""; }
