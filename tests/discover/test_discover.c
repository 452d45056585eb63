/* Unit tests for src/discover (globs, ignore rules, Cargo targets on the fixture workspace,
 * dependency discovery on a made-up tree) and src/graph's module-file rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "discover/cargo.h"
#include "discover/deps.h"
#include "discover/glob.h"
#include "discover/ignore.h"
#include "graph/graph.h"

static void test_glob(void **state)
{
    (void)state;
    assert_true(plait_glob_match("*.rs", "a.rs", 1));
    assert_false(plait_glob_match("*.rs", "d/a.rs", 1));
    assert_true(plait_glob_match("**/a.rs", "x/y/a.rs", 1));
    assert_true(plait_glob_match("**/a.rs", "a.rs", 1));
    assert_true(plait_glob_match("src/**", "src/x/y", 1));
    assert_true(plait_glob_match("a/**/b", "a/b", 1));
    assert_true(plait_glob_match("a/**/b", "a/x/y/b", 1));
    assert_true(plait_glob_match("crates/*", "crates/core", 1));
    assert_false(plait_glob_match("crates/*", "crates/core/sub", 1));
    assert_true(plait_glob_match("f[a-c]?.rs", "fbx.rs", 1));
    assert_false(plait_glob_match("f[!a-c]?.rs", "fbx.rs", 1));
    assert_true(plait_glob_match("syn::*::parse", "syn::a::b::parse", 0));
}

static void test_ignore(void **state)
{
    (void)state;
    plait_ignore *root = plait_ignore_parse("# comment\n*.gen.rs\n!keep.gen.rs\n/top_only\nbuild/\ndocs/**/*.rs\n\\#hash\n", "");
    assert_int_equal(plait_ignore_check(root, "a/b/x.gen.rs", 0), 1);
    assert_int_equal(plait_ignore_check(root, "a/keep.gen.rs", 0), -1);
    assert_int_equal(plait_ignore_check(root, "top_only", 0), 1);
    assert_int_equal(plait_ignore_check(root, "sub/top_only", 0), 0);
    assert_int_equal(plait_ignore_check(root, "x/build", 1), 1);
    assert_int_equal(plait_ignore_check(root, "x/build", 0), 0); /* dir-only rule */
    assert_int_equal(plait_ignore_check(root, "docs/a/b/c.rs", 0), 1);
    assert_int_equal(plait_ignore_check(root, "#hash", 0), 1);
    assert_int_equal(plait_ignore_check(root, "src/lib.rs", 0), 0);
    plait_ignore *nested = plait_ignore_parse("/local.rs\n", "crates/a");
    assert_int_equal(plait_ignore_check(nested, "crates/a/local.rs", 0), 1);
    assert_int_equal(plait_ignore_check(nested, "local.rs", 0), 0);
    plait_ignore_free(root);
    plait_ignore_free(nested);
}

static const plait_target *target(const plait_workspace *ws, const char *crate, plait_target_kind k)
{
    for (size_t i = 0; i < ws->targets.len; i++)
        if (!strcmp(ws->targets.items[i].crate, crate) && ws->targets.items[i].kind == k) return &ws->targets.items[i];
    fail_msg("no %s target %s", plait_target_kind_name(k), crate);
    return NULL;
}

