/* Unit tests for src/discover (globs, ignore rules, Cargo targets on the fixture workspace)
 * and src/graph's module-file rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "discover/cargo.h"
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

int main(void)
{
    plait_hash_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob), cmocka_unit_test(test_ignore), cmocka_unit_test(test_workspace),
        cmocka_unit_test(test_mod_candidates), cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
