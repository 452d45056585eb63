/*
 * writer.c - the writer stage: mounts files in the module tree and commits them.
 *
 * A file can only be turned into nodes once its mount (crate + module path) is known.  Crate
 * roots are mounted from the start; every other file is mounted when the file declaring it
 * (`mod x;`) is written.  Results that arrive before their parent wait in `pending`; the
 * discovery order (roots first, then by path) keeps that wait short.  What is still pending
 * at the end is reached by no declaration: it is mounted by its file path and reported.
 * Unchanged files are not parsed: their stored `mod` declarations mount their children, and
 * if their own mount changed they are parsed again here.  Files are committed in batches.
 */
#include "index/index_internal.h"
#include "discover/deps.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "plait/error.h"

#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_FILES 256

static int handle(pipeline *p, plait_job *j);

static mount_list *mounts_of(pipeline *p, const char *rel) { return plait_strmap_get(&p->mounts, rel); }

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted, so the signature does not depend on the order mounts arrived in. */
static char *mounts_signature(mount_list *ml)
{
    char **sigs = xcalloc(ml->len + 1, sizeof *sigs);
    for (size_t i = 0; i < ml->len; i++) sigs[i] = plait_mount_signature(ml->items[i]);
    if (ml->len) qsort(sigs, ml->len, sizeof *sigs, cmp_cstr);
    strbuf sb = {0};
    for (size_t i = 0; i < ml->len; i++) {
        if (i) strbuf_putc(&sb, '\n');
        strbuf_puts(&sb, sigs[i]);
        free(sigs[i]);
    }
    free(sigs);
    return strbuf_detach(&sb);
}

static void mount_key(const plait_mount *m, char out[PLAIT_KEY_LEN])
{
    plait_graph_key(out, m->target->id, m->modpath, m->is_root ? PLAIT_KIND_CRATE : PLAIT_KIND_MODULE, m->cfg, 0);
}

/* Adds a mount; returns 1 if it was new. */
static int add_mount(pipeline *p, const char *rel, plait_mount *m)
{
    mount_list *ml = mounts_of(p, rel);
    if (!ml) {
        ml = xcalloc(1, sizeof *ml);
        plait_strmap_put(&p->mounts, rel, ml);
    }
    char *sig = plait_mount_signature(m);
    for (size_t i = 0; i < ml->len; i++) {
        char *other = plait_mount_signature(ml->items[i]);
        int same = !strcmp(sig, other);
        free(other);
        if (same) {
            free(sig);
            plait_mount_free(m);
            free(m);
            return 0;
        }
    }
    free(sig);
    PLAIT_VEC_PUSH(ml, m);
    if (plait_strmap_get(&p->processed, rel) && !plait_strmap_get(&p->recheck, rel)) {
        plait_strmap_put(&p->recheck, rel, (void *)1);
        PLAIT_VEC_PUSH(&p->remount, xstrdup(rel));
    }
    return 1;
}

static int ensure_tx(pipeline *p)
{
    if (p->in_tx) return PLAIT_OK;
    int rc = plait_store_begin(p->store);
    if (rc == PLAIT_OK) p->in_tx = 1;
    return rc;
}

/* Commits every BATCH_FILES files, so an interrupted run keeps its progress; except a first
 * load that keeps its resolvable edges for later (pending.c): files committed without them
 * would look complete to the next run.  A first load killed half-way leaves an empty index. */
static int maybe_commit(pipeline *p)
{
    if (p->defer_edges || !p->in_tx || ++p->batch < BATCH_FILES) return PLAIT_OK;
    p->batch = 0;
    p->in_tx = 0;
    return plait_store_commit(p->store);
}

