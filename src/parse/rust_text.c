/* rust_text.c - string normalisation for extracted Rust text (see rust_text.h). */
#include "parse/rust_text.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

static int ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char *rt_collapse(const char *s, size_t n)
{
    strbuf sb = {0};
    size_t i = 0;
    while (i < n && ws(s[i])) i++;
    while (n > i && ws(s[n - 1])) n--;
    while (i < n) {
        if (!ws(s[i])) {
            strbuf_putc(&sb, s[i++]);
            continue;
        }
        while (i < n && ws(s[i])) i++;
        char prev = sb.len ? sb.buf[sb.len - 1] : ' ', next = s[i];
        char prev2 = sb.len > 1 ? sb.buf[sb.len - 2] : ' ', next2 = i + 1 < n ? s[i + 1] : ' ';
        /* A space carries no meaning after an opener or before a closer, nor around `::`;
         * `Vec <T>` folds too, but `a: B`, `-> T` and `impl<T> Foo` keep theirs. */
        int drop = strchr("<([&#!", prev) != NULL || strchr(">)],;", next) != NULL ||
                   (prev == ':' && prev2 == ':') || (next == ':' && next2 == ':') ||
                   (next == '<' && ident_char(prev));
        if (!drop) strbuf_putc(&sb, ' ');
    }
    return strbuf_detach(&sb);
}

char *rt_path(const char *s, size_t n)
{
    strbuf sb = {0};
    for (size_t i = 0; i < n; i++)
        if (!ws(s[i])) strbuf_putc(&sb, s[i]);
    return strbuf_detach(&sb);
}

static void trim_cr(strbuf *sb)
{
    while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r')) sb->buf[--sb->len] = '\0';
}

char *rt_doc_line(const char *s, size_t n)
{
    /* `///` or `//!` */
    size_t i = n >= 3 ? 3 : n;
    if (i < n && s[i] == ' ') i++;
    strbuf sb = {0};
    strbuf_add(&sb, s + i, n - i);
    trim_cr(&sb);
    return strbuf_detach(&sb);
}

char *rt_doc_block(const char *s, size_t n)
{
    /* a block doc: drop the 3-byte opener, the 2-byte closer, and a leading " * " per line */
    if (n >= 5) {
        s += 3;
        n -= 5;
    } else {
        return xstrdup("");
    }
    strbuf sb = {0};
    size_t i = 0;
    int first = 1;
    while (i <= n) {
        size_t e = i;
        while (e < n && s[e] != '\n') e++;
        size_t a = i, b = e;
        while (a < b && ws(s[a])) a++;
        if (a < b && s[a] == '*') {
            a++;
            if (a < b && s[a] == ' ') a++;
        } else if (first && i < b && s[i] == ' ') {
            a = i + 1;
        }
        while (b > a && (s[b - 1] == '\r' || s[b - 1] == ' ')) b--;
        if (!(first && a == b)) {
            if (sb.len) strbuf_putc(&sb, '\n');
            strbuf_add(&sb, s + a, b - a);
        }
        first = 0;
        i = e + 1;
    }
    trim_cr(&sb);
    return strbuf_detach(&sb);
}

char *rt_unquote(const char *s, size_t n)
{
    strbuf sb = {0};
    if (n && s[0] == 'b') s++, n--;
    if (n && s[0] == 'r') { /* raw: r#"..."# */
        size_t h = 1;
        while (h < n && s[h] == '#') h++;
        size_t start = h + 1, hashes = h - 1;
        if (n >= start + 1 + hashes) strbuf_add(&sb, s + start, n - start - 1 - hashes);
        return strbuf_detach(&sb);
    }
    if (n < 2) return xstrdup("");
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 2 >= n) {
            strbuf_putc(&sb, c);
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'n': strbuf_putc(&sb, '\n'); break;
        case 't': strbuf_putc(&sb, '\t'); break;
        case 'r': strbuf_putc(&sb, '\r'); break;
        case '0': strbuf_putc(&sb, '\0'); break;
        case '\n': /* line continuation: skip the newline and leading whitespace */
            while (i + 2 < n && ws(s[i + 1])) i++;
            break;
        default: strbuf_putc(&sb, e); break; /* \\ \" \' and the rest kept literally */
        }
    }
    return strbuf_detach(&sb);
}

char *rt_visibility(const char *s, size_t n)
{
    char *p = rt_path(s, n); /* "pub(incrate::a)" for "pub(in crate::a)": fix "in" below */
    if (strcmp(p, "crate") == 0) {
        free(p);
        return xstrdup("pub(crate)");
    }
    if (strncmp(p, "pub(in", 6) == 0 && strcmp(p, "pub(in)") != 0) {
        char *q = xasprintf("pub(in %s", p + 6);
        free(p);
        return q;
    }
    return p;
}

char *rt_strip_generics(const char *s)
{
    strbuf sb = {0};
    int depth = 0;
    for (; *s; s++) {
        if (*s == '<') depth++;
        else if (*s == '>' && depth > 0) depth--;
        else if (depth == 0 && !ws(*s)) strbuf_putc(&sb, *s);
    }
    return strbuf_detach(&sb);
}

const char *rt_last_segment(const char *s)
{
    const char *last = s;
    for (const char *p = s; *p; p++)
        if (p[0] == ':' && p[1] == ':') last = p + 2;
    return last;
}
