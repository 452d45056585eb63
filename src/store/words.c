/* words.c - identifier splitting for search (see words.h). */
#include "store/words.h"
#include "plait/error.h"

#include <string.h>

static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int in_word(unsigned char c) { return is_upper(c) || is_lower(c) || is_digit(c) || c >= 0x80; }

static void put_word(strbuf *out, const char *w, size_t n)
{
    if (!n) return;
    if (out->len) strbuf_putc(out, ' ');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        strbuf_putc(out, is_upper(c) ? (char)(c - 'A' + 'a') : (char)c);
    }
}

/* One run of word characters, cut at case changes. */
static void split_run(strbuf *out, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 1; i < n; i++) {
        unsigned char prev = (unsigned char)s[i - 1], c = (unsigned char)s[i];
        int cut = 0;
        if (is_upper(c) && (is_lower(prev) || is_digit(prev))) cut = 1;        /* parseStream, u8Slice */
        else if (is_upper(prev) && is_upper(c) && i + 1 < n && is_lower((unsigned char)s[i + 1]))
            cut = 1;                                                            /* HTTP|Server */
        if (cut) {
            put_word(out, s + start, i - start);
            start = i;
        }
    }
    put_word(out, s + start, n - start);
}

void plait_words_append(strbuf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && !in_word((unsigned char)s[i])) i++;
        size_t b = i;
        while (i < n && in_word((unsigned char)s[i])) i++;
        if (i > b) split_run(out, s + b, i - b);
    }
}

static void sql_words(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    strbuf sb = {0};
    plait_words_append(&sb, t ? t : "", (size_t)n);
    sqlite3_result_text(ctx, strbuf_str(&sb), (int)sb.len, SQLITE_TRANSIENT);
    strbuf_free(&sb);
}

int plait_words_register(sqlite3 *db)
{
    int rc = sqlite3_create_function(db, "plait_words", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     sql_words, NULL, NULL);
    return rc == SQLITE_OK ? PLAIT_OK : plait_error_set(PLAIT_EDB, "registering plait_words: %s", sqlite3_errmsg(db));
}