/* Mounts the files that `x`'s `mod` declarations name, and writes any that were waiting. */
static int mount_children(pipeline *p, const char *rel, const plait_mount *m, const plait_extract *x)
{
    for (size_t i = 0; i < x->mods.len; i++) {
        const plait_moddecl *d = &x->mods.items[i];
        char *cand[2];
        int modrs[2], n = plait_graph_mod_candidates(rel, m->modrs, d->name, d->path_attr, d->inline_dir, cand, modrs);
        int pick = -1;
        for (int k = 0; k < n && pick < 0; k++)
            if (plait_strmap_get(&p->seen, cand[k])) pick = k;
        if (pick < 0) {
            plait_path_diag_add(&p->diags, rel, PLAIT_DIAG_WARNING, "module-not-found",
                                "line %u: `mod %s;` finds no indexed file (looked for %s%s%s)", d->line, d->name, cand[0],
                                n > 1 ? " and " : "", n > 1 ? cand[1] : "");
        } else {
            plait_mount *c = xcalloc(1, sizeof *c);
            c->target = m->target;
            c->modpath = xasprintf("%s::%s", m->modpath, d->rel_path);
            c->modrs = modrs[pick];
            c->visibility = d->visibility ? xstrdup(d->visibility) : NULL;
            c->doc = d->doc ? xstrdup(d->doc) : NULL;
            c->cfg = plait_cfg_join(m->cfg, d->cfg); /* a module inherits its parent's cfg */
            c->attrs = d->attrs ? xstrdup(d->attrs) : NULL;
            if (d->parent >= 0) {
                const plait_item *par = &x->items.items[d->parent];
                char *kp = xasprintf("%s::%s", m->modpath, par->key_path);
                char *pcfg = plait_cfg_join(m->cfg, par->cfg);
                plait_graph_key(c->parent_key, m->target->id, kp, PLAIT_KIND_MODULE, pcfg, par->disamb);
                free(pcfg);
                free(kp);
            } else {
                mount_key(m, c->parent_key);
            }
            char *child = xstrdup(cand[pick]);
            add_mount(p, child, c);
            plait_job *waiting = plait_strmap_get(&p->pending, child);
            if (waiting) {
                plait_strmap_put(&p->pending, child, NULL);
                int rc = handle(p, waiting);
                if (rc) {
                    free(child);
                    for (int k = 0; k < n; k++) free(cand[k]);
                    return rc;
                }
            }
            free(child);
        }
        for (int k = 0; k < n; k++) free(cand[k]);
    }
    return PLAIT_OK;
}

/* Reads and parses a file in the writer thread (a re-mount of an unchanged file). */
static void reparse(pipeline *p, plait_job *j)
{
    plait_extract_free(&j->x);
    char *abs = plait_path_join(p->opts->root, j->rel);
    free(j->src);
    j->src = NULL;
    if (plait_read_file(abs, (size_t)p->opts->max_file_size, &j->src, &j->len) != PLAIT_OK) {
        j->state = JOB_FAILED;
        plait_extract_diag(&j->x, PLAIT_DIAG_ERROR, 0, "unreadable", "%s", plait_error_last());
    } else {
        plait_hash_bytes(&j->hash, j->src, j->len);
        j->has_hash = 1;
        if (!p->parser && (p->parser = plait_rust_parser_new())) plait_rust_parser_set_refs(p->parser, !p->structure_only);
        j->state = plait_rust_extract(p->parser, j->src, j->len, &j->x) == PLAIT_OK ? JOB_PARSE : JOB_FAILED;
        p->stats->files_parsed++;
    }
    free(abs);
}

