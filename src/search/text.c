/* text.c - the text embedded for a node (see text.h). */
#include "search/text.h"
#include "store/words.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

size_t plait_text_budget(uint32_t max_tokens)
{
    /* ~4 bytes per token on code and prose; a model limit of 128 tokens gives 512 bytes */
    return (size_t)(max_tokens ? max_tokens : 512) * 4;
}

/* Appends s[0..n) with runs of whitespace collapsed to one space, at most `cap` bytes. */
static void put_collapsed(strbuf *sb, const char *s, size_t n, size_t cap)
{
    size_t start = sb->len;
    int space = 0;
    for (size_t i = 0; i < n && sb->len - start < cap; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = 1;
            continue;
        }
        if (space && sb->len > start) strbuf_putc(sb, ' ');
        space = 0;
        strbuf_putc(sb, c);
    }
}

/* Where the body of a function or macro starts: after the first `{` (after `fn` for a
 * function, so `{` in attributes is skipped); NULL if there is none. */
static const char *body_start(const char *src, size_t len, const char **end)
{
    *end = src + len;
    const char *p = src;
    const char *fn = NULL;
    for (size_t i = 0; i + 3 <= len; i++)
        if (!memcmp(src + i, "fn ", 3) && (i == 0 || src[i - 1] == ' ' || src[i - 1] == '\n')) {
            fn = src + i;
            break;
        }
    if (fn) p = fn;
    const char *b = memchr(p, '{', (size_t)(*end - p));
    if (!b) return NULL;
    b++;
    if (*end > b && (*end)[-1] == '}') (*end)--; /* the closing brace carries nothing */
    return b;
}

static int has_body(const char *kind)
{
    return kind && (!strcmp(kind, "function") || !strcmp(kind, "method") || !strcmp(kind, "macro"));
}

/* Cuts sb to at most max bytes: at a UTF-8 boundary, and back to a space if one is near. */
static void cut(strbuf *sb, size_t max)
{
    if (sb->len <= max) return;
    size_t n = max;
    while (n > 0 && ((unsigned char)sb->buf[n] & 0xC0) == 0x80) n--; /* never split a character */
    size_t sp = n;
    while (sp > 0 && n - sp < 32 && sb->buf[sp] != ' ' && sb->buf[sp] != '\n') sp--;
    if (sp > 0 && (sb->buf[sp] == ' ' || sb->buf[sp] == '\n')) n = sp;
    sb->len = n;
    sb->buf[n] = '\0';
}

char *plait_text_build(const plait_text_node *n, size_t max_bytes)
{
    strbuf sb = {0};
    if (n->kind) {
        for (const char *k = n->kind; *k; k++) strbuf_putc(&sb, *k == '_' ? ' ' : *k); /* type_alias */
    }
    if (n->name) {
        strbuf w = {0};
        plait_words_append(&w, n->name, strlen(n->name));
        if (w.len) strbuf_printf(&sb, "%s%s", sb.len ? " " : "", strbuf_str(&w));
        strbuf_free(&w);
    }
    if (n->path) { /* the path without its last component (the name, already given) */
        const char *last = n->path, *p;
        for (p = n->path; (p = strstr(p, "::")); p += 2) last = p;
        strbuf w = {0};
        plait_words_append(&w, n->path, last > n->path ? (size_t)(last - n->path) : 0);
        if (w.len) strbuf_printf(&sb, " (%s)", strbuf_str(&w));
        strbuf_free(&w);
    }
    if (n->signature && *n->signature) {
        strbuf_putc(&sb, '\n');
        put_collapsed(&sb, n->signature, strlen(n->signature), max_bytes);
    }
    if (n->doc && *n->doc) {
        strbuf_putc(&sb, '\n');
        put_collapsed(&sb, n->doc, strlen(n->doc), max_bytes / 3);
    }
    const char *end, *b;
    if (has_body(n->kind) && n->source && (b = body_start(n->source, n->source_len, &end)) && sb.len + 1 < max_bytes) {
        size_t before = sb.len;
        strbuf_putc(&sb, '\n');
        put_collapsed(&sb, b, (size_t)(end - b), max_bytes - sb.len);
        if (sb.len == before + 1) sb.buf[--sb.len] = '\0'; /* an empty body adds nothing */
    }
    cut(&sb, max_bytes);
    return strbuf_detach(&sb);
}

void plait_text_hash(const char *text, plait_hash *out)
{
    size_t vl = sizeof PLAIT_TEXT_VERSION, tl = strlen(text);
    char *buf = xmalloc(vl + tl);
    memcpy(buf, PLAIT_TEXT_VERSION, vl); /* includes the NUL */
    memcpy(buf + vl, text, tl);
    plait_hash_bytes(out, buf, vl + tl);
    free(buf);
}

int plait_text_kind_embedded(const char *kind)
{
    return kind && strcmp(kind, "use") != 0 && strcmp(kind, "impl") != 0;
}