static void test_workspace(void **state)
{
    (void)state;
    const char *root = PLAIT_SOURCE_DIR "/tests/fixtures/ws";
    plait_walk_opts wo = {4 << 20};
    plait_walk w = {0};
    assert_int_equal(plait_walk_run(root, &wo, &w), 0);
    for (size_t i = 0; i < w.files.len; i++) /* .gitignore: gen_* ignored, gen_keep re-included */
        assert_null(strstr(w.files.items[i].rel, "gen_skip"));
    plait_workspace ws = {0};
    plait_path_diags d = {0};
    assert_int_equal(plait_workspace_load(root, &w, &ws, &d), 0);
    assert_string_equal(target(&ws, "core_lib", PLAIT_TARGET_LIB)->root, "crates/core_lib/src/lib.rs");
    assert_string_equal(target(&ws, "app", PLAIT_TARGET_BIN)->root, "crates/app/src/main.rs");
    assert_string_equal(target(&ws, "tool", PLAIT_TARGET_BIN)->root, "crates/app/src/bin/tool.rs");
    target(&ws, "demo", PLAIT_TARGET_EXAMPLE);
    target(&ws, "it", PLAIT_TARGET_TEST);
    target(&ws, "b", PLAIT_TARGET_BENCH);
    target(&ws, "build_script_build", PLAIT_TARGET_BUILD);
    assert_string_equal(target(&ws, "cli_support", PLAIT_TARGET_LIB)->root, "tools/cli/src/library.rs");
    assert_string_equal(target(&ws, "plait_cli", PLAIT_TARGET_BIN)->root, "tools/cli/src/entry.rs");
    for (size_t i = 0; i < ws.targets.len; i++) { /* autobins = false: src/main.rs is no target */
        assert_string_not_equal(ws.targets.items[i].root, "tools/cli/src/main.rs");
        assert_null(strstr(ws.targets.items[i].root, "skipped"));
    }
    assert_true(plait_workspace_is_excluded(&ws, "crates/skipped/src/lib.rs"));
    assert_int_equal(plait_workspace_package_of(&ws, "crates/app/src/main.rs"),
                     target(&ws, "app", PLAIT_TARGET_BIN)->package);
    plait_workspace_free(&ws);
    plait_path_diags_free(&d);
    plait_walk_free(&w);
}

static void check_cands(const char *parent, int modrs, const char *name, const char *pattr, const char *inl,
                        const char *c0, const char *c1)
{
    char *c[2];
    int m[2], n = plait_graph_mod_candidates(parent, modrs, name, pattr, inl, c, m);
    assert_string_equal(c[0], c0);
    if (c1) {
        assert_int_equal(n, 2);
        assert_string_equal(c[1], c1);
        free(c[1]);
    } else {
        assert_int_equal(n, 1);
    }
    free(c[0]);
}

static void test_mod_candidates(void **state)
{
    (void)state;
    check_cands("src/lib.rs", 1, "a", NULL, "", "src/a.rs", "src/a/mod.rs");
    check_cands("src/a.rs", 0, "b", NULL, "", "src/a/b.rs", "src/a/b/mod.rs");
    check_cands("src/a/mod.rs", 1, "b", NULL, "", "src/a/b.rs", "src/a/b/mod.rs");
    check_cands("src/lib.rs", 1, "x", "other/y.rs", "", "src/other/y.rs", NULL);
    check_cands("src/a.rs", 0, "x", "../z.rs", "", "z.rs", NULL);
    check_cands("src/lib.rs", 1, "c", NULL, "inl", "src/inl/c.rs", "src/inl/c/mod.rs");
    check_cands("src/a.rs", 0, "c", NULL, "inl", "src/a/inl/c.rs", "src/a/inl/c/mod.rs");
    check_cands("src/lib.rs", 1, "c", "p.rs", "inl", "src/inl/p.rs", NULL);
}

static void test_keys(void **state)
{
    (void)state;
    char a[PLAIT_KEY_LEN], b[PLAIT_KEY_LEN], c[PLAIT_KEY_LEN];
    plait_graph_key(a, "|lib|x", "x::f", PLAIT_KIND_FUNCTION, "cfg(unix)", 0);
    plait_graph_key(b, "|lib|x", "x::f", PLAIT_KIND_FUNCTION, "cfg(windows)", 0);
    plait_graph_key(c, "|lib|x", "x::f", PLAIT_KIND_FUNCTION, "cfg(unix)", 0);
    assert_string_not_equal(a, b);
    assert_string_equal(a, c);
}