static int write_parsed(pipeline *p, plait_job *j, mount_list *ml, const char *sig)
{
    PLAIT_VEC(plait_node) nodes = {0};
    PLAIT_VEC(plait_edge) edges = {0};
    PLAIT_VEC(const plait_edge *) later = {0}; /* resolvable edges of a first load */
    plait_graph_file *gs = xcalloc(ml->len ? ml->len : 1, sizeof *gs);
    if (j->state == JOB_PARSE) {
        for (size_t i = 0; i < ml->len; i++) {
            plait_graph_build(&j->x, ml->items[i], &j->hash, (uint32_t)j->len, &gs[i]);
            for (size_t k = 0; k < gs[i].nodes.len; k++) PLAIT_VEC_PUSH(&nodes, gs[i].nodes.items[k]);
            for (size_t k = 0; k < gs[i].edges.len; k++) {
                const char *ek = gs[i].edges.items[k].kind;
                if (p->structure_only && (!strcmp(ek, "calls") || !strcmp(ek, "imports") || !strcmp(ek, "references_type")))
                    continue;
                if (p->defer_edges && plait_graph_resolvable(ek)) PLAIT_VEC_PUSH(&later, &gs[i].edges.items[k]);
                else PLAIT_VEC_PUSH(&edges, gs[i].edges.items[k]);
            }
        }
    }
    const char *mods = plait_strmap_get(&p->mods_of, j->rel);
    plait_file_rec rec = {.path = j->rel, .size = j->size, .mtime_ns = j->mtime_ns, .hash = j->hash,
                          .has_hash = j->state == JOB_PARSE && j->has_hash, .mounts = (char *)sig,
                          .mods = j->state == JOB_PARSE ? (char *)mods : NULL};
    int rc = ensure_tx(p);
    int64_t fid = 0;
    if (rc == PLAIT_OK)
        rc = plait_store_replace_file(p->store, &rec, nodes.items, nodes.len, edges.items, edges.len, j->x.diags.items,
                                      j->x.diags.len, &fid);
    if (rc == PLAIT_OK && p->defer_edges) pending_put(&p->pending_edges, fid, later.items, later.len);
    p->stats->nodes_written += (long)nodes.len;
    p->stats->edges_written += (long)(edges.len + later.len);
    p->stats->diagnostics += (long)j->x.diags.len;
    p->stats->changed = 1;
    for (size_t i = 0; i < (ml->len ? ml->len : 1); i++) plait_graph_file_free(&gs[i]);
    free(gs);
    PLAIT_VEC_FREE(&nodes);
    PLAIT_VEC_FREE(&edges);
    PLAIT_VEC_FREE(&later);
    return rc == PLAIT_OK ? maybe_commit(p) : rc;
}

/* Parsed files are kept (within a memory budget) until the end of the run: a file that gains
 * a mount later is then rewritten from memory instead of being parsed again in this thread. */
#define KEEP_BUDGET (256u << 20) /* bytes of source whose extracts may be kept */

static void keep_or_free(pipeline *p, plait_job *j)
{
    if (j->state == JOB_PARSE && p->kept_bytes + j->len <= KEEP_BUDGET && !plait_strmap_get(&p->kept, j->rel)) {
        p->kept_bytes += j->len;
        free(j->src);
        j->src = NULL;
        plait_strmap_put(&p->kept, j->rel, j);
        return;
    }
    plait_job_free(j);
}

/* A kept parse of `rel`, taken out of the cache, or NULL. */
static plait_job *take_kept(pipeline *p, const char *rel)
{
    plait_job *j = plait_strmap_get(&p->kept, rel);
    if (j) {
        plait_strmap_put(&p->kept, rel, NULL);
        p->kept_bytes -= j->len;
    }
    return j;
}

/* Writes (or confirms) a file that has at least one mount, then mounts its children. */
static int handle(pipeline *p, plait_job *j)
{
    mount_list *ml = mounts_of(p, j->rel);
    char *sig = mounts_signature(ml);
    const plait_file_rec *old = plait_strmap_get(&p->old_files, j->rel);
    int rc = PLAIT_OK;
    if (j->state == JOB_UNCHANGED || j->state == JOB_SAME_CONTENT) {
        int same = old && old->mounts && !strcmp(old->mounts, sig);
        if (same || !plait_index_stopping()) {
            if (j->state == JOB_SAME_CONTENT) {
                rc = ensure_tx(p);
                if (rc == PLAIT_OK) rc = plait_store_touch_file(p->store, j->rel, j->size, j->mtime_ns);
                p->stats->changed = 1;
            }
            p->stats->files_unchanged++;
            plait_graph_mods_from_json(old->mods, &j->x);
            if (!same && !plait_strmap_get(&p->recheck, j->rel)) {
                /* more mounts may still arrive: decide at the end whether it must be rewritten */
                plait_strmap_put(&p->recheck, j->rel, (void *)1);
                PLAIT_VEC_PUSH(&p->remount, xstrdup(j->rel));
            }
            free(sig);
            sig = xstrdup(old && old->mounts ? old->mounts : "");
        } else {
            reparse(p, j);
        }
    }
    /* remember the file's `mod` declarations: mounts that arrive later need them */
    free(plait_strmap_put(&p->mods_of, j->rel, j->state == JOB_UNCHANGED || j->state == JOB_SAME_CONTENT
                                                    ? xstrdup(old && old->mods ? old->mods : "[]")
                                                    : plait_graph_mods_to_json(&j->x)));
    if (rc == PLAIT_OK && (j->state == JOB_PARSE || j->state == JOB_FAILED)) {
        if (j->state == JOB_PARSE) p->stats->files_written++;
        else p->stats->files_failed++;
        rc = write_parsed(p, j, ml, sig);
    }
    free(plait_strmap_put(&p->processed, j->rel, xstrdup(sig)));
    for (size_t i = 0; rc == PLAIT_OK && i < ml->len; i++) rc = mount_children(p, j->rel, ml->items[i], &j->x);
    free(sig);
    keep_or_free(p, j);
    return rc;
}

