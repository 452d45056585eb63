/* toml.c - flattens a tree-sitter-toml tree into dotted keys (see toml.h). */
#include "parse/toml.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_toml(void);

struct plait_toml { plait_strmap kv; };

typedef struct { const char *src; plait_toml *t; } ctx;

static int is(TSNode n, const char *t) { return strcmp(ts_node_type(n), t) == 0; }

static void put(ctx *c, const char *key, char *val)
{
    char *old = plait_strmap_put(&c->t->kv, key, val);
    free(old);
}

static char *unquote(const char *s, size_t n)
{
    strbuf sb = {0};
    int literal = n && s[0] == '\'';
    size_t q = (n >= 6 && (memcmp(s, "\"\"\"", 3) == 0 || memcmp(s, "'''", 3) == 0)) ? 3 : 1;
    if (n < 2 * q) return xstrdup("");
    size_t i = q, end = n - q;
    if (q == 3 && i < end && s[i] == '\n') i++; /* a newline right after """ is dropped */
    for (; i < end; i++) {
        if (literal || s[i] != '\\' || i + 1 >= end) {
            strbuf_putc(&sb, s[i]);
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'n': strbuf_putc(&sb, '\n'); break;
        case 't': strbuf_putc(&sb, '\t'); break;
        case 'r': strbuf_putc(&sb, '\r'); break;
        case '\n': while (i + 1 < end && strchr(" \t\r\n", s[i + 1])) i++; break;
        default: strbuf_putc(&sb, e); break; /* \" \\ ; \uXXXX kept as written */
        }
    }
    return strbuf_detach(&sb);
}

/* Appends the key's text ("a", "a.b", "'c d'") to `prefix` with dots. */
static char *key_text(ctx *c, TSNode k, const char *prefix)
{
    if (is(k, "dotted_key")) {
        char *acc = xstrdup(prefix);
        uint32_t n = ts_node_named_child_count(k);
        for (uint32_t i = 0; i < n; i++) {
            char *next = key_text(c, ts_node_named_child(k, i), acc);
            free(acc);
            acc = next;
        }
        return acc;
    }
    uint32_t a = ts_node_start_byte(k), b = ts_node_end_byte(k);
    char *part = is(k, "quoted_key") ? unquote(c->src + a, b - a) : xstrndup(c->src + a, b - a);
    char *r = *prefix ? xasprintf("%s.%s", prefix, part) : xstrdup(part);
    free(part);
    return r;
}

static void value(ctx *c, TSNode v, const char *key);

static void pairs(ctx *c, TSNode parent, const char *prefix)
{
    uint32_t n = ts_node_named_child_count(parent);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = ts_node_named_child(parent, i);
        if (!is(p, "pair") || ts_node_named_child_count(p) < 2) continue;
        char *k = key_text(c, ts_node_named_child(p, 0), prefix);
        value(c, ts_node_named_child(p, 1), k);
        free(k);
    }
}

static void value(ctx *c, TSNode v, const char *key)
{
    uint32_t a = ts_node_start_byte(v), b = ts_node_end_byte(v);
    if (is(v, "string")) {
        put(c, key, unquote(c->src + a, b - a));
    } else if (is(v, "array")) {
        uint32_t n = ts_node_named_child_count(v), k = 0;
        for (uint32_t i = 0; i < n; i++) {
            TSNode e = ts_node_named_child(v, i);
            if (is(e, "comment")) continue;
            char *ek = xasprintf("%s[%u]", key, k++);
            value(c, e, ek);
            free(ek);
        }
        char *ck = xasprintf("%s[]", key);
        put(c, ck, xasprintf("%u", k));
        free(ck);
    } else if (is(v, "inline_table")) {
        pairs(c, v, key);
    } else {
        put(c, key, xstrndup(c->src + a, b - a));
    }
}

int plait_toml_parse(const char *src, size_t len, plait_toml **out)
{
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_toml());
    TSTree *tree = ts_parser_parse_string(p, NULL, src, (uint32_t)len);
    TSNode root = ts_tree_root_node(tree);
    if (ts_node_has_error(root)) {
        TSNode e = root;
        while (ts_node_named_child_count(e)) { /* descend to the first broken node for a line */
            TSNode next = e;
            for (uint32_t i = 0; i < ts_node_child_count(e); i++) {
                TSNode ch = ts_node_child(e, i);
                if (ts_node_has_error(ch) || ts_node_is_error(ch)) { next = ch; break; }
            }
            if (ts_node_eq(next, e)) break;
            e = next;
        }
        int rc = plait_error_set(PLAIT_EINVALID, "TOML syntax error at line %u", ts_node_start_point(e).row + 1);
        ts_tree_delete(tree);
        ts_parser_delete(p);
        return rc;
    }
    plait_toml *t = xcalloc(1, sizeof *t);
    plait_strmap_init(&t->kv);
    ctx c = {src, t};
    pairs(&c, root, "");
    uint32_t n = ts_node_named_child_count(root);
    for (uint32_t i = 0; i < n; i++) {
        TSNode tb = ts_node_named_child(root, i);
        int arr = is(tb, "table_array_element");
        if (!arr && !is(tb, "table")) continue;
        char *name = key_text(&c, ts_node_named_child(tb, 0), "");
        char *prefix;
        if (arr) {
            char *ck = xasprintf("%s[]", name);
            const char *cnt = plait_toml_get(t, ck);
            int k = cnt ? atoi(cnt) : 0;
            put(&c, ck, xasprintf("%d", k + 1));
            prefix = xasprintf("%s[%d]", name, k);
            free(ck);
        } else {
            prefix = xstrdup(name);
            char *mk = xasprintf("%s.", name); /* marks that the table exists, even empty */
            put(&c, mk, xstrdup(""));
            free(mk);
        }
        pairs(&c, tb, prefix);
        free(prefix);
        free(name);
    }
    ts_tree_delete(tree);
    ts_parser_delete(p);
    *out = t;
    return PLAIT_OK;
}

void plait_toml_free(plait_toml *t)
{
    if (!t) return;
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(&t->kv, &pos, NULL, &v)) free(v);
    plait_strmap_free(&t->kv);
    free(t);
}

const char *plait_toml_get(const plait_toml *t, const char *key) { return plait_strmap_get(&t->kv, key); }

int plait_toml_count(const plait_toml *t, const char *key)
{
    char *ck = xasprintf("%s[]", key);
    const char *v = plait_toml_get(t, ck);
    free(ck);
    return v ? atoi(v) : 0;
}

int plait_toml_bool(const plait_toml *t, const char *key, int dflt)
{
    const char *v = plait_toml_get(t, key);
    if (!v) return dflt;
    if (!strcmp(v, "true")) return 1;
    if (!strcmp(v, "false")) return 0;
    return dflt;
}
