/* deps.c - dependency crates: Cargo.lock, manifests' dependency tables, source lookup (see deps.h). */
#include "discover/deps.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "parse/extract.h"
#include "parse/toml.h"
#include "plait/error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_toml(void);

#define SYSTEM_REGISTRY "/usr/share/cargo/registry"

int plait_deps_is_dep_path(const char *path) { return path && path[0] == '/'; }

/* --- reading manifests ---------------------------------------------------------------- */

typedef struct {
    char *text;
    size_t len;
    plait_toml *toml;
} manifest;

static int manifest_read(const char *path, manifest *m, plait_path_diags *diags, const char *diag_path)
{
    memset(m, 0, sizeof *m);
    int rc = plait_read_file(path, 4 << 20, &m->text, &m->len);
    if (rc == PLAIT_OK && (rc = plait_toml_parse(m->text, m->len, &m->toml)) != PLAIT_OK) {
        free(m->text);
        m->text = NULL;
    }
    if (rc != PLAIT_OK && rc != PLAIT_ENOTFOUND && diags)
        plait_path_diag_add(diags, diag_path, PLAIT_DIAG_WARNING, "dependency", "%s: %s", path, plait_error_last());
    return rc;
}

static void manifest_free(manifest *m)
{
    free(m->text);
    plait_toml_free(m->toml);
    memset(m, 0, sizeof *m);
}

/* The text of a TOML key node as the flattened table spells it (quotes removed). */
static char *key_part(const char *src, TSNode k)
{
    uint32_t a = ts_node_start_byte(k), b = ts_node_end_byte(k);
    if (!strcmp(ts_node_type(k), "quoted_key") && b - a >= 2) return xstrndup(src + a + 1, b - a - 2);
    return xstrndup(src + a, b - a);
}

static char *key_text(const char *src, TSNode k)
{
    if (strcmp(ts_node_type(k), "dotted_key") != 0) return key_part(src, k);
    char *acc = NULL;
    uint32_t n = ts_node_named_child_count(k);
    for (uint32_t i = 0; i < n; i++) {
        char *part = key_text(src, ts_node_named_child(k, i));
        char *next = acc ? xasprintf("%s.%s", acc, part) : xstrdup(part);
        free(acc);
        free(part);
        acc = next;
    }
    return acc ? acc : xstrdup("");
}

/* Length of the dependency-table prefix of `h` ("dependencies", "target.X.build-dependencies",
 * "workspace.dependencies"), 0 if `h` is not one.  `whole` asks for `h` to be exactly it. */
static size_t dep_table_len(const char *h)
{
    static const char *const names[] = {"dependencies", "dev-dependencies", "build-dependencies"};
    for (int i = 0; i < 3; i++) {
        const char *hit = h;
        size_t nl = strlen(names[i]);
        while ((hit = strstr(hit, names[i]))) {
            int starts = hit == h || hit[-1] == '.';
            int ends = hit[nl] == '\0' || hit[nl] == '.';
            if (starts && ends) return (size_t)(hit - h) + nl;
            hit += nl;
        }
    }
    return 0;
}

typedef PLAIT_VEC(char *) str_list;

/* Every dependency entry of a manifest as "TABLE\tNAME": keys under [dependencies]-like
 * tables and [dependencies.NAME] headers (plait_toml cannot list keys, so the tree is walked
 * for the names; values are then read from the flattened table). */
static void dep_entries(const manifest *m, str_list *out)
{
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_toml());
    TSTree *tree = ts_parser_parse_string(p, NULL, m->text, (uint32_t)m->len);
    TSNode root = ts_tree_root_node(tree);
    uint32_t n = ts_node_named_child_count(root);
    for (uint32_t i = 0; i < n; i++) {
        TSNode tb = ts_node_named_child(root, i);
        if (strcmp(ts_node_type(tb), "table") != 0 || !ts_node_named_child_count(tb)) continue;
        char *h = key_text(m->text, ts_node_named_child(tb, 0));
        size_t tl = dep_table_len(h);
        if (tl && h[tl] == '.') { /* [dependencies.NAME] */
            h[tl] = '\0';
            PLAIT_VEC_PUSH(out, xasprintf("%s\t%s", h, h + tl + 1));
        } else if (tl && !h[tl]) {
            uint32_t np = ts_node_named_child_count(tb);
            for (uint32_t k = 1; k < np; k++) {
                TSNode pr = ts_node_named_child(tb, k);
                if (strcmp(ts_node_type(pr), "pair") != 0 || !ts_node_named_child_count(pr)) continue;
                char *key = key_text(m->text, ts_node_named_child(pr, 0));
                char *dot = strchr(key, '.'); /* `foo.version = "1"` names foo */
                if (dot) *dot = '\0';
                PLAIT_VEC_PUSH(out, xasprintf("%s\t%s", h, key));
                free(key);
            }
        }
        free(h);
    }
    ts_tree_delete(tree);
    ts_parser_delete(p);
}

