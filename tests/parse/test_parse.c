/* Unit tests for src/parse: the Rust extractor and the TOML reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parse/extract.h"
#include "parse/rust_text.h"
#include "parse/toml.h"

static plait_rust_parser *parser;

static void extract(const char *src, plait_extract *x)
{
    memset(x, 0, sizeof *x);
    assert_int_equal(plait_rust_extract(parser, src, strlen(src), x), 0);
}

/* The call sites, in order: target and receiver marker (NULL: none) of each. */
static void expect_calls(const plait_extract *x, const char *want[][2], size_t n)
{
    assert_int_equal(x->calls.len, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(x->calls.items[i].target, want[i][0]);
        if (want[i][1]) assert_string_equal(x->calls.items[i].receiver, want[i][1]);
        else assert_null(x->calls.items[i].receiver);
    }
}

static const plait_item *find(const plait_extract *x, const char *rel, plait_kind k)
{
    for (size_t i = 0; i < x->items.len; i++)
        if (!strcmp(x->items.items[i].rel_path, rel) && x->items.items[i].kind == k) return &x->items.items[i];
    fail_msg("no %s %s", plait_kind_name(k), rel);
    return NULL;
}

static void test_items_and_paths(void **state)
{
    (void)state;
    plait_extract x;
    extract("pub struct S<T> { pub a: T, b: u8 }\n"
            "impl<T> S<T> { pub fn new() -> Self { todo!() } }\n"
            "impl Clone for S<u8> { fn clone(&self) -> Self { todo!() } }\n"
            "trait Tr { fn m(&self); }\n"
            "enum E { A(u8), B { x: i32 } }\n"
            "fn free() { struct Inner; }\n", &x);
    const plait_item *s = find(&x, "S", PLAIT_KIND_STRUCT);
    assert_string_equal(s->signature, "pub struct S<T>");
    assert_string_equal(find(&x, "S::a", PLAIT_KIND_FIELD)->visibility, "pub");
    assert_string_equal(find(&x, "S::b", PLAIT_KIND_FIELD)->visibility, "private");
    const plait_item *nw = find(&x, "S::new", PLAIT_KIND_METHOD);
    assert_string_equal(nw->key_path, "impl S<T>::new");
    const plait_item *cl = find(&x, "S::clone", PLAIT_KIND_METHOD);
    assert_string_equal(cl->key_path, "impl Clone for S<u8>::clone");
    const plait_item *im = find(&x, "impl Clone for S<u8>", PLAIT_KIND_IMPL);
    assert_string_equal(im->target, "S");
    assert_string_equal(im->trait_path, "Clone");
    find(&x, "Tr::m", PLAIT_KIND_METHOD);
    find(&x, "E::A::0", PLAIT_KIND_FIELD);
    find(&x, "E::B::x", PLAIT_KIND_FIELD);
    find(&x, "free", PLAIT_KIND_FUNCTION);
    const plait_item *in = find(&x, "free::Inner", PLAIT_KIND_STRUCT);
    assert_string_equal(in->scope, "free");
    assert_int_equal(find(&x, "free", PLAIT_KIND_FUNCTION)->line_start, 6);
    plait_extract_free(&x);
}

static void test_docs_attrs_visibility(void **state)
{
    (void)state;
    plait_extract x;
    extract("//! File doc.\n"
            "/// Line doc\n/// second\n#[cfg(unix)]\npub(crate) fn a() {}\n"
            "/** Block\n * doc */\npub(super) fn b() {}\n"
            "#[doc = \"Attr doc\"]\npub(in crate::m) fn c() {}\n"
            "//// not a doc\ncrate fn d() {}\n"
            "#[cfg(windows)] fn a() {}\n", &x);
    assert_string_equal(x.inner_doc, "File doc.");
    const plait_item *a = &x.items.items[0];
    assert_string_equal(a->doc, "Line doc\nsecond");
    assert_string_equal(a->cfg, "cfg(unix)");
    assert_string_equal(a->visibility, "pub(crate)");
    assert_string_equal(find(&x, "b", PLAIT_KIND_FUNCTION)->doc, "Block\ndoc");
    assert_string_equal(find(&x, "b", PLAIT_KIND_FUNCTION)->visibility, "pub(super)");
    assert_string_equal(find(&x, "c", PLAIT_KIND_FUNCTION)->doc, "Attr doc");
    assert_string_equal(find(&x, "c", PLAIT_KIND_FUNCTION)->visibility, "pub(in crate::m)");
    assert_null(find(&x, "d", PLAIT_KIND_FUNCTION)->doc);
    assert_string_equal(find(&x, "d", PLAIT_KIND_FUNCTION)->visibility, "pub(crate)");
    /* cfg twins share a path but not cfg; an exact duplicate gets disambiguator 1 */
    assert_string_equal(x.items.items[x.items.len - 1].cfg, "cfg(windows)");
    plait_extract_free(&x);
    extract("impl A {}\nimpl A {}\n", &x);
    assert_int_equal(x.items.items[0].disamb, 0);
    assert_int_equal(x.items.items[1].disamb, 1);
    plait_extract_free(&x);
}

