/* walk.c - directory walk with ignore rules and loop detection (see walk.h). */
#include "discover/walk.h"
#include "discover/ignore.h"
#include "core/fsutil.h"
#include "parse/extract.h"
#include "plait/error.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DIR_DEPTH 200

typedef struct {
    const plait_walk_opts *opts;
    plait_walk *out;
    PLAIT_VEC(plait_ignore *) ignores;
    PLAIT_VEC(struct { dev_t dev; ino_t ino; }) ancestors;
} walker;

void plait_path_diag_add(plait_path_diags *d, const char *path, int severity, const char *code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    plait_path_diag pd = {xstrdup(path), severity, xstrdup(code), xstrdup(buf)};
    PLAIT_VEC_PUSH(d, pd);
}

void plait_path_diags_free(plait_path_diags *d)
{
    for (size_t i = 0; i < d->len; i++) {
        free(d->items[i].path);
        free(d->items[i].code);
        free(d->items[i].message);
    }
    PLAIT_VEC_FREE(d);
}

static int ignored(walker *w, const char *rel, int is_dir)
{
    for (size_t i = w->ignores.len; i-- > 0;) {
        if (!w->ignores.items[i]) continue;
        int r = plait_ignore_check(w->ignores.items[i], rel, is_dir);
        if (r) return r > 0;
    }
    return 0;
}