static void str_list_free(str_list *l)
{
    for (size_t i = 0; i < l->len; i++) free(l->items[i]);
    PLAIT_VEC_FREE(l);
}

/* --- versions and source lookup ------------------------------------------------------- */

/* Semantic-version order on the numeric parts; a pre-release sorts before its release. */
static int cmp_version(const char *a, const char *b)
{
    while (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
        char *ea, *eb;
        unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
        if (x != y) return x < y ? -1 : 1;
        a = ea;
        b = eb;
        if (*a == '.' && *b == '.') {
            a++;
            b++;
        } else if (*a == '.' || *b == '.') {
            return *a == '.' ? 1 : -1;
        }
    }
    int pa = *a == '-', pb = *b == '-';
    if (pa != pb) return pa ? -1 : 1;
    return strcmp(a, b);
}

typedef struct {
    const char *name, *version; /* version NULL: the highest */
    char *best, *best_version;
} lookup;

static int has_manifest(const char *dir)
{
    char *m = plait_path_join(dir, "Cargo.toml");
    int ok = plait_is_file(m);
    free(m);
    return ok;
}

/* Offers `dir` (holding `ver`) to the lookup; returns 1 when the search can stop. */
static int offer(lookup *l, const char *dir, const char *ver)
{
    if (!has_manifest(dir)) return 0;
    if (l->version) {
        if (strcmp(ver, l->version) != 0) return 0;
    } else if (l->best && cmp_version(ver, l->best_version) <= 0) {
        return 0;
    }
    free(l->best);
    free(l->best_version);
    l->best = xstrdup(dir);
    l->best_version = xstrdup(ver);
    return l->version != NULL;
}

/* The entries NAME-VERSION of `dir`, in name order. */
static int scan_dir(lookup *l, const char *dir)
{
    if (l->version) {
        char *base = xasprintf("%s-%s", l->name, l->version), *d = plait_path_join(dir, base);
        int hit = offer(l, d, l->version);
        free(base);
        free(d);
        return hit;
    }
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    size_t nl = strlen(l->name);
    for (int i = 0; i < n; i++) {
        const char *e = ents[i]->d_name;
        if (!strncmp(e, l->name, nl) && e[nl] == '-' && e[nl + 1] >= '0' && e[nl + 1] <= '9') {
            char *d = plait_path_join(dir, e);
            offer(l, d, e + nl + 1);
            free(d);
        }
        free(ents[i]);
    }
    free(ents);
    return 0;
}

static char *cargo_home(const plait_deps_opts *o)
{
    if (o && o->cargo_home) return xstrdup(o->cargo_home);
    const char *ch = getenv("CARGO_HOME"), *home = getenv("HOME");
    if (ch && *ch) return xstrdup(ch);
    return home && *home ? plait_path_join(home, ".cargo") : NULL;
}

/* ROOT/vendor/NAME holds whatever version cargo vendor put there: read it from its manifest. */
static int scan_vendor_plain(lookup *l, const char *root)
{
    char *vendor = plait_path_join(root, "vendor"), *d = plait_path_join(vendor, l->name);
    char *mp = plait_path_join(d, "Cargo.toml");
    manifest m;
    int hit = 0;
    if (manifest_read(mp, &m, NULL, NULL) == PLAIT_OK) {
        const char *v = plait_toml_get(m.toml, "package.version");
        hit = offer(l, d, v ? v : "0");
        manifest_free(&m);
    }
    if (!hit) hit = scan_dir(l, vendor);
    free(mp);
    free(d);
    free(vendor);
    return hit;
}