int plait_index_write(pipeline *p)
{
    plait_job *j;
    int rc = PLAIT_OK;
    while ((j = plait_queue_pop(p->write_q))) {
        p->files_done++;
        plait_index_progress(p);
        if (rc != PLAIT_OK) {
            plait_job_free(j);
            continue;
        }
        if (j->state == JOB_VANISHED) {
            plait_path_diag_add(&p->diags, j->rel, PLAIT_DIAG_WARNING, "vanished", "deleted while being indexed; dropped from the index");
            plait_strmap_put(&p->seen, j->rel, (void *)2);
            plait_job_free(j);
            continue;
        }
        if (mounts_of(p, j->rel)) rc = handle(p, j);
        else plait_strmap_put(&p->pending, j->rel, j);
    }
    return rc;
}

/* --- before and after the stream ---------------------------------------------------- */

static plait_target *pseudo_target(pipeline *p, const char *crate, const char *dir, plait_target_kind kind)
{
    char *id = xasprintf("%s|%s|%s", dir, plait_target_kind_name(kind), crate);
    for (size_t i = 0; i < p->pseudo.len; i++)
        if (!strcmp(p->pseudo.items[i]->id, id)) {
            free(id);
            return p->pseudo.items[i];
        }
    plait_target *t = xcalloc(1, sizeof *t);
    t->crate = xstrdup(crate);
    t->id = id;
    t->kind = kind;
    t->root = xstrdup("");
    t->package = -1;
    PLAIT_VEC_PUSH(&p->pseudo, t);
    return t;
}

static plait_mount *root_mount(const plait_target *t)
{
    plait_mount *m = xcalloc(1, sizeof *m);
    m->target = t;
    m->modpath = xstrdup(t->crate);
    m->modrs = 1;
    m->is_root = 1;
    return m;
}

static int cmp_jobs(const void *a, const void *b)
{
    const plait_job *x = *(plait_job *const *)a, *y = *(plait_job *const *)b;
    return strcmp(x->rel, y->rel);
}