static void load_ignore(walker *w, const char *absdir, const char *reldir, const char *name)
{
    char *p = plait_path_join(absdir, name);
    char *text;
    size_t len;
    if (plait_read_file(p, 1 << 20, &text, &len) == PLAIT_OK) {
        PLAIT_VEC_PUSH(&w->ignores, plait_ignore_parse(text, reldir));
        free(text);
    } else {
        PLAIT_VEC_PUSH(&w->ignores, NULL); /* keep push/pop balanced */
    }
    free(p);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int skip_dir_name(const char *name)
{
    return !strcmp(name, ".git") || !strcmp(name, ".plait") || !strcmp(name, ".hg") || !strcmp(name, ".svn");
}

/* Cargo's build folder: `target/` marked with CACHEDIR.TAG or next to a manifest. */
static int is_target_dir(const char *absdir, const char *name, const char *child)
{
    if (strcmp(name, "target") != 0) return 0;
    char *tag = plait_path_join(child, "CACHEDIR.TAG"), *man = plait_path_join(absdir, "Cargo.toml");
    int r = plait_is_file(tag) || plait_is_file(man);
    free(tag);
    free(man);
    return r;
}

static void walk_dir(walker *w, const char *absdir, const char *reldir, int depth);

static void visit(walker *w, const char *absdir, const char *reldir, const char *name, int depth)
{
    char *abs = plait_path_join(absdir, name);
    char *rel = *reldir ? xasprintf("%s/%s", reldir, name) : xstrdup(name);
    struct stat st;
    if (stat(abs, &st) != 0) {
        if (errno == ELOOP)
            plait_path_diag_add(&w->out->diags, rel, PLAIT_DIAG_WARNING, "symlink-loop", "symlink loop: %s resolves to itself; skipped", rel);
        else if (errno == ENOENT)
            plait_path_diag_add(&w->out->diags, rel, PLAIT_DIAG_INFO, "broken-symlink", "dangling symlink skipped");
        else
            plait_path_diag_add(&w->out->diags, rel, PLAIT_DIAG_WARNING, "unreadable", "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        if (skip_dir_name(name) || ignored(w, rel, 1) || is_target_dir(absdir, name, abs)) goto out;
        for (size_t i = 0; i < w->ancestors.len; i++) {
            if (w->ancestors.items[i].dev == st.st_dev && w->ancestors.items[i].ino == st.st_ino) {
                plait_path_diag_add(&w->out->diags, rel, PLAIT_DIAG_WARNING, "symlink-loop",
                                    "directory loop: %s leads back to one of its parents; not followed", rel);
                goto out;
            }
        }
        if (depth >= MAX_DIR_DEPTH) {
            plait_path_diag_add(&w->out->diags, rel, PLAIT_DIAG_WARNING, "too-deep", "directory nesting over %d levels; not followed", MAX_DIR_DEPTH);
            goto out;
        }
        PLAIT_VEC_GROW(&w->ancestors, w->ancestors.len + 1);
        w->ancestors.items[w->ancestors.len].dev = st.st_dev;
        w->ancestors.items[w->ancestors.len].ino = st.st_ino;
        w->ancestors.len++;
        walk_dir(w, abs, rel, depth + 1);
        w->ancestors.len--;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) goto out;
    size_t nl = strlen(name);
    int is_rs = nl > 3 && !strcmp(name + nl - 3, ".rs");
    int is_manifest = !strcmp(name, "Cargo.toml");
    if ((!is_rs && !is_manifest) || ignored(w, rel, 0)) goto out;
    if (is_rs && w->opts->max_file_size > 0 && st.st_size > w->opts->max_file_size) {
        plait_path_diag_add(&w->out->diags, rel, PLAIT_DIAG_WARNING, "too-large",
                            "%lld bytes is over the %lld-byte limit; skipped (raise it with --max-file-size)",
                            (long long)st.st_size, (long long)w->opts->max_file_size);
        goto out;
    }
    plait_found f = {xstrdup(rel), st.st_size, (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                     is_rs ? PLAIT_FILE_RUST : PLAIT_FILE_MANIFEST};
    PLAIT_VEC_PUSH(&w->out->files, f);
out:
    free(abs);
    free(rel);
}

static void walk_dir(walker *w, const char *absdir, const char *reldir, int depth)
{
    DIR *d = opendir(absdir);
    if (!d) {
        plait_path_diag_add(&w->out->diags, *reldir ? reldir : ".", PLAIT_DIAG_WARNING, "unreadable",
                            "cannot read directory: %s", strerror(errno));
        return;
    }
    PLAIT_VEC(char *) names = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        PLAIT_VEC_PUSH(&names, xstrdup(e->d_name));
    }
    closedir(d);
    if (names.len) qsort(names.items, names.len, sizeof *names.items, cmp_str);
    load_ignore(w, absdir, reldir, ".gitignore");
    load_ignore(w, absdir, reldir, ".plaitignore");
    for (size_t i = 0; i < names.len; i++) {
        visit(w, absdir, reldir, names.items[i], depth);
        free(names.items[i]);
    }
    for (int k = 0; k < 2; k++) plait_ignore_free(w->ignores.items[--w->ignores.len]);
    PLAIT_VEC_FREE(&names);
}

static int cmp_found(const void *a, const void *b)
{
    return strcmp(((const plait_found *)a)->rel, ((const plait_found *)b)->rel);
}

int plait_walk_run(const char *root, const plait_walk_opts *opts, plait_walk *out)
{
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return plait_error_set(PLAIT_ENOTFOUND, "%s is not a directory: give the root of a Rust workspace or crate", root);
    walker w = {.opts = opts, .out = out};
    PLAIT_VEC_GROW(&w.ancestors, 1);
    w.ancestors.items[0].dev = st.st_dev;
    w.ancestors.items[0].ino = st.st_ino;
    w.ancestors.len = 1;
    walk_dir(&w, root, "", 0);
    PLAIT_VEC_FREE(&w.ignores);
    PLAIT_VEC_FREE(&w.ancestors);
    if (out->files.len) qsort(out->files.items, out->files.len, sizeof *out->files.items, cmp_found);
    return PLAIT_OK;
}

void plait_walk_free(plait_walk *w)
{
    for (size_t i = 0; i < w->files.len; i++) free(w->files.items[i].rel);
    PLAIT_VEC_FREE(&w->files);
    plait_path_diags_free(&w->diags);
}
