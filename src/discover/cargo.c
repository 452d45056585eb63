/* cargo.c - packages and targets from Cargo manifests (see cargo.h). */
#include "discover/cargo.h"
#include "discover/glob.h"
#include "core/fsutil.h"
#include "core/strmap.h"
#include "parse/extract.h"
#include "parse/toml.h"
#include "plait/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const target_names[] = {"lib", "bin", "example", "test", "bench", "build", "loose", "dep"};
const char *plait_target_kind_name(plait_target_kind k) { return target_names[k]; }

typedef struct {
    char *dir;          /* manifest directory */
    plait_toml *toml;
} manifest;

typedef struct {
    const plait_walk *w;
    plait_strmap files; /* rel path -> (void*)1 for every discovered source */
    plait_workspace *ws;
    plait_path_diags *diags;
} loader;

static char *crate_ident(const char *name)
{
    char *s = xstrdup(name);
    for (char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) *p = '_';
    if (!*s || (*s >= '0' && *s <= '9')) {
        char *t = xasprintf("_%s", s);
        free(s);
        return t;
    }
    return s;
}

static char *in_dir(const char *dir, const char *rel)
{
    char *p = *dir ? xasprintf("%s/%s", dir, rel) : xstrdup(rel);
    plait_path_normalise(p);
    return p;
}

static int has_file(loader *l, const char *rel) { return plait_strmap_has(&l->files, rel); }

static void add_target(loader *l, int pkg, plait_target_kind kind, const char *name, const char *root_rel)
{
    plait_workspace *ws = l->ws;
    for (size_t i = 0; i < ws->targets.len; i++) /* explicit entries win over auto-discovered twins */
        if (ws->targets.items[i].package == pkg && ws->targets.items[i].kind == kind && !strcmp(ws->targets.items[i].root, root_rel))
            return;
    plait_target t = {0};
    t.crate = crate_ident(name);
    t.kind = kind;
    t.root = xstrdup(root_rel);
    t.package = pkg;
    t.id = xasprintf("%s|%s|%s", pkg >= 0 ? ws->packages.items[pkg].dir : "", target_names[kind], t.crate);
    PLAIT_VEC_PUSH(&ws->targets, t);
}

/* Explicit [[bin]]/[[example]]/[[test]]/[[bench]] entries. */
static void explicit_targets(loader *l, int pkg, const plait_toml *t, const char *key, plait_target_kind kind,
                             const char *defdir, const char *pkgname)
{
    const char *dir = l->ws->packages.items[pkg].dir;
    int n = plait_toml_count(t, key);
    for (int i = 0; i < n; i++) {
        char k[128];
        snprintf(k, sizeof k, "%s[%d].name", key, i);
        const char *name = plait_toml_get(t, k);
        snprintf(k, sizeof k, "%s[%d].path", key, i);
        const char *path = plait_toml_get(t, k);
        if (!name && !path) continue;
        char *root = NULL;
        if (path) {
            root = in_dir(dir, path);
        } else {
            char *a = xasprintf("%s/%s.rs", defdir, name), *b = xasprintf("%s/%s/main.rs", defdir, name);
            root = in_dir(dir, a);
            if (!has_file(l, root)) {
                free(root);
                root = in_dir(dir, b);
            }
            if (!has_file(l, root) && kind == PLAIT_TARGET_BIN && !strcmp(name, pkgname)) {
                free(root);
                root = in_dir(dir, "src/main.rs");
            }
            free(a);
            free(b);
        }
        if (has_file(l, root)) add_target(l, pkg, kind, name ? name : plait_path_basename(root), root);
        else plait_path_diag_add(l->diags, root, PLAIT_DIAG_WARNING, "missing-target",
                                 "%s target `%s` names a file that does not exist or is ignored", target_names[kind], name ? name : path);
        free(root);
    }
}