int plait_index_prepare(pipeline *p)
{
    plait_walk_opts wo = {p->opts->max_file_size};
    int rc = plait_walk_run(p->opts->root, &wo, &p->walk);
    if (rc) return rc;
    for (size_t i = 0; i < p->walk.diags.len; i++) {
        plait_path_diag *d = &p->walk.diags.items[i];
        plait_path_diag_add(&p->diags, d->path, d->severity, d->code, "%s", d->message);
    }
    plait_workspace_load(p->opts->root, &p->walk, &p->ws, &p->diags);
    if (p->opts->with_deps) plait_index_add_deps(p);
    if ((rc = plait_store_open(p->opts->db_path, 1, 0, &p->store))) return rc;
    if ((rc = plait_store_files(p->store, &p->old, &p->nold))) return rc;
    char *real = realpath(p->opts->root, NULL);
    rc = plait_store_meta_set(p->store, "root", real ? real : p->opts->root); /* writes only if it changed */
    free(real);
    if (rc) return rc;
    /* renamed dependencies (`geo = { package = "basics" }`): the resolver's extern prelude */
    char *aliases = plait_deps_aliases(p->opts->root, &p->ws), *was = plait_store_meta_get(p->store, "crate_aliases");
    if (strcmp(aliases, was ? was : "") != 0) {
        rc = plait_store_meta_set(p->store, "crate_aliases", aliases);
        p->stats->changed = 1; /* resolution runs again */
    }
    free(aliases);
    free(was);
    if (rc) return rc;
    /* Stored parses are only as good as the extractor that made them: when it changes (new
     * item kinds, call sites), every file is parsed again, once. */
    /* The index benchmark measures what name resolution costs by indexing without it
     * (items, modules, impls: the foundation's graph).  Such an index records its own
     * extractor version, so a normal run afterwards parses everything again. */
    p->structure_only = getenv("PLAIT_BENCH_STRUCTURE_ONLY") && *getenv("PLAIT_BENCH_STRUCTURE_ONLY") == '1';
    p->defer_edges = plait_store_was_empty(p->store) && !p->structure_only;
    p->extractor = p->structure_only ? PLAIT_EXTRACTOR_VERSION "-structure" : PLAIT_EXTRACTOR_VERSION;
    char *ver = plait_store_meta_get(p->store, "extractor");
    if (!ver || strcmp(ver, p->extractor) != 0) {
        for (size_t i = 0; i < p->nold; i++) {
            free(p->old[i].mods);
            p->old[i].mods = NULL; /* no stored mods: the reader will not skip it */
            p->old[i].has_hash = 0;
        }
        p->extractor_changed = 1; /* recorded when the run completes, not before */
    }
    free(ver);
    for (size_t i = 0; i < p->nold; i++) plait_strmap_put(&p->old_files, p->old[i].path, &p->old[i]);

    for (size_t i = 0; i < p->walk.files.len; i++) {
        plait_found *f = &p->walk.files.items[i];
        if (f->kind != PLAIT_FILE_RUST) continue;
        if (plait_workspace_is_excluded(&p->ws, f->rel)) continue;
        plait_strmap_put(&p->seen, f->rel, (void *)1);
        plait_job *j = xcalloc(1, sizeof *j);
        j->rel = xstrdup(f->rel);
        j->size = f->size;
        j->mtime_ns = f->mtime_ns;
        PLAIT_VEC_PUSH(&p->jobs, j);
    }
    /* with no Cargo.toml at all, lib.rs / main.rs (or src/...) make the crate root */
    if (!p->ws.packages.len) {
        static const char *const roots[] = {"src/lib.rs", "lib.rs", "src/main.rs", "main.rs"};
        for (int k = 0; k < 4; k++) {
            if (!plait_strmap_get(&p->seen, roots[k])) continue;
            plait_target *t = pseudo_target(p, p->ws.loose_crate, "", k < 2 ? PLAIT_TARGET_LIB : PLAIT_TARGET_BIN);
            free(t->root);
            t->root = xstrdup(roots[k]);
            add_mount(p, roots[k], root_mount(t));
            break;
        }
    }
    for (size_t i = 0; i < p->ws.targets.len; i++) {
        const plait_target *t = &p->ws.targets.items[i];
        if (plait_strmap_get(&p->seen, t->root)) add_mount(p, t->root, root_mount(t));
    }
    /* roots first (their children can be written as soon as they arrive), then by path */
    if (p->jobs.len) qsort(p->jobs.items, p->jobs.len, sizeof *p->jobs.items, cmp_jobs);
    size_t w = 0;
    for (size_t i = 0; i < p->jobs.len; i++)
        if (mounts_of(p, p->jobs.items[i]->rel)) {
            plait_job *t = p->jobs.items[w];
            p->jobs.items[w++] = p->jobs.items[i];
            p->jobs.items[i] = t;
        }
    if (p->opts->shuffle_seed) {
        unsigned s = p->opts->shuffle_seed;
        for (size_t i = p->jobs.len; i > 1; i--) {
            s = s * 1103515245u + 12345u;
            size_t k = (s >> 8) % i;
            plait_job *t = p->jobs.items[i - 1];
            p->jobs.items[i - 1] = p->jobs.items[k];
            p->jobs.items[k] = t;
        }
    }
    p->njobs = p->jobs.len;
    p->stats->files_seen = (long)p->jobs.len;
    return PLAIT_OK;
}

/* A module path from a file path: "src/a/b.rs" -> "a::b", "src/a/mod.rs" -> "a". */
static char *path_modpath(const char *rel, const char *pkg_dir)
{
    const char *r = rel;
    size_t dl = strlen(pkg_dir);
    if (dl && !strncmp(r, pkg_dir, dl) && r[dl] == '/') r += dl + 1;
    if (!strncmp(r, "src/", 4)) r += 4;
    strbuf sb = {0};
    char *copy = xstrdup(r), *save = NULL;
    for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        size_t n = strlen(seg);
        if (n > 3 && !strcmp(seg + n - 3, ".rs")) seg[n - 3] = '\0';
        if (!strcmp(seg, "mod") && !save[0]) break;
        if (sb.len) strbuf_puts(&sb, "::");
        for (char *c = seg; *c; c++)
            strbuf_putc(&sb, ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_') ? *c : '_');
    }
    free(copy);
    return strbuf_detach(&sb);
}

