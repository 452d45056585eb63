/*
 * modtree.c - where `mod name;` finds its file, following rustc's rules:
 *   - a file that owns its directory (crate root, mod.rs, a #[path] file) looks in its own
 *     directory; any other file `a.rs` looks in `a/`;
 *   - enclosing inline modules add their names (or their #[path]) as directories;
 *   - `#[path = "p"]` outside inline modules is relative to the declaring file's directory;
 *   - otherwise `name.rs`, then `name/mod.rs`.
 * Also (de)serialises mod declarations for unchanged files.
 */
#include "graph/graph.h"
#include "core/fsutil.h"
#include "core/utf8.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int plait_graph_mod_candidates(const char *parent_rel, int parent_modrs, const char *name, const char *path_attr,
                               const char *inline_dir, char *cand[2], int modrs[2])
{
    char *pdir = plait_path_dirname(parent_rel);
    char *base;
    if (parent_modrs) {
        base = xstrdup(pdir);
    } else {
        const char *fn = plait_path_basename(parent_rel);
        size_t fl = strlen(fn);
        char *stem = xstrndup(fn, fl > 3 && !strcmp(fn + fl - 3, ".rs") ? fl - 3 : fl);
        base = *pdir ? xasprintf("%s/%s", pdir, stem) : xstrdup(stem);
        free(stem);
    }
    char *dir = inline_dir && *inline_dir ? (*base ? xasprintf("%s/%s", base, inline_dir) : xstrdup(inline_dir)) : xstrdup(base);
    int n = 0;
    cand[0] = cand[1] = NULL;
    if (path_attr) {
        const char *rel_to = inline_dir && *inline_dir ? dir : pdir;
        cand[n] = *rel_to ? xasprintf("%s/%s", rel_to, path_attr) : xstrdup(path_attr);
        modrs[n++] = 1;
    } else {
        cand[n] = *dir ? xasprintf("%s/%s.rs", dir, name) : xasprintf("%s.rs", name);
        modrs[n++] = 0;
        cand[n] = *dir ? xasprintf("%s/%s/mod.rs", dir, name) : xasprintf("%s/mod.rs", name);
        modrs[n++] = 1;
    }
    for (int i = 0; i < n; i++) plait_path_normalise(cand[i]);
    free(pdir);
    free(base);
    free(dir);
    return n;
}

/* A JSON string even for bytes that are not UTF-8 (the parser is fed sanitised text, but this
 * must never drop a declaration). */
static json_t *str_or_null(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    char *copy = xstrdup(s);
    plait_utf8_sanitize(copy, strlen(copy));
    j = json_string(copy);
    free(copy);
    return j;
}

char *plait_graph_mods_to_json(const plait_extract *x)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < x->mods.len; i++) {
        const plait_moddecl *m = &x->mods.items[i];
        const plait_item *par = m->parent >= 0 ? &x->items.items[m->parent] : NULL;
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:i}", "name", str_or_null(m->name),
                              "path_attr", str_or_null(m->path_attr), "inline_dir", str_or_null(m->inline_dir),
                              "rel_path", str_or_null(m->rel_path),
                              "line", (int)m->line, "visibility", str_or_null(m->visibility), "doc", str_or_null(m->doc),
                              "cfg", str_or_null(m->cfg), "attrs", str_or_null(m->attrs),
                              "parent_cfg", str_or_null(par ? par->cfg : NULL), "parent_disamb", par ? par->disamb : 0);
        if (par) json_object_set_new(o, "parent_key_path", str_or_null(par->key_path));
        json_array_append_new(arr, o);
    }
    char *s = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(arr);
    return s;
}

static char *dup_or_null(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? xstrdup(s) : NULL;
}

/* Stored declarations come back as moddecls; an enclosing inline module is represented by a
 * minimal item carrying the key path, cfg and disambiguator its key is derived from. */
int plait_graph_mods_from_json(const char *json, plait_extract *into)
{
    json_error_t err;
    json_t *arr = json_loads(json ? json : "[]", 0, &err);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return -1;
    }
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        plait_moddecl m = {0};
        m.name = dup_or_null(o, "name");
        m.path_attr = dup_or_null(o, "path_attr");
        m.inline_dir = dup_or_null(o, "inline_dir");
        m.rel_path = dup_or_null(o, "rel_path");
        m.line = (uint32_t)json_integer_value(json_object_get(o, "line"));
        m.visibility = dup_or_null(o, "visibility");
        m.doc = dup_or_null(o, "doc");
        m.cfg = dup_or_null(o, "cfg");
        m.attrs = dup_or_null(o, "attrs");
        m.parent = -1;
        if (!m.name || !m.rel_path || !m.inline_dir) {
            json_decref(arr);
            free(m.name);
            free(m.path_attr);
            free(m.inline_dir);
            free(m.rel_path);
            free(m.visibility);
            free(m.doc);
            free(m.cfg);
            free(m.attrs);
            return -1;
        }
        const char *pk = json_string_value(json_object_get(o, "parent_key_path"));
        if (pk) {
            plait_item it = {0};
            it.kind = PLAIT_KIND_MODULE;
            it.key_path = xstrdup(pk);
            it.cfg = dup_or_null(o, "parent_cfg");
            it.disamb = (int)json_integer_value(json_object_get(o, "parent_disamb"));
            PLAIT_VEC_PUSH(&into->items, it);
            m.parent = (int)into->items.len - 1;
        }
        PLAIT_VEC_PUSH(&into->mods, m);
    }
    json_decref(arr);
    return 0;
}