char *plait_deps_locate(const char *root, const plait_deps_opts *opts, const char *name, const char *version)
{
    lookup l = {name, version && *version ? version : NULL, NULL, NULL};
    int hit = scan_vendor_plain(&l, root);
    char *ch = hit ? NULL : cargo_home(opts);
    if (ch) {
        char *src = plait_path_join(ch, "registry/src");
        struct dirent **ents = NULL;
        int n = scandir(src, &ents, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            if (!hit && ents[i]->d_name[0] != '.') {
                char *d = plait_path_join(src, ents[i]->d_name);
                hit = scan_dir(&l, d);
                free(d);
            }
            free(ents[i]);
        }
        free(ents);
        free(src);
        free(ch);
    }
    const char *sys = opts && opts->system_dir ? opts->system_dir : SYSTEM_REGISTRY;
    if (!hit && *sys) scan_dir(&l, sys);
    free(l.best_version);
    if (l.best) plait_path_normalise(l.best);
    return l.best;
}

/* --- what the workspace asks for ------------------------------------------------------ */

typedef struct {
    str_list aliases; /* names the workspace gives the package in place of its own */
    char *path;       /* absolute directory of a path dependency */
} want;

static want *want_of(plait_strmap *wants, const char *pkg)
{
    want *w = plait_strmap_get(wants, pkg);
    if (!w) plait_strmap_put(wants, pkg, w = xcalloc(1, sizeof *w));
    return w;
}

static void wants_free(plait_strmap *wants)
{
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(wants, &pos, NULL, &v)) {
        want *w = v;
        str_list_free(&w->aliases);
        free(w->path);
        free(w);
    }
    plait_strmap_free(wants);
}

static const char *tget(const manifest *m, const char *prefix, const char *name, const char *field)
{
    char *k = field ? xasprintf("%s.%s.%s", prefix, name, field) : xasprintf("%s.%s", prefix, name);
    const char *v = plait_toml_get(m->toml, k);
    free(k);
    return v;
}

/* Records the dependencies a manifest in `dir` (absolute) names.  `ws_root` answers
 * `name = { workspace = true }` from its [workspace.dependencies]. */
static void manifest_wants(const manifest *m, const char *dir, const manifest *ws_root, const char *ws_dir, int with_dev,
                           plait_strmap *wants)
{
    str_list e = {0};
    dep_entries(m, &e);
    for (size_t i = 0; i < e.len; i++) {
        char *table = e.items[i], *name = strchr(table, '\t');
        *name++ = '\0';
        if (!with_dev && (strstr(table, "dev-dependencies") || strstr(table, "build-dependencies"))) continue;
        const manifest *src = m;
        const char *sdir = dir, *pre = table;
        const char *inherit = tget(m, table, name, "workspace");
        if (inherit && !strcmp(inherit, "true") && ws_root && ws_root->toml) {
            src = ws_root;
            sdir = ws_dir;
            pre = "workspace.dependencies";
        }
        const char *pkg = tget(src, pre, name, "package"), *path = tget(src, pre, name, "path");
        want *w = want_of(wants, pkg ? pkg : name);
        if (pkg && strcmp(pkg, name) != 0) {
            int dup = 0;
            for (size_t k = 0; k < w->aliases.len; k++) dup |= !strcmp(w->aliases.items[k], name);
            if (!dup) PLAIT_VEC_PUSH(&w->aliases, xstrdup(name));
        }
        if (path && !w->path) {
            w->path = plait_path_join(sdir, path);
            plait_path_normalise(w->path);
        }
    }
    str_list_free(&e);
}

static char *crate_name(const char *name)
{
    char *s = xstrdup(name);
    for (char *c = s; *c; c++)
        if (*c == '-') *c = '_';
    return s;
}

/* A package of the workspace that is not a vendored copy (ROOT/vendor/NAME is a dependency's
 * sources even though the walk found its manifest). */
static int is_member(const plait_workspace *ws, const char *name)
{
    for (size_t i = 0; i < ws->packages.len; i++)
        if (!strcmp(ws->packages.items[i].name, name) && strncmp(ws->packages.items[i].dir, "vendor/", 7) != 0) return 1;
    return 0;
}