static int orphan_depth(const char *rel)
{
    int d = 0;
    for (const char *c = rel; *c; c++) d += *c == '/';
    const char *b = plait_path_basename(rel);
    return d * 2 + (strcmp(b, "mod.rs") != 0); /* a folder's mod.rs before its siblings */
}

static int cmp_orphans(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int dx = orphan_depth(x), dy = orphan_depth(y);
    return dx != dy ? dx - dy : strcmp(x, y);
}

static int mount_orphans(pipeline *p)
{
    PLAIT_VEC(char *) rels = {0};
    size_t pos = 0;
    const char *k;
    void *v;
    while (plait_strmap_next(&p->pending, &pos, &k, &v))
        if (v) PLAIT_VEC_PUSH(&rels, (char *)k);
    if (rels.len) qsort(rels.items, rels.len, sizeof *rels.items, cmp_orphans);
    int rc = PLAIT_OK;
    for (size_t i = 0; i < rels.len && rc == PLAIT_OK; i++) {
        plait_job *j = plait_strmap_get(&p->pending, rels.items[i]);
        if (!j) continue; /* mounted meanwhile by an earlier orphan's `mod` */
        plait_strmap_put(&p->pending, j->rel, NULL);
        if (!mounts_of(p, j->rel) && j->rel[0] == '/') {
            /* a dependency's file its library never reaches: recorded without nodes, so the
             * next run skips it unread instead of parsing it again */
            plait_strmap_put(&p->mounts, j->rel, xcalloc(1, sizeof(mount_list)));
        } else if (!mounts_of(p, j->rel)) {
            int pkg = plait_workspace_package_of(&p->ws, j->rel);
            const char *dir = pkg >= 0 ? p->ws.packages.items[pkg].dir : "";
            const char *crate = p->ws.loose_crate;
            for (size_t t = 0; pkg >= 0 && t < p->ws.targets.len; t++)
                if (p->ws.targets.items[t].package == pkg) {
                    crate = p->ws.targets.items[t].crate;
                    break;
                }
            plait_mount *m = xcalloc(1, sizeof *m);
            m->target = pseudo_target(p, crate, dir, PLAIT_TARGET_LOOSE);
            char *sub = path_modpath(j->rel, dir);
            m->modpath = *sub ? xasprintf("%s::%s", crate, sub) : xstrdup(crate);
            free(sub);
            m->modrs = !strcmp(plait_path_basename(j->rel), "mod.rs");
            m->orphan = 1;
            m->is_root = 0;
            add_mount(p, j->rel, m);
            p->stats->orphans++;
            if (p->ws.packages.len)
                plait_path_diag_add(&p->diags, j->rel, PLAIT_DIAG_INFO, "orphan",
                                    "no `mod` declaration reaches this file; indexed as %s by its path", m->modpath);
        }
        rc = handle(p, j);
    }
    PLAIT_VEC_FREE(&rels);
    return rc;
}

static int cmp_found_rel(const void *key, const void *f) { return strcmp(key, ((const plait_found *)f)->rel); }

/*
 * Files that gained mounts after they were written (or whose stored mounts differ from the
 * ones seen so far) are settled in two phases.  First the mounts are propagated to a fixpoint:
 * a file's `mod` declarations (kept as JSON) mount its children under every mount it has, with
 * no parsing.  Only then, with every mount set final, is a file whose mounts differ from what
 * the database holds parsed again and rewritten -- once, whatever order the mounts arrived in.
 */
