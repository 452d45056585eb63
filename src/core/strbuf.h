/* strbuf.h - a growable NUL-terminated byte string.  Owner calls strbuf_free(). */
#ifndef PLAIT_CORE_STRBUF_H
#define PLAIT_CORE_STRBUF_H

#include <stddef.h>

typedef struct {
    char *buf; /* always NUL-terminated once anything was added; NULL when empty-new */
    size_t len, cap;
} strbuf;

void strbuf_add(strbuf *sb, const char *s, size_t n);
void strbuf_puts(strbuf *sb, const char *s);
void strbuf_putc(strbuf *sb, char c);
void strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(strbuf *sb);
/* Returns the buffer ("" if empty) and leaves sb empty; caller frees the result. */
char *strbuf_detach(strbuf *sb);
void strbuf_free(strbuf *sb);
/* The contents, "" when empty; valid until the next change. */
const char *strbuf_str(const strbuf *sb);

#endif