/* Auto-discovered targets: `dir/x.rs` and `dir/x/main.rs` become targets named x. */
static void auto_targets(loader *l, int pkg, const char *subdir, plait_target_kind kind)
{
    char *prefix = in_dir(l->ws->packages.items[pkg].dir, subdir);
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < l->w->files.len; i++) {
        const char *rel = l->w->files.items[i].rel;
        if (strncmp(rel, prefix, pl) != 0 || rel[pl] != '/') continue;
        const char *rest = rel + pl + 1;
        const char *slash = strchr(rest, '/');
        size_t rl = strlen(rest);
        if (!slash && rl > 3 && !strcmp(rest + rl - 3, ".rs")) {
            char *name = xstrndup(rest, rl - 3);
            add_target(l, pkg, kind, name, rel);
            free(name);
        } else if (slash && !strcmp(slash, "/main.rs")) {
            char *name = xstrndup(rest, (size_t)(slash - rest));
            add_target(l, pkg, kind, name, rel);
            free(name);
        }
    }
    free(prefix);
}

static void package_targets(loader *l, int pkg, const plait_toml *t)
{
    const plait_package *p = &l->ws->packages.items[pkg];
    char *dir = xstrdup(p->dir), *pname = xstrdup(p->name);
    const char *lib_path = plait_toml_get(t, "lib.path"), *lib_name = plait_toml_get(t, "lib.name");
    char *lib = in_dir(dir, lib_path ? lib_path : "src/lib.rs");
    if (has_file(l, lib)) add_target(l, pkg, PLAIT_TARGET_LIB, lib_name ? lib_name : pname, lib);
    free(lib);
    explicit_targets(l, pkg, t, "bin", PLAIT_TARGET_BIN, "src/bin", pname);
    if (plait_toml_bool(t, "package.autobins", 1)) {
        char *m = in_dir(dir, "src/main.rs");
        if (has_file(l, m)) add_target(l, pkg, PLAIT_TARGET_BIN, pname, m);
        free(m);
        auto_targets(l, pkg, "src/bin", PLAIT_TARGET_BIN);
    }
    static const struct { const char *key, *dir, *autokey; plait_target_kind kind; } kinds[] = {
        {"example", "examples", "package.autoexamples", PLAIT_TARGET_EXAMPLE},
        {"test", "tests", "package.autotests", PLAIT_TARGET_TEST},
        {"bench", "benches", "package.autobenches", PLAIT_TARGET_BENCH},
    };
    for (int k = 0; k < 3; k++) {
        explicit_targets(l, pkg, t, kinds[k].key, kinds[k].kind, kinds[k].dir, pname);
        if (plait_toml_bool(t, kinds[k].autokey, 1)) auto_targets(l, pkg, kinds[k].dir, kinds[k].kind);
    }
    const char *build = plait_toml_get(t, "package.build");
    if (!build || strcmp(build, "false") != 0) {
        char *b = in_dir(dir, build && strcmp(build, "true") ? build : "build.rs");
        if (has_file(l, b)) add_target(l, pkg, PLAIT_TARGET_BUILD, "build_script_build", b);
        free(b);
    }
    free(dir);
    free(pname);
}

/* Applies a [workspace]: excluded directories are remembered; members are noted so a package
 * outside them can be reported. */
static void workspace_rules(loader *l, const manifest *m, const manifest *all, size_t n)
{
    int ne = plait_toml_count(m->toml, "workspace.exclude");
    for (int i = 0; i < ne; i++) {
        char k[64];
        snprintf(k, sizeof k, "workspace.exclude[%d]", i);
        const char *v = plait_toml_get(m->toml, k);
        if (v) PLAIT_VEC_PUSH(&l->ws->excluded, in_dir(m->dir, v));
    }
    int nm = plait_toml_count(m->toml, "workspace.members");
    for (int i = 0; i < nm; i++) {
        char k[64];
        snprintf(k, sizeof k, "workspace.members[%d]", i);
        const char *v = plait_toml_get(m->toml, k);
        if (!v) continue;
        char *pat = in_dir(m->dir, v);
        int hit = 0;
        for (size_t j = 0; j < n; j++) hit |= plait_glob_match(pat, all[j].dir, 1);
        if (!hit)
            plait_path_diag_add(l->diags, pat, PLAIT_DIAG_WARNING, "missing-member",
                                "workspace member `%s` matches no package with a Cargo.toml", v);
        free(pat);
    }
}

static int cmp_pkg(const void *a, const void *b)
{
    return strcmp(((const plait_package *)a)->dir, ((const plait_package *)b)->dir);
}

int plait_workspace_is_excluded(const plait_workspace *ws, const char *rel)
{
    for (size_t i = 0; i < ws->excluded.len; i++) {
        const char *e = ws->excluded.items[i];
        size_t el = strlen(e);
        if (!strncmp(rel, e, el) && (rel[el] == '/' || rel[el] == '\0')) return 1;
    }
    return 0;
}