static int remount(pipeline *p)
{
    int rc = PLAIT_OK;
    size_t done = 0;
    while (rc == PLAIT_OK && done < p->remount.len) {
        for (; rc == PLAIT_OK && done < p->remount.len; done++) { /* phase 1: propagate */
            const char *rel = p->remount.items[done];
            plait_strmap_put(&p->recheck, rel, NULL);
            plait_extract x = {0};
            plait_graph_mods_from_json(plait_strmap_get(&p->mods_of, rel), &x);
            mount_list *ml = mounts_of(p, rel);
            for (size_t k = 0; rc == PLAIT_OK && k < ml->len; k++) rc = mount_children(p, rel, ml->items[k], &x);
            plait_extract_free(&x);
        }
        plait_strmap seen;
        plait_strmap_init(&seen);
        size_t end = p->remount.len;
        for (size_t i = 0; rc == PLAIT_OK && i < end; i++) { /* phase 2: rewrite what changed */
            const char *rel = p->remount.items[i];
            if (plait_strmap_get(&seen, rel)) continue;
            plait_strmap_put(&seen, rel, (void *)1);
            char *sig = mounts_signature(mounts_of(p, rel));
            const char *have = plait_strmap_get(&p->processed, rel);
            int same = have && !strcmp(have, sig);
            free(sig);
            if (same) continue;
            plait_job *j = take_kept(p, rel);
            if (j) {
                rc = handle(p, j);
                continue;
            }
            j = xcalloc(1, sizeof *j);
            j->rel = xstrdup(rel);
            const plait_found *f = bsearch(j->rel, p->walk.files.items, p->walk.files.len, sizeof *p->walk.files.items,
                                           cmp_found_rel);
            j->size = f ? f->size : 0;
            j->mtime_ns = f ? f->mtime_ns : 0;
            reparse(p, j);
            rc = handle(p, j);
        }
        plait_strmap_free(&seen);
        done = end > done ? end : done; /* anything queued during phase 2 goes round again */
    }
    return rc;
}

static int path_diag_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int store_path_diags(pipeline *p)
{
    static const char *const sev[] = {"info", "warning", "error"};
    PLAIT_VEC(char *) lines = {0};
    for (size_t i = 0; i < p->diags.len; i++) {
        plait_path_diag *d = &p->diags.items[i];
        PLAIT_VEC_PUSH(&lines, xasprintf("%s\t%s\t%s\t%s", sev[d->severity], d->path, d->code, d->message));
    }
    if (lines.len) qsort(lines.items, lines.len, sizeof *lines.items, path_diag_cmp);
    size_t u = 0; /* a declaration may be looked at once per mount: report each problem once */
    for (size_t i = 0; i < lines.len; i++) {
        if (u && !strcmp(lines.items[u - 1], lines.items[i])) free(lines.items[i]);
        else lines.items[u++] = lines.items[i];
    }
    lines.len = u;
    int changed = 0, rc = ensure_tx(p);
    if (rc == PLAIT_OK) rc = plait_store_set_path_diags(p->store, (const char *const *)lines.items, lines.len, &changed);
    if (changed) p->stats->changed = 1;
    for (size_t i = 0; i < lines.len; i++) free(lines.items[i]);
    PLAIT_VEC_FREE(&lines);
    return rc;
}

/* After settling no file is written again, so the kept parses go before resolution, the
 * run's peak of memory (library/: the extracts of 22 MB of source, ~60 MB).  They were made
 * on the parser threads' malloc arenas, which only give pages back when trimmed. */
static void drop_kept(pipeline *p)
{
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(&p->kept, &pos, NULL, &v)) plait_job_free(v);
    plait_strmap_free(&p->kept);
    p->kept_bytes = 0;
    malloc_trim(0);
}