/* Writes `text` to root/rel, creating folders. */
static void put(const char *root, const char *rel, const char *text)
{
    char *path = plait_path_join(root, rel), *dir = plait_path_dirname(path);
    assert_int_equal(plait_mkdirs(dir), 0);
    assert_int_equal(plait_write_file_atomic(path, text, strlen(text)), 0);
    free(dir);
    free(path);
}

static void put_crate(const char *root, const char *dir, const char *name, const char *ver, const char *lib)
{
    char *rel = xasprintf("%s/Cargo.toml", dir), *toml = xasprintf("[package]\nname = \"%s\"\nversion = \"%s\"\n%s", name, ver,
                                                                   lib ? lib : "");
    put(root, rel, toml);
    free(rel);
    free(toml);
    rel = xasprintf("%s/%s", dir, lib ? "lib.rs" : "src/lib.rs");
    put(root, rel, "pub fn f() {}\n");
    free(rel);
}

static const plait_dep *dep(const plait_deps *d, const char *name)
{
    for (size_t i = 0; i < d->deps.len; i++)
        if (!strcmp(d->deps.items[i].name, name)) return &d->deps.items[i];
    fail_msg("no dependency %s", name);
    return NULL;
}

/* A workspace with a Cargo.lock; sources in vendor/, a cargo home, a system folder and a path
 * dependency outside the root. */