int plait_workspace_package_of(const plait_workspace *ws, const char *rel)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < ws->packages.len; i++) {
        const char *d = ws->packages.items[i].dir;
        size_t dl = strlen(d);
        int inside = dl == 0 || (!strncmp(rel, d, dl) && rel[dl] == '/');
        if (inside && (best < 0 || dl >= best_len)) {
            best = (int)i;
            best_len = dl;
        }
    }
    return best;
}

int plait_workspace_load(const char *root, const plait_walk *w, plait_workspace *out, plait_path_diags *diags)
{
    loader l = {.w = w, .ws = out, .diags = diags};
    plait_strmap_init(&l.files);
    PLAIT_VEC(manifest) ms = {0};
    for (size_t i = 0; i < w->files.len; i++) {
        const plait_found *f = &w->files.items[i];
        if (f->kind == PLAIT_FILE_RUST) {
            plait_strmap_put(&l.files, f->rel, (void *)1);
            continue;
        }
        char *abs = plait_path_join(root, f->rel), *text;
        size_t len;
        plait_toml *t = NULL;
        if (plait_read_file(abs, 4 << 20, &text, &len) != PLAIT_OK) {
            plait_path_diag_add(diags, f->rel, PLAIT_DIAG_WARNING, "manifest", "%s", plait_error_last());
        } else {
            if (plait_toml_parse(text, len, &t) != PLAIT_OK)
                plait_path_diag_add(diags, f->rel, PLAIT_DIAG_ERROR, "manifest", "%s; its package is not indexed", plait_error_last());
            free(text);
        }
        free(abs);
        if (!t) continue;
        manifest m = {plait_path_dirname(f->rel), t};
        PLAIT_VEC_PUSH(&ms, m);
    }
    for (size_t i = 0; i < ms.len; i++)
        if (plait_toml_get(ms.items[i].toml, "workspace.")) workspace_rules(&l, &ms.items[i], ms.items, ms.len);
    for (size_t i = 0; i < ms.len; i++) {
        const char *name = plait_toml_get(ms.items[i].toml, "package.name");
        if (!name) continue;
        if (plait_workspace_is_excluded(out, ms.items[i].dir)) {
            plait_path_diag_add(diags, ms.items[i].dir, PLAIT_DIAG_INFO, "excluded", "package `%s` is excluded by its workspace; not indexed", name);
            continue;
        }
        plait_package p = {xstrdup(name), xstrdup(ms.items[i].dir)};
        PLAIT_VEC_PUSH(&out->packages, p);
    }
    if (out->packages.len) qsort(out->packages.items, out->packages.len, sizeof *out->packages.items, cmp_pkg);
    for (size_t p = 0; p < out->packages.len; p++) {
        for (size_t i = 0; i < ms.len; i++) {
            if (strcmp(ms.items[i].dir, out->packages.items[p].dir) != 0) continue;
            package_targets(&l, (int)p, ms.items[i].toml);
            break;
        }
    }
    char *real = realpath(root, NULL);
    out->loose_crate = crate_ident(real ? plait_path_basename(real) : "root");
    free(real);
    for (size_t i = 0; i < ms.len; i++) {
        free(ms.items[i].dir);
        plait_toml_free(ms.items[i].toml);
    }
    PLAIT_VEC_FREE(&ms);
    plait_strmap_free(&l.files);
    return PLAIT_OK;
}

void plait_workspace_free(plait_workspace *ws)
{
    for (size_t i = 0; i < ws->packages.len; i++) {
        free(ws->packages.items[i].name);
        free(ws->packages.items[i].dir);
    }
    for (size_t i = 0; i < ws->targets.len; i++) {
        free(ws->targets.items[i].crate);
        free(ws->targets.items[i].id);
        free(ws->targets.items[i].root);
    }
    for (size_t i = 0; i < ws->excluded.len; i++) free(ws->excluded.items[i]);
    PLAIT_VEC_FREE(&ws->packages);
    PLAIT_VEC_FREE(&ws->targets);
    PLAIT_VEC_FREE(&ws->excluded);
    free(ws->loose_crate);
    memset(ws, 0, sizeof *ws);
}