int plait_index_finish(pipeline *p, int interrupted)
{
    int rc = PLAIT_OK;
    uint64_t t = plait_now_ns();
    p->stats->phase_stream = (double)(t - p->t0) / 1e9;
    if (!interrupted) {
        rc = mount_orphans(p);
        if (rc == PLAIT_OK) rc = remount(p);
        for (size_t i = 0; rc == PLAIT_OK && i < p->nold; i++) {
            if ((uintptr_t)plait_strmap_get(&p->seen, p->old[i].path) == 1) continue;
            if ((rc = ensure_tx(p)) == PLAIT_OK) rc = plait_store_delete_file(p->store, p->old[i].path);
            p->stats->files_deleted++;
            p->stats->changed = 1;
        }
        if (rc == PLAIT_OK) rc = store_path_diags(p);
        if (rc == PLAIT_OK && p->extractor_changed && (rc = ensure_tx(p)) == PLAIT_OK) {
            rc = plait_store_meta_set(p->store, "extractor", p->extractor);
            p->stats->changed = 1;
        }
        drop_kept(p);
    }
    p->stats->phase_settle = (double)(plait_now_ns() - t) / 1e9;
    if (rc == PLAIT_OK && p->stats->changed) {
        t = plait_now_ns();
        if (!p->structure_only && (rc = ensure_tx(p)) == PLAIT_OK) {
            size_t npend = 0;
            plait_pending_edge *pend = pending_flatten(&p->pending_edges, &npend);
            rc = plait_graph_resolve(plait_store_db(p->store), p->opts->jobs, pend, npend, &p->stats->edges_resolved);
            free(pend);
            pending_free(&p->pending_edges);
        }
        p->stats->phase_resolve = (double)(plait_now_ns() - t) / 1e9;
        t = plait_now_ns();
        /* CREATE INDEX sorts with helper threads when allowed; the parsers are done by now */
        char *threads = xasprintf("PRAGMA threads = %d", p->opts->jobs > 1 ? p->opts->jobs : 1);
        sqlite3_exec(plait_store_db(p->store), threads, NULL, NULL, NULL);
        free(threads);
        if (rc == PLAIT_OK) rc = plait_store_finish_load(p->store);
        p->stats->phase_indexes = (double)(plait_now_ns() - t) / 1e9;
        if (rc == PLAIT_OK)
            rc = plait_store_add_run(p->store, (int64_t)time(NULL), (double)(plait_now_ns() - p->t0) / 1e9,
                                     p->stats->files_seen, p->stats->files_parsed, p->stats->files_deleted,
                                     interrupted ? "interrupted" : "complete");
    }
    t = plait_now_ns();
    if (p->in_tx) {
        int crc = rc == PLAIT_OK ? plait_store_commit(p->store) : plait_store_rollback(p->store);
        if (rc == PLAIT_OK) rc = crc;
        p->in_tx = 0;
    }
    p->stats->phase_commit = (double)(plait_now_ns() - t) / 1e9;
    return rc;
}

void plait_index_cleanup(pipeline *p)
{
    pending_free(&p->pending_edges);
    if (p->in_tx) plait_store_rollback(p->store);
    plait_store_close(p->store);
    for (size_t i = 0; i < p->nold; i++) plait_file_rec_free(&p->old[i]);
    free(p->old);
    for (size_t i = 0; i < p->jobs.len; i++) plait_job_free(p->jobs.items[i]);
    PLAIT_VEC_FREE(&p->jobs);
    size_t pos = 0;
    void *v;
    while (plait_strmap_next(&p->pending, &pos, NULL, &v)) plait_job_free(v);
    pos = 0;
    while (plait_strmap_next(&p->mounts, &pos, NULL, &v)) {
        mount_list *ml = v;
        for (size_t i = 0; i < ml->len; i++) {
            plait_mount_free(ml->items[i]);
            free(ml->items[i]);
        }
        free(ml->items);
        free(ml);
    }
    for (size_t i = 0; i < p->remount.len; i++) free(p->remount.items[i]);
    PLAIT_VEC_FREE(&p->remount);
    for (size_t i = 0; i < p->pseudo.len; i++) {
        free(p->pseudo.items[i]->crate);
        free(p->pseudo.items[i]->id);
        free(p->pseudo.items[i]->root);
        free(p->pseudo.items[i]);
    }
    PLAIT_VEC_FREE(&p->pseudo);
    plait_strmap_free(&p->old_files);
    plait_strmap_free(&p->seen);
    plait_strmap_free(&p->mounts);
    plait_strmap_free(&p->pending);
    pos = 0;
    while (plait_strmap_next(&p->processed, &pos, NULL, &v)) free(v);
    plait_strmap_free(&p->processed);
    pos = 0;
    while (plait_strmap_next(&p->mods_of, &pos, NULL, &v)) free(v);
    plait_strmap_free(&p->mods_of);
    plait_strmap_free(&p->recheck);
    pos = 0;
    while (plait_strmap_next(&p->kept, &pos, NULL, &v)) plait_job_free(v);
    plait_strmap_free(&p->kept);
    plait_rust_parser_free(p->parser);
    plait_walk_free(&p->walk);
    plait_workspace_free(&p->ws);
    plait_path_diags_free(&p->diags);
    plait_queue_free(p->parse_q);
    plait_queue_free(p->write_q);
}