static plait_dep *dep_add(plait_deps *out, const char *name, const char *version)
{
    plait_dep d = {0};
    d.name = xstrdup(name);
    d.version = xstrdup(version ? version : "");
    PLAIT_VEC_PUSH(&out->deps, d);
    return &out->deps.items[out->deps.len - 1];
}

typedef struct {
    const char *root;          /* absolute */
    const plait_deps_opts *opts;
    plait_path_diags *diags;
    const char *diag_path;     /* "Cargo.lock" or "Cargo.toml" */
    plait_strmap wants;
} ctx;

/* Finds the dependency's sources, its library root and the crate names it gets. */
static void dep_finish(ctx *c, plait_dep *d)
{
    want *w = plait_strmap_get(&c->wants, d->name);
    if (!d->dir) d->dir = w && w->path && has_manifest(w->path) ? xstrdup(w->path) : plait_deps_locate(c->root, c->opts, d->name, d->version);
    if (!d->dir) {
        char *ch = cargo_home(c->opts);
        const char *sys = c->opts && c->opts->system_dir ? c->opts->system_dir : SYSTEM_REGISTRY;
        plait_path_diag_add(c->diags, c->diag_path, PLAIT_DIAG_WARNING, "dependency-missing",
                            "dependency %s %s: sources not found in %s/vendor, %s/registry/src%s%s; not indexed", d->name,
                            *d->version ? d->version : "(any version)", c->root, ch ? ch : "$CARGO_HOME", *sys ? " or " : "", sys);
        free(ch);
        return;
    }
    char *mp = plait_path_join(d->dir, "Cargo.toml");
    manifest m;
    if (manifest_read(mp, &m, c->diags, c->diag_path) == PLAIT_OK) {
        const char *lp = plait_toml_get(m.toml, "lib.path"), *ln = plait_toml_get(m.toml, "lib.name");
        const char *v = plait_toml_get(m.toml, "package.version");
        if (!*d->version && v) {
            free(d->version);
            d->version = xstrdup(v);
        }
        char *lib = plait_path_join(d->dir, lp ? lp : "src/lib.rs");
        plait_path_normalise(lib);
        if (plait_is_file(lib)) {
            d->lib = lib;
            /* its own name always (other dependencies use it), and every alias a member gives it */
            PLAIT_VEC_PUSH(&d->crates, crate_name(ln ? ln : d->name));
            for (size_t k = 0; w && k < w->aliases.len; k++) {
                char *a = crate_name(w->aliases.items[k]);
                if (strcmp(a, d->crates.items[0]) != 0) PLAIT_VEC_PUSH(&d->crates, a);
                else free(a);
            }
        } else {
            plait_path_diag_add(c->diags, c->diag_path, PLAIT_DIAG_INFO, "dependency-no-lib",
                                "dependency %s %s has no library target (%s); not indexed", d->name, d->version, lib);
            free(lib);
        }
        manifest_free(&m);
    }
    free(mp);
}

/* Cargo.lock: every package but the members.  Returns PLAIT_ENOTFOUND without a lock file. */
static int read_lock(ctx *c, const plait_workspace *ws, plait_deps *out)
{
    char *lp = plait_path_join(c->root, "Cargo.lock");
    manifest lock;
    int rc = manifest_read(lp, &lock, c->diags, "Cargo.lock");
    free(lp);
    if (rc != PLAIT_OK) return rc;
    int n = plait_toml_count(lock.toml, "package");
    for (int i = 0; i < n; i++) {
        char k[64];
        snprintf(k, sizeof k, "package[%d].name", i);
        const char *name = plait_toml_get(lock.toml, k);
        snprintf(k, sizeof k, "package[%d].version", i);
        const char *ver = plait_toml_get(lock.toml, k);
        snprintf(k, sizeof k, "package[%d].source", i);
        const char *source = plait_toml_get(lock.toml, k);
        if (!name || (!source && is_member(ws, name))) continue;
        dep_add(out, name, ver);
    }
    manifest_free(&lock);
    out->from_lock = 1;
    return PLAIT_OK;
}