static void test_use_trees_and_mods(void **state)
{
    (void)state;
    plait_extract x;
    extract("use a::{b::{self, C as D}, e::*, f};\npub use crate::g;\nextern crate h as i;\n"
            "mod file_mod;\n#[path = \"p/q.rs\"] mod with_path;\nmod inl { mod nested_file; }\n", &x);
    const char *want[][2] = {{"a::b", "b"}, {"a::b::C", "D"}, {"a::e::*", "*"}, {"a::f", "f"}, {"crate::g", "g"}, {"h", "i"}};
    size_t n = 0;
    for (size_t i = 0; i < x.items.len; i++) {
        if (x.items.items[i].kind != PLAIT_KIND_USE) continue;
        assert_true(n < 6);
        assert_string_equal(x.items.items[i].target, want[n][0]);
        assert_string_equal(x.items.items[i].name, want[n][1]);
        n++;
    }
    assert_int_equal(n, 6);
    assert_int_equal(x.mods.len, 3);
    assert_string_equal(x.mods.items[0].name, "file_mod");
    assert_string_equal(x.mods.items[1].path_attr, "p/q.rs");
    assert_string_equal(x.mods.items[2].inline_dir, "inl");
    assert_string_equal(x.mods.items[2].rel_path, "inl::nested_file");
    plait_extract_free(&x);
}

static void test_syntax_errors_stay_local(void **state)
{
    (void)state;
    plait_extract x;
    extract("fn ok1() {}\nfn broken( { let = ; }\nstruct Still;\nfn ok2() {}\n", &x);
    assert_true(x.syntax_errors > 0);
    assert_int_equal(x.diags.len, 1);
    assert_string_equal(x.diags.items[0].code, "syntax");
    find(&x, "ok1", PLAIT_KIND_FUNCTION);
    find(&x, "ok2", PLAIT_KIND_FUNCTION);
    plait_extract_free(&x);
}

static void test_calls_and_receiver_types(void **state)
{
    (void)state;
    plait_extract x;
    extract("fn f(b: &mut Bar<u8>) {\n"
            "    let a = Foo::new();\n    a.run();\n    b.go();\n"
            "    let c: m::Baz = make();\n    c.go();\n    let d = Qux { v: 1 };\n    d.go();\n"
            "    unknown.go();\n    println!(\"{}\", inner(1));\n    self::g::<u8>();\n}\n", &x);
    const char *want[][3] = {
        {"0", "Foo::new", NULL}, {"1", "run", "(a: =Foo::new)"}, {"1", "go", "(b: Bar)"}, {"0", "make", NULL},
        {"1", "go", "(c: m::Baz)"}, {"1", "go", "(d: Qux)"}, {"1", "go", "unknown"}, {"2", "println", NULL},
        {"0", "inner", NULL}, {"0", "self::g", NULL},
    };
    assert_int_equal(x.calls.len, sizeof want / sizeof *want);
    for (size_t i = 0; i < x.calls.len; i++) {
        const plait_call *k = &x.calls.items[i];
        assert_int_equal(k->kind, atoi(want[i][0]));
        assert_string_equal(k->target, want[i][1]);
        if (want[i][2]) assert_string_equal(k->receiver, want[i][2]);
        else assert_null(k->receiver);
    }
    assert_int_equal(x.calls.items[8].line, 10); /* a call inside macro arguments keeps its line */
    plait_extract_free(&x);
}

/* What the resolver is told about receivers: a field of self, a type parameter's bounds, a
 * call's result (chained), a local copied from another. */
static void test_receiver_markers(void **state)
{
    (void)state;
    plait_extract x;
    extract("struct S { f: Meters }\n"
            "impl S {\n"
            "    fn m<V: Visit + ?Sized, W>(&self, v: &mut V, w: W) where W: Walk {\n"
            "        self.f.value();\n        v.visit();\n        w.walk();\n"
            "        let a = self.make();\n        a.run();\n        let b = a;\n        b.run();\n"
            "        self.make().next().run();\n        make_one().run();\n    }\n}\n", &x);
    const char *want[][2] = {
        {"value", "self.f"}, {"visit", "(v: ^Visit)"}, {"walk", "(w: ^Walk)"}, {"make", "self"},
        {"run", "(a: @Self.make)"}, {"run", "(b: @Self.make)"}, {"run", "(_: @@Self.make.next)"},
        {"next", "(_: @Self.make)"}, {"make", "self"}, {"run", "(_: =make_one)"}, {"make_one", NULL},
    };
    expect_calls(&x, want, sizeof want / sizeof *want);
    plait_extract_free(&x);
}

