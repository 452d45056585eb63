/*
 * tokenizer.c - SentencePiece-unigram encoding for USE-lite (rules in tokenizer.h).
 *
 * The pieces live in a trie over UTF-16 code units whose edges are kept in one open-addressed
 * hash table keyed by (node, unit); walking it from every position of the text gives all
 * pieces starting there, shortest first.  The Viterbi pass relaxes those edges forward,
 * position by position: for a fixed end position that visits candidates in increasing start
 * order, the same order the reference visits them in, so its tie and zero-score quirks carry
 * over exactly.  Scores are doubles because the reference adds JavaScript numbers.
 */
#include "embed/tokenizer.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/xalloc.h"
#include "embed/pins.h"
#include "plait/error.h"

#define RESERVED 6        /* ids 0..5: unknown, <s>, </s>, three extra ids */
#define SEP 0x2581        /* U+2581 LOWER ONE EIGHTH BLOCK: SentencePiece's space */
#define REPLACEMENT 0xFFFD

typedef struct {
    uint64_t key; /* (parent node + 1) << 16 | unit; 0 = empty slot */
    uint32_t child;
} trie_edge;

typedef struct {
    double score;
    int32_t id; /* -1: not the end of a piece */
} trie_node;

struct use_tokenizer {
    trie_node *nodes;
    size_t nnodes, node_cap;
    trie_edge *edges;
    size_t edge_mask; /* capacity - 1 (power of two) */
    size_t nedges;
    uint32_t *piece_len; /* per id: length in UTF-16 units (the reference's string length) */
    size_t npieces;
    uint32_t max_piece;
};

static size_t edge_slot(const use_tokenizer *t, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & t->edge_mask;
    while (t->edges[i].key && t->edges[i].key != key) i = (i + 1) & t->edge_mask;
    return i;
}

static int64_t trie_child(const use_tokenizer *t, uint32_t node, uint16_t unit)
{
    uint64_t key = ((uint64_t)node + 1) << 16 | unit;
    size_t i = edge_slot(t, key);
    return t->edges[i].key ? (int64_t)t->edges[i].child : -1;
}

static void grow_edges(use_tokenizer *t)
{
    size_t old_cap = t->edge_mask + 1;
    trie_edge *old = t->edges;
    t->edge_mask = old_cap * 2 - 1;
    t->edges = xcalloc(old_cap * 2, sizeof *t->edges);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key) t->edges[edge_slot(t, old[i].key)] = old[i];
    free(old);
}

static uint32_t new_node(use_tokenizer *t)
{
    if (t->nnodes == t->node_cap) {
        t->node_cap *= 2;
        t->nodes = xrealloc(t->nodes, t->node_cap * sizeof *t->nodes);
    }
    t->nodes[t->nnodes] = (trie_node){0.0, -1};
    return (uint32_t)t->nnodes++;
}

static void trie_insert(use_tokenizer *t, const uint16_t *u, size_t n, double score, int32_t id)
{
    uint32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        if ((t->nedges + 1) * 2 > t->edge_mask + 1) grow_edges(t);
        uint64_t key = ((uint64_t)node + 1) << 16 | u[i];
        size_t s = edge_slot(t, key);
        if (!t->edges[s].key) {
            uint32_t c = new_node(t);
            t->edges[s] = (trie_edge){key, c};
            t->nedges++;
        }
        node = t->edges[s].child;
    }
    if (n > 0) { /* later duplicates overwrite, as the reference's trie does */
        t->nodes[node].score = score;
        t->nodes[node].id = id;
    }
}

/* UTF-8 (already valid) -> UTF-16 units appended to *u. */
static void push_utf16(uint16_t **u, size_t *n, size_t *cap, int32_t cp)
{
    if (*n + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *u = xrealloc(*u, *cap * sizeof **u);
    }
    if (cp >= 0x10000) {
        cp -= 0x10000;
        (*u)[(*n)++] = (uint16_t)(0xD800 + (cp >> 10));
        (*u)[(*n)++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
    } else {
        (*u)[(*n)++] = (uint16_t)cp;
    }
}

static void utf8_to_utf16(const char *s, size_t len, uint16_t **u, size_t *n)
{
    size_t cap = len + 2;
    *u = xmalloc(cap * sizeof **u);
    *n = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) { /* only reachable for invalid input: callers pass sanitised text */
            cp = REPLACEMENT;
            k = 1;
        }
        push_utf16(u, n, &cap, cp);
        i += (size_t)k;
    }
}

static int add_piece(use_tokenizer *t, json_t *entry, size_t id)
{
    json_t *piece = json_array_get(entry, 0), *score = json_array_get(entry, 1);
    /* A null score (':' in the pinned vocab) is what JavaScript's null + x makes of it: 0. */
    if (!json_is_string(piece) || !(json_is_number(score) || json_is_null(score)))
        return plait_error_set(PLAIT_ECORRUPT, "vocab.json: entry %zu is not [piece, score]", id);
    uint16_t *u;
    size_t n;
    utf8_to_utf16(json_string_value(piece), json_string_length(piece), &u, &n);
    t->piece_len[id] = (uint32_t)n;
    if (id >= RESERVED) trie_insert(t, u, n, json_number_value(score), (int32_t)id);
    if (n > t->max_piece) t->max_piece = (uint32_t)n;
    free(u);
    return PLAIT_OK;
}