/* No Cargo.lock: the members' dependencies, then theirs, each at the highest version found. */
static void from_manifests(ctx *c, const plait_workspace *ws, plait_deps *out)
{
    str_list queue = {0};
    plait_strmap seen;
    plait_strmap_init(&seen);
    size_t pos = 0;
    const char *k;
    while (plait_strmap_next(&c->wants, &pos, &k, NULL))
        if (!is_member(ws, k)) PLAIT_VEC_PUSH(&queue, xstrdup(k));
    for (size_t i = 0; i < queue.len; i++) {
        if (plait_strmap_has(&seen, queue.items[i])) continue;
        plait_strmap_put(&seen, queue.items[i], (void *)1);
        plait_dep *d = dep_add(out, queue.items[i], NULL);
        dep_finish(c, d);
        if (!d->dir) continue;
        char *mp = plait_path_join(d->dir, "Cargo.toml");
        manifest m;
        if (manifest_read(mp, &m, NULL, NULL) == PLAIT_OK) {
            plait_strmap theirs; /* their renames name crates inside them only: just the packages */
            plait_strmap_init(&theirs);
            manifest_wants(&m, d->dir, NULL, NULL, 0, &theirs);
            size_t tp = 0;
            const char *tk;
            void *tv;
            while (plait_strmap_next(&theirs, &tp, &tk, &tv)) {
                want *tw = tv;
                if (tw->path && !plait_strmap_has(&c->wants, tk)) want_of(&c->wants, tk)->path = xstrdup(tw->path);
                if (!plait_strmap_has(&seen, tk) && !is_member(ws, tk)) PLAIT_VEC_PUSH(&queue, xstrdup(tk));
            }
            wants_free(&theirs);
            manifest_free(&m);
        }
        free(mp);
    }
    str_list_free(&queue);
    plait_strmap_free(&seen);
}

static int cmp_dep(const void *a, const void *b)
{
    const plait_dep *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : cmp_version(x->version, y->version);
}

int plait_deps_discover(const char *root, const plait_workspace *ws, const plait_deps_opts *opts, plait_deps *out,
                        plait_path_diags *diags)
{
    char *real = realpath(root, NULL);
    ctx c = {real ? real : root, opts, diags, "Cargo.lock", {0}};
    plait_strmap_init(&c.wants);
    char *rp = plait_path_join(c.root, "Cargo.toml");
    manifest rootm;
    if (manifest_read(rp, &rootm, NULL, NULL) != PLAIT_OK) memset(&rootm, 0, sizeof rootm);
    for (size_t i = 0; i < ws->packages.len; i++) {
        if (!is_member(ws, ws->packages.items[i].name)) continue;
        char *dir = plait_path_join(c.root, ws->packages.items[i].dir), *mp = plait_path_join(dir, "Cargo.toml");
        manifest m;
        if (manifest_read(mp, &m, NULL, NULL) == PLAIT_OK) {
            manifest_wants(&m, dir, &rootm, c.root, 1, &c.wants);
            manifest_free(&m);
        }
        free(mp);
        free(dir);
    }
    if (rootm.toml && plait_toml_get(rootm.toml, "workspace.")) manifest_wants(&rootm, c.root, &rootm, c.root, 1, &c.wants);
    if (read_lock(&c, ws, out) == PLAIT_OK) {
        for (size_t i = 0; i < out->deps.len; i++) dep_finish(&c, &out->deps.items[i]);
    } else {
        c.diag_path = "Cargo.toml";
        from_manifests(&c, ws, out);
    }
    if (out->deps.len) qsort(out->deps.items, out->deps.len, sizeof *out->deps.items, cmp_dep);
    manifest_free(&rootm);
    free(rp);
    wants_free(&c.wants);
    free(real);
    return PLAIT_OK;
}

void plait_deps_free(plait_deps *d)
{
    for (size_t i = 0; i < d->deps.len; i++) {
        plait_dep *x = &d->deps.items[i];
        free(x->name);
        free(x->version);
        free(x->dir);
        free(x->lib);
        for (size_t k = 0; k < x->crates.len; k++) free(x->crates.items[k]);
        PLAIT_VEC_FREE(&x->crates);
    }
    PLAIT_VEC_FREE(&d->deps);
    memset(d, 0, sizeof *d);
}