/* Receivers typed by patterns and projections (extractor 8): match arms, if let / else,
 * tuples after `?`, field chains, std traits called by path, names that end with their block,
 * a tuple struct's constructor, a `let` bound to a match whose arms agree (or not). */
static void test_pattern_markers(void **state)
{
    (void)state;
    plait_extract x;
    extract("fn f(t: Tok, o: Option<Word>, h: &Holder) {\n"
            "    match t { Tok::Pair(_, m) => m.go(), Tok::S { w, .. } => w.go(), _ => 0 };\n"
            "    m.go();\n"
            "    if let Some(x) = o { x.go() } else { x.go() }\n"
            "    let (a, b) = split()?;\n    a.go();\n"
            "    h.w.go();\n    Display::fmt(&h.w, f);\n    Error::new(h);\n"
            "    for h in v { h.go() }\n    v.map(|o| o.go());\n    Wrap(h).go();\n"
            "    let y = match t { Tok::Pair(p, _) => p, _ => return };\n    y.go();\n"
            "    let z = match t { Tok::Pair(p, _) => p, Tok::S { w, .. } => w };\n    z.go();\n}\n", &x);
    const char *want[][2] = {
        {"go", "(m: %1:Tok::Pair)"}, {"go", "(w: %w:Tok::S)"}, {"go", "m"}, {"go", "(x: ?Option<Word>)"},
        {"go", "x"}, {"split", NULL}, {"go", "(a: #0:?=split)"}, {"go", "(h.w: $w:&Holder)"},
        {"Display::fmt(h.w: $w:&Holder)", NULL}, {"Error::new", NULL}, {"go", "h"},
        {"map", "v"}, {"go", "o"}, {"go", "(_: Wrap)"}, {"Wrap", NULL},
        {"go", "(y: %0:Tok::Pair)"}, {"go", "z"},
    };
    expect_calls(&x, want, sizeof want / sizeof *want);
    plait_extract_free(&x);
}

static void test_text_helpers(void **state)
{
    (void)state;
    const char *sig = "pub  fn f < T >( x : Vec < T > )\n  -> u8";
    char *c = rt_collapse(sig, strlen(sig));
    assert_string_equal(c, "pub fn f<T>(x : Vec<T>) -> u8");
    free(c);
    c = rt_strip_generics("a::B<T, C<D>>::E");
    assert_string_equal(c, "a::B::E");
    free(c);
    c = rt_unquote("\"a\\\"b\\n\"", 8);
    assert_string_equal(c, "a\"b\n");
    free(c);
}

static void test_toml(void **state)
{
    (void)state;
    const char *src = "[package]\nname = \"my-crate\" # comment\nautobins = false\n"
                      "[lib]\npath = 'src/l.rs'\n[[bin]]\nname = \"a\"\n[[bin]]\nname = \"b\"\npath = \"x.rs\"\n"
                      "[workspace]\nmembers = [\"crates/*\", \"tools\"]\n[dependencies]\nserde = { version = \"1\" }\n";
    plait_toml *t;
    assert_int_equal(plait_toml_parse(src, strlen(src), &t), 0);
    assert_string_equal(plait_toml_get(t, "package.name"), "my-crate");
    assert_int_equal(plait_toml_bool(t, "package.autobins", 1), 0);
    assert_string_equal(plait_toml_get(t, "lib.path"), "src/l.rs");
    assert_int_equal(plait_toml_count(t, "bin"), 2);
    assert_string_equal(plait_toml_get(t, "bin[1].path"), "x.rs");
    assert_int_equal(plait_toml_count(t, "workspace.members"), 2);
    assert_string_equal(plait_toml_get(t, "workspace.members[0]"), "crates/*");
    assert_string_equal(plait_toml_get(t, "dependencies.serde.version"), "1");
    plait_toml_free(t);
    assert_int_not_equal(plait_toml_parse("[package\nname=", 14, &t), 0);
}

int main(void)
{
    plait_hash_init();
    parser = plait_rust_parser_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_and_paths), cmocka_unit_test(test_docs_attrs_visibility),
        cmocka_unit_test(test_use_trees_and_mods), cmocka_unit_test(test_syntax_errors_stay_local),
        cmocka_unit_test(test_calls_and_receiver_types),
        cmocka_unit_test(test_receiver_markers), cmocka_unit_test(test_pattern_markers),
        cmocka_unit_test(test_text_helpers),
        cmocka_unit_test(test_toml),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    plait_rust_parser_free(parser);
    return rc;
}