int use_tokenizer_from_json(const char *json, size_t len, use_tokenizer **out)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!root) return plait_error_set(PLAIT_ECORRUPT, "vocab.json: %s (line %d)", jerr.text, jerr.line);
    if (!json_is_array(root) || json_array_size(root) <= RESERVED || json_array_size(root) > (1u << 24)) {
        json_decref(root);
        return plait_error_set(PLAIT_ECORRUPT, "vocab.json: expected an array of more than %d [piece, score] entries", RESERVED);
    }
    use_tokenizer *t = xcalloc(1, sizeof *t);
    t->node_cap = 1024;
    t->nodes = xmalloc(t->node_cap * sizeof *t->nodes);
    new_node(t); /* root */
    t->edge_mask = 1023;
    t->edges = xcalloc(1024, sizeof *t->edges);
    t->npieces = json_array_size(root);
    t->piece_len = xcalloc(t->npieces, sizeof *t->piece_len);
    int rc = PLAIT_OK;
    for (size_t i = 0; rc == PLAIT_OK && i < t->npieces; i++) rc = add_piece(t, json_array_get(root, i), i);
    json_decref(root);
    if (rc != PLAIT_OK) {
        use_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return PLAIT_OK;
}

int use_tokenizer_load(const char *dir, use_tokenizer **out)
{
    char *text;
    size_t len;
    int rc = use_pin_read(dir, "vocab.json", &text, &len);
    if (rc != PLAIT_OK) return rc;
    rc = use_tokenizer_from_json(text, len, out);
    free(text);
    return rc;
}

void use_tokenizer_free(use_tokenizer *t)
{
    if (!t) return;
    free(t->nodes);
    free(t->edges);
    free(t->piece_len);
    free(t);
}

/* Rule 1: every byte that does not start a valid UTF-8 sequence becomes U+FFFD. */
static char *sanitise_utf8(const char *s, size_t len, size_t *out_len, int *ascii)
{
    char *o = xmalloc(len * 3 + 1);
    size_t n = 0;
    *ascii = 1;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            memcpy(o + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i += 1;
            *ascii = 0;
            continue;
        }
        if (cp >= 0x80) *ascii = 0;
        memcpy(o + n, s + i, (size_t)k);
        n += (size_t)k;
        i += (size_t)k;
    }
    o[n] = '\0';
    *out_len = n;
    return o;
}

void use_tokenizer_units(const char *text, size_t len, uint16_t **units, size_t *n)
{
    int ascii;
    size_t slen;
    char *san = sanitise_utf8(text, len, &slen, &ascii);
    const char *norm = san;
    size_t nlen = slen;
    utf8proc_uint8_t *mapped = NULL;
    if (!ascii) { /* NFKC leaves ASCII alone */
        utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)san, (utf8proc_ssize_t)slen, &mapped,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
        if (r >= 0) { /* r < 0 only on allocation failure: keep the unnormalised text */
            norm = (const char *)mapped;
            nlen = (size_t)r;
        }
    }
    size_t cap = nlen + 2, k = 0;
    uint16_t *u = xmalloc(cap * sizeof *u);
    if (nlen > 0) u[k++] = SEP;
    for (size_t i = 0; i < nlen;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate((const utf8proc_uint8_t *)norm + i, (utf8proc_ssize_t)(nlen - i), &cp);
        if (step <= 0) {
            cp = REPLACEMENT;
            step = 1;
        }
        push_utf16(&u, &k, &cap, cp == ' ' ? SEP : cp);
        i += (size_t)step;
    }
    free(mapped);
    free(san);
    *units = u;
    *n = k;
}

/* Viterbi: best[e] / words[e] = best score and last id of a segmentation of u[0..e). */
static void viterbi(const use_tokenizer *t, const uint16_t *u, size_t n, double *best, int32_t *words)
{
    for (size_t i = 0; i <= n; i++) {
        best[i] = 0.0;
        words[i] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t node = 0;
        int matched = 0;
        for (size_t k = i; k < n && k - i < t->max_piece; k++) {
            int64_t c = trie_child(t, node, u[k]);
            if (c < 0) break;
            node = (uint32_t)c;
            const trie_node *tn = &t->nodes[node];
            if (tn->id < 0) continue;
            matched = 1;
            double s = tn->score + best[i];
            if (best[k + 1] == 0.0 || s >= best[k + 1]) {
                best[k + 1] = s;
                words[k + 1] = tn->id;
            }
        }
        if (!matched) { /* one unknown unit, score 0 */
            double s = best[i];
            if (best[i + 1] == 0.0 || s >= best[i + 1]) {
                best[i + 1] = s;
                words[i + 1] = 0;
            }
        }
    }
}

void use_tokenize(const use_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n)
{
    uint16_t *u;
    size_t nu;
    use_tokenizer_units(text, len, &u, &nu);
    double *best = xmalloc((nu + 1) * sizeof *best);
    int32_t *words = xmalloc((nu + 1) * sizeof *words);
    viterbi(t, u, nu, best, words);
    /* Backward pass, stepping by each piece's string length as the reference does. */
    int32_t *rev = xmalloc((nu + 1) * sizeof *rev);
    size_t nr = 0;
    for (size_t it = nu; it > 0;) {
        int32_t id = words[it];
        rev[nr++] = id;
        size_t step = (size_t)id < t->npieces ? t->piece_len[id] : 1;
        if (step == 0) step = 1; /* an empty piece is never in the trie; keeps a bad vocab finite */
        if (step >= it) break;
        it -= step;
    }
    int32_t *out = nr ? xmalloc(nr * sizeof *out) : NULL;
    size_t k = 0;
    for (size_t i = nr; i-- > 0;) {
        if (rev[i] == 0 && k > 0 && out[k - 1] == 0) continue; /* merge unknown runs */
        out[k++] = rev[i];
    }
    free(rev);
    free(words);
    free(best);
    free(u);
    *ids = out;
    *n = k;
}