void plait_deps_add_targets(plait_workspace *ws, const char *root, const plait_deps *d)
{
    char *real = realpath(root, NULL);
    size_t rl = real ? strlen(real) : 0;
    for (size_t i = 0; i < d->deps.len; i++) {
        const plait_dep *dep = &d->deps.items[i];
        if (!dep->lib) continue;
        if (real && !strncmp(dep->dir, real, rl) && dep->dir[rl] == '/') { /* vendored inside the root */
            const char *rel = dep->dir + rl + 1;
            for (size_t p = 0; p < ws->packages.len; p++) {
                if (strcmp(ws->packages.items[p].dir, rel) != 0) continue;
                size_t w = 0;
                for (size_t t = 0; t < ws->targets.len; t++) {
                    plait_target *tg = &ws->targets.items[t];
                    if (tg->package == (int)p) {
                        free(tg->crate);
                        free(tg->id);
                        free(tg->root);
                    } else {
                        ws->targets.items[w++] = *tg;
                    }
                }
                ws->targets.len = w;
            }
            PLAIT_VEC_PUSH(&ws->excluded, xstrdup(rel));
        }
        plait_package pk = {xstrdup(dep->name), xstrdup(dep->dir)};
        PLAIT_VEC_PUSH(&ws->packages, pk);
        for (size_t c = 0; c < dep->crates.len; c++) {
            plait_target t = {0};
            t.crate = xstrdup(dep->crates.items[c]);
            t.id = xasprintf("dep:%s-%s|%s|%s", dep->name, dep->version, plait_target_kind_name(PLAIT_TARGET_DEP), t.crate);
            t.kind = PLAIT_TARGET_DEP;
            t.root = xstrdup(dep->lib);
            t.package = (int)ws->packages.len - 1;
            PLAIT_VEC_PUSH(&ws->targets, t);
        }
    }
    free(real);
}

/* --- aliases ------------------------------------------------------------------------------ */

/* The crate name package `pkg` is known by: a member's library target, else its name. */
static char *package_crate(const plait_workspace *ws, const char *pkg)
{
    for (size_t i = 0; i < ws->targets.len; i++) {
        const plait_target *t = &ws->targets.items[i];
        if (t->package >= 0 && t->kind == PLAIT_TARGET_LIB && !strcmp(ws->packages.items[t->package].name, pkg))
            return xstrdup(t->crate);
    }
    return crate_name(pkg);
}

static int cmp_line(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char *plait_deps_aliases(const char *root, const plait_workspace *ws)
{
    str_list lines = {0};
    for (size_t p = 0; p < ws->packages.len; p++) {
        const plait_package *pk = &ws->packages.items[p];
        if (pk->dir[0] == '/' || !strncmp(pk->dir, "vendor/", 7)) continue; /* members only */
        char *dir = plait_path_join(root, pk->dir), *path = plait_path_join(dir, "Cargo.toml");
        manifest m;
        if (manifest_read(path, &m, NULL, NULL) == PLAIT_OK) {
            str_list e = {0};
            dep_entries(&m, &e);
            for (size_t i = 0; i < e.len; i++) {
                char *table = e.items[i], *name = strchr(table, '\t');
                *name++ = '\0';
                const char *real = tget(&m, table, name, "package");
                if (!real || !strcmp(real, name)) continue;
                char *alias = crate_name(name), *rc = package_crate(ws, real);
                for (size_t t = 0; t < ws->targets.len; t++)
                    if (ws->targets.items[t].package == (int)p)
                        PLAIT_VEC_PUSH(&lines, xasprintf("%s %s %s\n", ws->targets.items[t].crate, alias, rc));
                free(alias);
                free(rc);
            }
            str_list_free(&e);
            manifest_free(&m);
        }
        free(dir);
        free(path);
    }
    if (lines.len) qsort(lines.items, lines.len, sizeof *lines.items, cmp_line);
    strbuf sb = {0};
    strbuf_puts(&sb, "");
    for (size_t i = 0; i < lines.len; i++)
        if (i == 0 || strcmp(lines.items[i], lines.items[i - 1]) != 0) strbuf_puts(&sb, lines.items[i]);
    str_list_free(&lines);
    char *out = strbuf_detach(&sb);
    return out ? out : xstrdup("");
}