static void test_deps(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/plait-deps-XXXXXX";
    char *base = mkdtemp(tmpl), *root = plait_path_join(base, "ws");
    assert_non_null(base);
    put(root, "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\nfoo = \"1\"\n"
        "bar2 = { package = \"bar\", version = \"0.3\" }\nlocal = { path = \"../outside\" }\n"
        "[target.'cfg(unix)'.dependencies]\nbaz = \"1\"\n[dev-dependencies.qux]\nversion = \"2\"\n");
    put(root, "src/lib.rs", "");
    put(root, "Cargo.lock",
        "version = 3\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n"
        "[[package]]\nname = \"foo\"\nversion = \"1.2.3\"\nsource = \"registry+x\"\n"
        "[[package]]\nname = \"bar\"\nversion = \"0.3.1\"\nsource = \"registry+x\"\n"
        "[[package]]\nname = \"baz\"\nversion = \"1.9.0\"\nsource = \"registry+x\"\n"
        "[[package]]\nname = \"qux\"\nversion = \"2.0.0\"\nsource = \"registry+x\"\n"
        "[[package]]\nname = \"local\"\nversion = \"0.1.0\"\n"
        "[[package]]\nname = \"gone\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n");
    put_crate(base, "home/registry/src/idx/foo-1.2.3", "foo", "1.2.3", NULL);
    put_crate(base, "home/registry/src/idx/foo-1.0.0", "foo", "1.0.0", NULL);
    put_crate(base, "sys/bar-0.3.1", "bar", "0.3.1", "[lib]\nname = \"bar_lib\"\npath = \"lib.rs\"\n");
    put_crate(base, "sys/baz-1.9.0", "baz", "1.9.0", NULL);
    put_crate(base, "sys/baz-1.10.0", "baz", "1.10.0", NULL);
    put_crate(base, "sys/baz-1.10.0-rc.1", "baz", "1.10.0-rc.1", NULL);
    put_crate(base, "sys/bazooka-9.0.0", "bazooka", "9.0.0", NULL);
    put_crate(root, "vendor/qux", "qux", "2.0.0", NULL);
    put_crate(base, "outside", "local", "0.1.0", NULL);

    char *home = plait_path_join(base, "home"), *sys = plait_path_join(base, "sys");
    plait_deps_opts o = {home, sys};
    plait_walk_opts wo = {4 << 20};
    plait_walk w = {0};
    plait_workspace ws = {0};
    plait_path_diags diags = {0};
    assert_int_equal(plait_walk_run(root, &wo, &w), 0);
    assert_int_equal(plait_workspace_load(root, &w, &ws, &diags), 0);
    plait_deps d = {0};
    assert_int_equal(plait_deps_discover(root, &ws, &o, &d, &diags), 0);
    assert_true(d.from_lock);
    assert_int_equal(d.deps.len, 6); /* every package but the member */

    char *want = plait_path_join(base, "home/registry/src/idx/foo-1.2.3/src/lib.rs");
    assert_string_equal(dep(&d, "foo")->lib, want);
    free(want);
    const plait_dep *bar = dep(&d, "bar");
    assert_int_equal(bar->crates.len, 2); /* its lib name, and the alias the member uses */
    assert_string_equal(bar->crates.items[0], "bar_lib");
    assert_string_equal(bar->crates.items[1], "bar2");
    assert_non_null(strstr(bar->lib, "/sys/bar-0.3.1/lib.rs"));
    assert_non_null(strstr(dep(&d, "baz")->dir, "/sys/baz-1.9.0")); /* the locked version, not the highest */
    assert_non_null(strstr(dep(&d, "qux")->dir, "/ws/vendor/qux"));
    assert_non_null(strstr(dep(&d, "local")->dir, "/outside"));
    assert_null(dep(&d, "gone")->dir);
    int missing = 0;
    for (size_t i = 0; i < diags.len; i++)
        missing += !strcmp(diags.items[i].code, "dependency-missing") && strstr(diags.items[i].message, "dependency gone 1.0.0");
    assert_int_equal(missing, 1);

    /* without a version: the highest release (1.10.0 > 1.9.0 > 1.10.0-rc.1), never a longer name */
    char *hi = plait_deps_locate(root, &o, "baz", NULL);
    assert_non_null(hi);
    assert_non_null(strstr(hi, "/sys/baz-1.10.0"));
    assert_null(strstr(hi, "rc"));
    free(hi);
    assert_null(plait_deps_locate(root, &o, "baz", "3.0.0"));

    /* targets: one per crate name, keyed by package and version, vendor/qux no longer a member */
    plait_deps_add_targets(&ws, root, &d);
    int bars = 0, quxes = 0;
    for (size_t i = 0; i < ws.targets.len; i++) {
        const plait_target *t = &ws.targets.items[i];
        if (t->kind == PLAIT_TARGET_DEP && strstr(t->id, "dep:bar-0.3.1|dep|")) bars++;
        if (!strcmp(t->crate, "qux")) quxes += t->kind == PLAIT_TARGET_DEP ? 1 : 100;
    }
    assert_int_equal(bars, 2);
    assert_int_equal(quxes, 1);
    assert_true(plait_workspace_is_excluded(&ws, "vendor/qux/src/lib.rs"));
    plait_deps_free(&d);

    /* no Cargo.lock: the members' dependencies (dev ones too) at the highest version found */
    char *lock = plait_path_join(root, "Cargo.lock");
    unlink(lock);
    free(lock);
    plait_workspace_free(&ws); /* the members only, as the pipeline has them before adding targets */
    assert_int_equal(plait_workspace_load(root, &w, &ws, &diags), 0);
    assert_int_equal(plait_deps_discover(root, &ws, &o, &d, &diags), 0);
    assert_false(d.from_lock);
    assert_non_null(strstr(dep(&d, "baz")->dir, "/sys/baz-1.10.0"));
    assert_string_equal(dep(&d, "baz")->version, "1.10.0");
    assert_non_null(dep(&d, "qux")->lib);
    assert_non_null(dep(&d, "local")->lib);
    plait_deps_free(&d);

    plait_workspace_free(&ws);
    plait_path_diags_free(&diags);
    plait_walk_free(&w);
    char *rm = xasprintf("rm -rf '%s'", base);
    assert_int_equal(system(rm), 0);
    free(rm);
    free(home);
    free(sys);
    free(root);
}

int main(void)
{
    plait_hash_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob), cmocka_unit_test(test_ignore), cmocka_unit_test(test_workspace),
        cmocka_unit_test(test_mod_candidates), cmocka_unit_test(test_keys), cmocka_unit_test(test_deps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
